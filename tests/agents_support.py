"""Finding the pinned agent CLIs for the integration tests (tests/agents).

The CLIs are installed at their pinned versions into ./.agents by
`scripts/install_agents.py` (scripts/check runs it). A missing CLI skips its tests on a
developer's machine, and fails them under CI=true: CI must never pass without having
run them. (A plain module, not conftest.py: test modules import it by name, and a
second `conftest` module would shadow tests/conftest.py.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from specloop.executors._pins import AGENT_PINS

AGENTS_BIN = Path(__file__).resolve().parents[1] / ".agents" / "bin"


def path_with_agents() -> str:
    """PATH with the pinned agents first."""
    return f"{AGENTS_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


def require_agent(name: str) -> str:
    """The agent's command path; skip (fail under CI) when it is not installed."""
    pin = AGENT_PINS[name]
    found = shutil.which(pin.binary, path=path_with_agents())
    if found is None:
        message = (
            f"{pin.binary} {pin.version} is not installed: run python3 scripts/install_agents.py"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
