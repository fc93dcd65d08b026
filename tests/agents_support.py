"""Finding the pinned agent CLIs for the integration tests (tests/agents).

The CLIs are installed at their pinned versions into ./.agents by
`scripts/install_agents.py` (scripts/check runs it). A missing CLI skips its tests on a
developer's machine, and fails them under CI=true: CI must never pass without having
run them. (A plain module, not conftest.py: test modules import it by name, and a
second `conftest` module would shadow tests/conftest.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import Result, git, run_specloop
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


@dataclass
class AgentProject:
    """A committed project (base branch main) whose executor model is the scripted server.

    `run` is `specloop run 0x01 --executor <executor> --autonomy verified` with the given
    PATH, the model key under `key_var`, and any extra variables.
    """

    root: Path
    executor: str
    key: str
    key_var: str = "OPENAI_API_KEY"

    def run(self, path: str, *, key: str | None = None, **env: str) -> Result:
        return run_specloop(
            "run",
            "0x01",
            "--executor",
            self.executor,
            "--autonomy",
            "verified",
            cwd=self.root,
            env={"PATH": path, self.key_var: self.key if key is None else key, **env},
        )

    def task(self) -> dict[str, Any]:
        status = run_specloop("status", "--json", cwd=self.root)
        tasks = {t["id"]: t for t in json.loads(status.stdout)["tasks"]}
        task: dict[str, Any] = tasks["0x01"]
        return task

    def show(self, path: str, ref: str = "main") -> str:
        return git(self.root, "show", f"{ref}:{path}")

    def main_files(self) -> list[str]:
        return sorted(git(self.root, "ls-tree", "-r", "--name-only", "main").split())

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        """Rows from the project's ledger (read-only)."""
        uri = f"file:{self.root / '.specloop' / 'state' / 'ledger.db'}?mode=ro"
        with sqlite3.connect(uri, uri=True) as db:
            return db.execute(sql, args).fetchall()

    def agent_events(self, kind: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT data FROM events WHERE kind = ? ORDER BY id", kind)
        return [json.loads(data) for (data,) in rows]
