"""The core loads without the front ends: the service needs neither Gradio nor FastAPI, and
the HTTP routes need no Gradio (only the web page and the app that mounts it import it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


@pytest.mark.parametrize(
    ("code", "absent"),
    [
        ("from assistant import Assistant", {"gradio", "fastapi", "uvicorn", "torch"}),
        ("import assistant.chat", {"gradio", "fastapi", "uvicorn"}),
        ("import assistant.api", {"gradio"}),
        ("import assistant.cli", {"gradio", "fastapi", "chromadb", "torch"}),
    ],
)
def test_a_layer_loads_without_what_sits_above_it(code: str, absent: set[str]):
    assert not loaded_after(code) & absent


def test_the_app_mounts_the_page():
    assert "gradio" in loaded_after("import assistant.server")
