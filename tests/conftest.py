"""Shared fixtures: a real git repository per test; no SPECLOOP_* leaks from the shell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from agents_support import path_with_agents
from helpers import Repo


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SPECLOOP_* setting of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("SPECLOOP_"):
            monkeypatch.delenv(name)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """An empty git repository with a tasks/ directory."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "tasks").mkdir()
    return Repo(root)


@pytest.fixture
def agent_path() -> str:
    """PATH with the pinned agent CLIs (./.agents/bin, see agents_support.py) first."""
    return path_with_agents()
