"""Running git: `git -C <dir> ...` with a stable locale, typed errors, NUL-separated lists."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


class GitError(Exception):
    """git failed; the message holds the command and git's own first line of complaint."""


class GitNotInstalled(GitError):
    """There is no `git` executable on PATH (a missing component: exit code 3)."""


class NotAGitRepository(GitError):
    """The directory is not inside a git work tree."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"not a git repository: {path} (run inside a git repository, `git init` one, or pass -C DIR)"
        )
        self.path = path


def _env() -> dict[str, str]:
    # LC_ALL=C keeps git's messages parseable; no pager and no prompts, ever.
    return {**os.environ, "LC_ALL": "C", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}


def run_git(args: Sequence[str], cwd: Path) -> str:
    """Run `git -C cwd args...`; return stdout, raise GitError with git's message."""
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
        )
    except FileNotFoundError:
        raise GitNotInstalled(
            "git is not installed or not on PATH: install git (e.g. `apt-get install git`)"
        ) from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["(no message)"])[0]
        raise GitError(f"git {' '.join(args)} failed: {reason}")
    return done.stdout


def repo_root(path: Path) -> Path:
    """The top of the work tree that contains `path`."""
    try:
        out = run_git(["rev-parse", "--show-toplevel"], path)
    except GitError as exc:
        if "not a git repository" in str(exc) or not path.is_dir():
            raise NotAGitRepository(path) from None
        raise
    return Path(out.strip()).resolve()


def ls_files(root: Path, patterns: Sequence[str] = ()) -> list[str]:
    """Tracked and untracked-but-not-ignored files matching the pathspecs, repo-relative."""
    out = run_git(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *patterns], root
    )
    return sorted({name for name in out.split("\0") if name})
