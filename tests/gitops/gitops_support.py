"""Helpers for the gitops tests: run git, start a repository on `main`, make commits.

Not a test module: imported by the test_gitops_*.py files next to it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from helpers import Repo

_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "LC_ALL": "C",
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}


def git(cwd: Path, *args: str, input: str | None = None, check: bool = True) -> str:
    """Run git as a user (or an agent) would; stdout without the final newline."""
    done = subprocess.run(
        ["git", "-C", str(cwd), *args],
        capture_output=True,
        text=True,
        env=_ENV,
        input=input,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.rstrip("\n")


def start(repo: Repo, files: dict[str, str] | None = None) -> str:
    """Give the (empty) `repo` fixture a first commit on `main`; return its SHA."""
    git(repo.root, "symbolic-ref", "HEAD", "refs/heads/main")
    initial = files if files is not None else {"README.md": "hello\n", "src/app.py": "x = 1\n"}
    for path, text in initial.items():
        repo.write(path, text)
    return commit_all(repo.root, "base")


def commit_all(root: Path, message: str = "change") -> str:
    """Stage everything in the worktree at `root` and commit it; return the new SHA."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def make_branch(
    root: Path, branch: str, parent: str, files: dict[str, str | None], message: str = "work"
) -> str:
    """Commit `files` (None deletes) on top of `parent` as `branch`, touching no worktree."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {**_ENV, "GIT_INDEX_FILE": str(Path(scratch) / "index")}

        def run(*args: str, input: str | None = None) -> str:
            done = subprocess.run(
                ["git", "-C", str(root), *args],
                capture_output=True,
                text=True,
                env=env,
                input=input,
                check=True,
            )
            return done.stdout.strip()

        run("read-tree", parent)
        for path, text in files.items():
            if text is None:
                run("update-index", "--force-remove", "--", path)
            else:
                blob = run("hash-object", "-w", "--stdin", input=text)
                run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
        tree = run("write-tree")
        sha = run("commit-tree", tree, "-p", parent, "-m", message)
    git(root, "update-ref", f"refs/heads/{branch}", sha)
    return sha


def files_at(root: Path, rev: str) -> dict[str, str]:
    """Every file of commit `rev` with its text."""
    names = git(root, "ls-tree", "-r", "-z", "--name-only", rev).split("\0")
    return {name: git(root, "show", f"{rev}:{name}") for name in names if name}


def tree_files(root: Path) -> set[str]:
    """Every file under `root` on disk, relative, ignoring the .git file or directory."""
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
