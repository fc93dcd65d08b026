"""A real git repository for verification tests: commits, a base worktree, a real runner."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from helpers import Repo, make_task
from specloop.artifacts import Task, parse_task
from specloop.sandbox import ProcessResult, run_process
from specloop.verify import CommandRunner, Verification, VerifyOptions, verify_attempt

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}
ENV = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(Path.home())}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **_IDENTITY},
        check=True,
    )
    return done.stdout.strip()


def runner(timeout: float = 60.0) -> CommandRunner:
    """Real processes through sandbox.run_process, as the engine's runner (minus bwrap)."""

    def run(command: str, cwd: Path) -> ProcessResult:
        return run_process(command, cwd=cwd, env=ENV, timeout=timeout, shell=True)

    return run


def task(scope: tuple[str, ...], criteria: tuple[str, ...] = ()) -> Task:
    return parse_task(make_task(scope=scope, criteria=criteria or ("No TODOs left in code",)))


@dataclass
class GitRepo(Repo):
    """A repository with helpers to write (from `Repo`), commit, and verify base..head."""

    def remove(self, relative: str) -> None:
        git(self.root, "rm", "-q", relative)

    def move(self, old: str, new: str) -> None:
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        git(self.root, "mv", old, new)

    def commit(self, message: str = "change") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def base_worktree(self, sha: str) -> Path:
        path = self.root.parent / f"base-{sha[:8]}"
        if not path.exists():
            git(self.root, "worktree", "add", "-q", "--detach", str(path), sha)
        return path

    def verify(
        self,
        the_task: Task,
        base: str,
        head: str,
        *,
        with_base: bool = True,
        options: VerifyOptions | None = None,
        run: CommandRunner | None = None,
    ) -> Verification:
        return verify_attempt(
            the_task,
            repo=self.root,
            base_sha=base,
            head_sha=head,
            worktree=self.root,
            base_worktree=self.base_worktree(base) if with_base else None,
            run=run or runner(),
            options=options or VerifyOptions(),
        )
