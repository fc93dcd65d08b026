"""Helpers for executor tests: a repository with a linked worktree, and request building."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers import make_task
from specloop.artifacts import parse_task
from specloop.executors import ExecutionRequest
from specloop.sandbox import Sandbox

SANDBOX = Sandbox.detect()
NO_SANDBOX = Sandbox.disabled("tests that do not exercise the sandbox")
BASE_ENV = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/root")}

needs_bwrap = pytest.mark.skipif(
    not SANDBOX.available, reason=f"no working sandbox here: {SANDBOX.reason}"
)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def add_worktree(root: Path) -> Path:
    """Commit src/app.py in ``root`` and add a linked worktree for an attempt, the way specloop does."""
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "app.py").write_text("def greet():\n    return 'hi'\n")
    (root / ".gitignore").write_text(".specloop/state/\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    worktree = root / ".specloop" / "state" / "worktrees" / "w1"
    git(root, "worktree", "add", "-q", "-b", "specloop/0x01-1", str(worktree))
    return worktree


@contextmanager
def outside_tmp_worktree() -> Iterator[Path]:
    """A linked worktree of a repository outside /tmp, removed afterwards.

    The sandbox may give commands a private /tmp; a repository under /tmp would then be
    hidden from the command rather than read-only, and a refused write could not be told
    from a write into the private copy. Outside /tmp the tests hold either way.
    """
    base = Path("/var/tmp")
    if not (base.is_dir() and os.access(base, os.W_OK)):
        pytest.skip("/var/tmp is not writable here")
    root = Path(tempfile.mkdtemp(prefix="specloop-exec-", dir=base))
    try:
        subprocess.run(["git", "init", "-q", str(root / "repo")], check=True)
        yield add_worktree(root / "repo")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def make_request(
    worktree: Path,
    *,
    timeout: float = 30.0,
    sandbox: Sandbox = NO_SANDBOX,
    env: Mapping[str, str] | None = None,
    handover: str = "Make greet() return 'hello'.",
    run_id: int | None = None,
    attempt_id: int | None = None,
) -> ExecutionRequest:
    """A request for task 0x01 whose task file and handover live next to the worktree."""
    state = worktree.parent.parent
    task_file = state / "tasks" / "0x01-task.md"
    task_file.parent.mkdir(parents=True, exist_ok=True)
    task_file.write_text(make_task("0x01", scope=("src/hello.py", "tests/test_hello.py")))
    task = parse_task(task_file.read_text(), path=task_file)
    return ExecutionRequest(
        task=task,
        task_file=task_file,
        worktree=worktree,
        handover=handover,
        handover_path=state / "handovers" / "0x01-1.md",
        attempt=1,
        timeout=timeout,
        env=dict(BASE_ENV if env is None else env),
        sandbox=sandbox,
        run_id=run_id,
        attempt_id=attempt_id,
    )
