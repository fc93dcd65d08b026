"""A committed git project with task files and cmd: agents, for `specloop run` tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import Result, git, make_task, run_specloop


@dataclass
class RunProject:
    """A project whose base branch is `main`, committed, with `.specloop/config.toml`."""

    root: Path
    scripts: Path

    def task(
        self,
        task_id: str,
        *,
        files: tuple[str, ...],
        criteria: tuple[str, ...],
        depends_on: str = "[]",
        extra_front: str = "",
    ) -> None:
        path = self.root / "tasks" / f"{task_id}-task.md"
        path.write_text(
            make_task(
                task_id,
                depends_on=depends_on,
                scope=files,
                criteria=criteria,
                extra_front=extra_front,
            )
        )

    def commit(self, message: str = "update") -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def agent(self, name: str, body: str) -> str:
        """A shell agent; returns the `cmd:` executor string that runs it."""
        path = self.scripts / f"{name}.sh"
        path.write_text("set -e\n" + body)
        return f"cmd:sh {path}"

    def specloop(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return run_specloop(*args, cwd=self.root, env=env)

    def status(self) -> dict[str, Any]:
        return {t["id"]: t for t in json.loads(self.specloop("status", "--json").stdout)["tasks"]}

    def main_files(self) -> list[str]:
        return sorted(git(self.root, "ls-tree", "-r", "--name-only", "main").split())

    def show(self, path: str, ref: str = "main") -> str:
        return git(self.root, "show", f"{ref}:{path}")


def new_project(tmp_path: Path, autonomy: str = "verified") -> RunProject:
    root = tmp_path / "project"
    scripts = tmp_path / "agents"
    root.mkdir()
    scripts.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.invalid")
    (root / ".specloop").mkdir()
    (root / ".specloop" / "config.toml").write_text(
        f'[run]\nautonomy = "{autonomy}"\nmax_attempts = 1\ntimeout = 60\n'
    )
    (root / ".gitignore").write_text(".specloop/state/\n")
    (root / "tasks").mkdir()
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def hello():\n    return 'hi'\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").write_text(
        "from src.app import hello\n\n\ndef test_hello():\n    assert hello() == 'hi'\n"
    )
    project = RunProject(root, scripts)
    project.commit("initial")
    return project
