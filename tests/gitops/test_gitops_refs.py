"""resolve, current_branch, dirty_paths, worktree_of_branch, is_ancestor, branches, delete_branch."""

from __future__ import annotations

import shutil

import pytest
from gitops_support import commit_all, git, make_branch, start

from helpers import Repo
from specloop.gitops import (
    GitError,
    branches,
    current_branch,
    delete_branch,
    dirty_paths,
    is_ancestor,
    resolve,
    worktree_of_branch,
)


@pytest.fixture
def base(repo: Repo) -> str:
    repo.write(".gitignore", "*.log\n")
    return start(repo)


def test_resolve_gives_the_full_commit_sha(repo: Repo, base: str) -> None:
    git(repo.root, "tag", "-a", "-m", "annotated", "v1")
    assert resolve(repo.root, "main") == base
    assert resolve(repo.root, "v1") == base  # a tag object is peeled to its commit
    assert resolve(repo.root, base[:10]) == base
    assert resolve(repo.root, "HEAD^{tree}") == git(repo.root, "rev-parse", "HEAD^{tree}")


@pytest.mark.parametrize("ref", ["nope", "main~5", "--all", "HEAD:README.md"])
def test_resolve_raises_for_what_is_not_a_commit(repo: Repo, base: str, ref: str) -> None:
    with pytest.raises(GitError, match="unknown revision"):
        resolve(repo.root, ref)


def test_current_branch(repo: Repo, base: str) -> None:
    assert current_branch(repo.root) == "main"
    git(repo.root, "switch", "-q", "--detach")
    assert current_branch(repo.root) is None


def test_dirty_paths_lists_changes_and_untracked_but_not_ignored(repo: Repo, base: str) -> None:
    assert dirty_paths(repo.root) == []
    repo.write("README.md", "changed\n")
    repo.write("new dir/untracked é.txt", "new\n")
    repo.write("debug.log", "ignored\n")
    git(repo.root, "mv", "src/app.py", "src/main.py")

    assert dirty_paths(repo.root) == [
        "README.md",
        "new dir/untracked é.txt",
        "src/app.py",
        "src/main.py",
    ]


def test_worktree_of_branch(repo: Repo, base: str) -> None:
    other = repo.root.parent / "other-worktree"
    git(repo.root, "worktree", "add", "-q", "-b", "feature", str(other), base)
    make_branch(repo.root, "loose", base, {"x": "x\n"})

    assert worktree_of_branch(repo.root, "main") == repo.root
    assert worktree_of_branch(repo.root, "feature") == other
    assert worktree_of_branch(repo.root, "loose") is None
    assert worktree_of_branch(repo.root, "missing") is None
    # A worktree whose directory vanished does not count.
    shutil.rmtree(other)
    assert worktree_of_branch(repo.root, "feature") is None


def test_is_ancestor(repo: Repo, base: str) -> None:
    repo.write("more.txt", "more\n")
    later = commit_all(repo.root)
    side = make_branch(repo.root, "side", base, {"side.txt": "side\n"})

    assert is_ancestor(repo.root, base, later)
    assert is_ancestor(repo.root, later, later)
    assert not is_ancestor(repo.root, later, base)
    assert not is_ancestor(repo.root, side, later)
    with pytest.raises(GitError):
        is_ancestor(repo.root, "nope", later)


def test_branches_by_prefix(repo: Repo, base: str) -> None:
    for name in ("specloop/0x01/attempt-1", "specloop/0x01/attempt-2", "specloop-x", "other"):
        make_branch(repo.root, name, base, {"f": name})

    assert branches(repo.root, "specloop/") == [
        "specloop/0x01/attempt-1",
        "specloop/0x01/attempt-2",
    ]
    assert branches(repo.root, "specloop") == [
        "specloop-x",
        "specloop/0x01/attempt-1",
        "specloop/0x01/attempt-2",
    ]
    assert branches(repo.root, "[a-z]*") == []  # a plain prefix, not a pattern
    assert "main" in branches(repo.root, "")


def test_delete_branch_forces_and_ignores_missing(repo: Repo, base: str) -> None:
    make_branch(repo.root, "unmerged", base, {"f": "never merged\n"})

    delete_branch(repo.root, "unmerged")
    delete_branch(repo.root, "unmerged")  # already gone: fine
    delete_branch(repo.root, "never-existed")

    assert branches(repo.root, "unmerged") == []


def test_delete_branch_refuses_a_checked_out_branch(repo: Repo, base: str) -> None:
    with pytest.raises(GitError, match="main"):
        delete_branch(repo.root, "main")
    assert resolve(repo.root, "main") == base
    with pytest.raises(ValueError):
        delete_branch(repo.root, "-D")
