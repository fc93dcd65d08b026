"""Helpers for tests: task-file text, a repository wrapper, running the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


def make_task(
    task_id: str = "0x01",
    *,
    title: str = "A task",
    depends_on: str = "[]",
    scope: tuple[str, ...] = ("src/app.py",),
    criteria: tuple[str, ...] = ("`python -c pass` passes",),
    objective: str = "Deliver one thing.",
    steps: str = "1. Do it.",
    extra_front: str = "",
) -> str:
    """The text of a valid task file, with parts replaceable per test."""
    scope_lines = "\n".join(f"- {s}" for s in scope)
    criteria_lines = "\n".join(f"- {c}" for c in criteria)
    return (
        f"---\nid: {task_id}\ntitle: {title}\ndepends_on: {depends_on}\n{extra_front}---\n\n"
        f"## Objective\n\n{objective}\n\n## Files to Modify\n\n{scope_lines}\n\n"
        f"## Steps\n\n{steps}\n\n## Completion Criteria\n\n{criteria_lines}\n"
    )


@dataclass
class Repo:
    """A throwaway git repository with helpers to write project files."""

    root: Path

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def task(self, task_id: str, slug: str = "task", **parts: object) -> Path:
        return self.write(f"tasks/{task_id}-{slug}.md", make_task(task_id, **parts))  # type: ignore[arg-type]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def git(root: Path, *args: str) -> str:
    """stdout of a git command in `root` (raises on failure)."""
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def run_specloop(
    *args: str, cwd: Path, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()
) -> Result:
    """Run the real `specloop` command in a subprocess (the way users run it)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SPECLOOP_")}
    full_env.update(env or {})
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "specloop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)
