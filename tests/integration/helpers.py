"""Starting real processes for integration tests: free ports, waiting for readiness
(assistant.testing), an environment without the caller's ASSISTANT_ settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the tests import these from here
from assistant.testing import free_port, stop, wait_http  # noqa: F401

BIN = Path(sys.executable).parent


def env(**extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return {**e, "HF_HUB_OFFLINE": "1", **extra}
