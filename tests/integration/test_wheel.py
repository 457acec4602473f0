"""The wheel, installed away from the checkout (issue 15): it carries the prompt files and the
seed articles, and its `assistant ask` answers from those seeds in a folder of its own.

The wheel is built from a copy of what the build reads (no build/ is left in the checkout) with
the project's setuptools (--no-build-isolation: nothing is downloaded), and installed without
its dependencies into a fresh venv; a .pth file then lets that venv see the project venv's
site-packages, after its own, for the dependencies. The fresh venv's `assistant` must be the
wheel's, never the checkout's."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from tests.integration.helpers import env

pytestmark = pytest.mark.integration

SEED = "russian-airstrikes-daesh-convoy-raqqah.md"


def sources() -> list[str]:
    """What the build reads: pyproject.toml, the readme and the folders of the packages it lists
    (prompts/ and seeds/ among them, through its package-dir mapping)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    tool = project["tool"]["setuptools"]
    mapped = tool.get("package-dir", {})
    folders = {mapped.get(p, p.replace(".", "/")).split("/")[0] for p in tool["packages"]}
    return ["pyproject.toml", project["project"]["readme"], *sorted(folders)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of what the build reads (the checkout gets no build/)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in sources():
        if (REPO_ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO_ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO_ROOT / name, source / name)
    dist = tmp / "dist"
    build = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(dist)]
    run([*build, "--no-build-isolation", "--no-index", "-q"], tmp)
    (found,) = dist.glob("assistant-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed, seeing the project's dependencies after it."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv)
    python = venv / "bin" / "python"
    install = ["install", "--no-deps", "--no-index", "-q", str(wheel)]
    run([sys.executable, "-m", "pip", "--python", str(python), *install], venv)
    own = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv)
    project = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(own.stdout.strip()) / "zz_project_site_packages.pth").write_text("\n".join(project))
    return venv


def run(argv: list[str], cwd: Path, **settings: str) -> subprocess.CompletedProcess:
    e = env(**settings)  # without the caller's ASSISTANT_* settings
    e.pop("PYTHONPATH", None)  # nothing may lead back to the checkout
    r = subprocess.run(argv, cwd=cwd, env=e, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{argv}: {r.stderr}"
    return r


def test_the_wheel_carries_the_prompts_the_seeds_and_every_module(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"assistant/prompts/answer.md", "assistant/prompts/condense.md"} <= names
    assert f"assistant/seeds/{SEED}" in names
    # pyproject lists the packages one by one (prompts/ and seeds/ are mapped into assistant):
    # a subpackage left off that list would be missing here
    modules = [
        f.relative_to(REPO_ROOT).as_posix()
        for top in ("assistant", "evals")
        for f in (REPO_ROOT / top).rglob("*.py")
        if "__pycache__" not in f.parts
    ]
    assert modules and set(modules) <= names, sorted(set(modules) - names)
    # the eval sets' BBC stories are for testing here only: never in the package
    assert not [n for n in names if n.startswith("evals/") and not n.endswith(".py")]


def test_the_installed_wheel_finds_its_own_files(venv: Path, tmp_path: Path):
    code = (
        "import assistant, assistant.bundled as b, assistant.llm.prompts as p;"
        "print(assistant.__file__, b.prompts_dir(), b.seeds_dir(), sep='\\n');"
        "p.load('answer'); p.load('condense')"
    )
    out = run([str(venv / "bin" / "python"), "-c", code], tmp_path).stdout.split()
    assert len(out) == 3
    for path in out:
        assert Path(path).is_relative_to(venv), out
    assert (Path(out[2]) / SEED).is_file()


def test_the_installed_wheel_answers_from_its_seeds_elsewhere(venv: Path, tmp_path: Path):
    assert not tmp_path.is_relative_to(REPO_ROOT)
    assistant = str(venv / "bin" / "assistant")
    question = "who claimed the SDF deal?"
    index = str(tmp_path / "index")
    first = run([assistant, "ask", question], tmp_path, ASSISTANT_INDEX_DIR=index)
    assert "indexed seeds: 1 articles" in first.stderr.splitlines()
    assert first.stdout.startswith("Russian sources [1].")
    assert "[1] \u201cAccording to Russian sources" in first.stdout
    assert "Russian airstrikes hit Daesh convoy" in first.stdout
    # the index has its articles now: no second seeding
    again = run([assistant, "ask", question], tmp_path, ASSISTANT_INDEX_DIR=index)
    assert again.stdout == first.stdout and "indexed seeds" not in again.stderr
