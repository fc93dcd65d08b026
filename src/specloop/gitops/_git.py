"""Running git: `git -C <dir> ...` with a stable locale, typed errors, NUL-separated lists."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
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


# Variables that redirect git to another repository, index or object store. specloop
# may run inside a git hook or an agent's shell where these are set; `-C <dir>` must win.
_REPOSITORY_VARIABLES = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_COMMON_DIR",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_SHALLOW_FILE",
        "GIT_GRAFT_FILE",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    }
)

# Settings forced on every command run through `git()`. An agent can write hooks and
# config into the repository's shared .git; specloop must never execute them outside
# the agent's sandbox (hooks run on commit, checkout and merge; fsmonitor runs on
# every status). quotePath=false keeps non-ASCII paths raw in the few outputs that
# have no `-z` (patch headers).
_SAFETY_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.quotePath=false",
)


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # LC_ALL=C keeps git's messages parseable; no pager and no prompts, ever.
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env.update({"LC_ALL": "C", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"})
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Completed:
    """One finished git command: exit code and raw output (bytes: paths need not be UTF-8)."""

    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        """stdout as text; undecodable bytes survive as surrogates (like os.fsdecode)."""
        return os.fsdecode(self.stdout)

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def first_error_line(self) -> str:
        lines = [line for line in self.err.strip().splitlines() if line.strip()]
        # "error: ..." and "fatal: ..." carry the reason; hints and usage come after.
        for line in lines:
            if line.startswith(("fatal:", "error:")):
                return line
        return lines[0] if lines else "(no message)"


def git(
    args: Sequence[str],
    cwd: Path,
    *,
    ok: Collection[int] | None = (0,),
    env: Mapping[str, str] | None = None,
) -> Completed:
    """Run `git -C cwd args...` with the safety config.

    Raise GitError unless the exit code is in `ok`; `ok=None` accepts any exit code
    (the caller reads `returncode` and `err` itself).
    """
    argv = ["git", *_SAFETY_CONFIG, "-C", str(cwd), *args]
    try:
        done = subprocess.run(
            argv, capture_output=True, env=_env(env), stdin=subprocess.DEVNULL, check=False
        )
    except FileNotFoundError:
        raise GitNotInstalled(
            "git is not installed or not on PATH: install git (e.g. `apt-get install git`)"
        ) from None
    result = Completed(tuple(args), done.returncode, done.stdout, done.stderr)
    if ok is not None and done.returncode not in ok:
        raise GitError(f"git {' '.join(args)} (in {cwd}) failed: {result.first_error_line()}")
    return result


def nul_split(text: str) -> list[str]:
    """The fields of a `-z` output, without the empty one after the last NUL."""
    fields = text.split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


def run_git(args: Sequence[str], cwd: Path) -> str:
    """Run `git -C cwd args...`; return stdout, raise GitError with git's message."""
    return git(args, cwd).out


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
