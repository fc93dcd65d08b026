"""commit_attempt: whatever the agent did with git, the attempt is the worktree's final files."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitops_support import commit_all, files_at, git, start

from helpers import Repo
from specloop.gitops import (
    FileChange,
    GitError,
    WorktreePool,
    changed_files,
    commit_attempt,
    resolve,
)

BRANCH = "specloop/0x01/attempt-1"


@pytest.fixture
def base(repo: Repo) -> str:
    repo.write(".gitignore", ".specloop/\n*.log\n")
    return start(repo, {"README.md": "hello\n", "src/app.py": "x = 1\n", "src/old.py": "old\n"})


@pytest.fixture
def worktree(repo: Repo, base: str) -> Path:
    pool = WorktreePool(repo.root, repo.root / ".specloop" / "worktrees")
    return pool.checkout(0, BRANCH, base)


def _parents(root: Path, sha: str) -> list[str]:
    return git(root, "rev-list", "--parents", "-n", "1", sha).split()[1:]


def _clean(path: Path) -> bool:
    return git(path, "status", "--porcelain", "--untracked-files=all") == ""


def test_plain_changes_become_one_commit_on_the_base(repo: Repo, base: str, worktree: Path) -> None:
    (worktree / "src/app.py").write_text("x = 2\n")
    (worktree / "src/new.py").write_text("new\n")
    (worktree / "debug.log").write_text("ignored, not committed\n")

    outcome = commit_attempt(worktree, BRANCH, base, "specloop: 0x01 A task (attempt 1)")

    assert outcome.sha is not None
    assert (outcome.agent_committed, outcome.switched_branch) == (False, False)
    assert _parents(repo.root, outcome.sha) == [base]
    assert git(repo.root, "rev-parse", BRANCH) == outcome.sha
    assert git(repo.root, "log", "-1", "--format=%s|%an <%ae>|%cn <%ce>", outcome.sha) == (
        "specloop: 0x01 A task (attempt 1)|specloop <specloop@localhost>|specloop <specloop@localhost>"
    )
    files = files_at(repo.root, outcome.sha)
    assert files["src/app.py"] == "x = 2" and files["src/new.py"] == "new"
    assert "debug.log" not in files
    assert _clean(worktree)


def test_no_changes_means_no_commit(repo: Repo, base: str, worktree: Path) -> None:
    (worktree / "debug.log").write_text("only an ignored file\n")

    outcome = commit_attempt(worktree, BRANCH, base, "nothing")

    assert outcome.sha is None
    assert git(repo.root, "rev-parse", BRANCH) == base


def test_agent_commits_and_later_edits_are_one_commit(
    repo: Repo, base: str, worktree: Path
) -> None:
    (worktree / "a.py").write_text("a\n")
    commit_all(worktree, "agent commit 1")
    (worktree / "b.py").write_text("b\n")
    commit_all(worktree, "agent commit 2")
    (worktree / "c.py").write_text("c, not committed\n")
    (worktree / "README.md").write_text("staged\n")
    git(worktree, "add", "README.md")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None and outcome.agent_committed and not outcome.switched_branch
    assert _parents(repo.root, outcome.sha) == [base]
    assert git(repo.root, "rev-list", "--count", f"{base}..{BRANCH}") == "1"
    files = files_at(repo.root, outcome.sha)
    assert {"a.py", "b.py", "c.py"} <= files.keys() and files["README.md"] == "staged"


def test_agent_on_another_branch_is_absorbed(repo: Repo, base: str, worktree: Path) -> None:
    git(worktree, "switch", "-q", "-c", "agent-idea")
    (worktree / "idea.py").write_text("idea\n")
    commit_all(worktree, "on the agent's own branch")
    (worktree / "more.py").write_text("more\n")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None and outcome.switched_branch and outcome.agent_committed
    assert git(worktree, "symbolic-ref", "HEAD") == f"refs/heads/{BRANCH}"
    assert git(worktree, "rev-parse", "HEAD") == outcome.sha
    assert _parents(repo.root, outcome.sha) == [base]
    assert {"idea.py", "more.py"} <= files_at(repo.root, outcome.sha).keys()
    assert _clean(worktree)


def test_detached_head_without_commits(repo: Repo, base: str, worktree: Path) -> None:
    git(worktree, "switch", "-q", "--detach")
    (worktree / "x.py").write_text("x\n")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.switched_branch and not outcome.agent_committed
    assert git(worktree, "symbolic-ref", "HEAD") == f"refs/heads/{BRANCH}"
    assert "x.py" in files_at(repo.root, outcome.sha or "")


def test_renames_and_deletions_are_kept(repo: Repo, base: str, worktree: Path) -> None:
    (worktree / "src/app.py").rename(worktree / "src/application.py")
    (worktree / "src/old.py").unlink()

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None
    assert set(changed_files(repo.root, base, outcome.sha)) == {
        FileChange("D", "src/old.py"),
        FileChange("R", "src/application.py", "src/app.py"),
    }


def test_agent_config_cannot_change_the_author(repo: Repo, base: str, worktree: Path) -> None:
    git(worktree, "config", "user.name", "Evil Agent")
    git(worktree, "config", "user.email", "evil@example.com")
    (worktree / "x.py").write_text("x\n")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt", author="Bot <bot@example.org>")

    log = git(repo.root, "log", "-1", "--format=%an <%ae>|%cn <%ce>", outcome.sha or "")
    assert log == "Bot <bot@example.org>|Bot <bot@example.org>"


def test_agent_hooks_do_not_run(repo: Repo, base: str, worktree: Path) -> None:
    hooks = repo.root / ".git" / "hooks"
    for name in ("pre-commit", "commit-msg", "post-commit", "post-checkout"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch '{repo.root}/ran-{name}'\nexit 1\n")
        (hooks / name).chmod(0o755)
    (worktree / "x.py").write_text("x\n")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None
    assert not list(repo.root.glob("ran-*"))


def test_conflicted_merge_left_by_the_agent(repo: Repo, base: str, worktree: Path) -> None:
    (worktree / "README.md").write_text("ours\n")
    commit_all(worktree, "ours")
    git(worktree, "switch", "-q", "-c", "theirs", base)
    (worktree / "README.md").write_text("theirs\n")
    commit_all(worktree, "theirs")
    git(worktree, "merge", BRANCH, check=False)  # stops with a conflict
    gitdir = Path(git(worktree, "rev-parse", "--absolute-git-dir"))
    assert (gitdir / "MERGE_HEAD").exists()
    (gitdir / "index.lock").write_text("")  # and it was killed mid-command

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None and _parents(repo.root, outcome.sha) == [base]
    assert not (gitdir / "MERGE_HEAD").exists()
    assert "<<<<<<<" in files_at(repo.root, outcome.sha)["README.md"]  # the files as left


def test_the_main_worktree_is_refused(repo: Repo, base: str) -> None:
    (repo.root / "x.py").write_text("user's work\n")
    with pytest.raises(GitError, match="not a linked worktree"):
        commit_attempt(repo.root, BRANCH, base, "attempt")
    assert git(repo.root, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(repo.root, "status", "--porcelain") == "?? x.py"


def test_bad_author_is_refused(base: str, worktree: Path) -> None:
    with pytest.raises(ValueError, match="Name <email>"):
        commit_attempt(worktree, BRANCH, base, "attempt", author="no email")


def test_base_is_used_as_given(repo: Repo, base: str, worktree: Path) -> None:
    (repo.root / "later.py").write_text("merged meanwhile\n")
    commit_all(repo.root, "main moves on")
    (worktree / "x.py").write_text("x\n")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None and _parents(repo.root, outcome.sha) == [base]
    assert resolve(repo.root, "main") != base


def test_attempt_branch_deleted_by_the_agent_is_recreated(
    repo: Repo, base: str, worktree: Path
) -> None:
    git(worktree, "switch", "-q", "-c", "agent-branch")
    git(worktree, "branch", "-D", BRANCH)
    (worktree / "x.py").write_text("x\n")
    commit_all(worktree, "agent commit")

    outcome = commit_attempt(worktree, BRANCH, base, "attempt")

    assert outcome.sha is not None and outcome.switched_branch and outcome.agent_committed
    assert git(repo.root, "rev-parse", BRANCH) == outcome.sha
    assert _parents(repo.root, outcome.sha) == [base]


def test_message_is_tidied_and_must_not_be_empty(repo: Repo, base: str, worktree: Path) -> None:
    (worktree / "x.py").write_text("x\n")
    with pytest.raises(ValueError, match="empty"):
        commit_attempt(worktree, BRANCH, base, "  \n\n ")

    outcome = commit_attempt(worktree, BRANCH, base, "\nsubject  \n\n\n\n# body line\n")

    assert git(repo.root, "log", "-1", "--format=%B", outcome.sha or "") == "subject\n\n# body line"
