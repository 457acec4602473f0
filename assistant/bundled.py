"""The data the package carries: its prompt files and its seed articles.

In the repository they are the top-level `prompts/` and `seeds/` folders; pyproject.toml maps
them into the package as `assistant.prompts` and `assistant.seeds`, so a wheel carries them and
an editable install finds them where they are. Code asks here for their folders, never for a
path relative to the checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from assistant.errors import AssistantError


def prompts_dir() -> Path:
    """The folder of the prompt files (answer.md, condense.md)."""
    return _folder("assistant.prompts")


def seeds_dir() -> Path:
    """The folder of the seed articles: the default of the `seeds_dir` setting."""
    return _folder("assistant.seeds")


def _folder(package: str) -> Path:
    try:
        found = resources.files(package)
    except ModuleNotFoundError as e:  # a checkout on sys.path, or installed before the mapping
        raise AssistantError(
            f"{package} is missing: the package is not installed, or installed from an older "
            "checkout",
            help="install it again: pip install -e . (in the checkout) or pip install WHEEL",
        ) from e
    if not isinstance(found, Path):  # a zipped install: ingest and the loaders need real files
        raise AssistantError(
            f"{package}: not a folder on disk ({found})", help="install the package unzipped"
        )
    return found
