"""specloop's own commit of an attempt: the worktree's final files, one commit on the base."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from specloop.gitops._git import GitError, git
from specloop.gitops._refs import check_branch_name, resolve
from specloop.gitops._worktrees import clear_operation_state, inspect_worktree, worktree_env

DEFAULT_AUTHOR = "specloop <specloop@localhost>"

_IDENTITY = re.compile(r"\s*([^<>]*?)\s*<([^<>]+)>\s*")


@dataclass(frozen=True)
class CommitOutcome:
    """The result of `commit_attempt`.

    sha: the attempt's commit, or None when the worktree had no changes.
    agent_committed: the agent had made commits of its own (their content is absorbed).
    switched_branch: HEAD was not on the attempt branch any more (absorbed as well).
    """

    sha: str | None
    agent_committed: bool
    switched_branch: bool


def identity_env(author: str) -> dict[str, str]:
    """GIT_AUTHOR_* and GIT_COMMITTER_* for `Name <email>`.

    The environment wins over every config file, so an agent's `git config user.name`
    (which writes to the repository's shared config) cannot change who signs the commit.
    """
    match = _IDENTITY.fullmatch(author)
    if match is None or not match.group(1):
        raise ValueError(f"author must look like 'Name <email>', got {author!r}")
    name, email = match.group(1), match.group(2)
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def commit_attempt(
    worktree: Path,
    branch: str,
    base_sha: str,
    message: str,
    *,
    author: str = DEFAULT_AUTHOR,
) -> CommitOutcome:
    """Commit the worktree's final files as one commit on `base_sha`, on `branch`.

    Call it after the agent has exited. Whatever the agent did with git (commits,
    other branches, a detached HEAD, a half-done merge or rebase, staged or unstaged
    changes), the attempt is what is on disk: HEAD is pointed back at the attempt
    branch without touching files, the branch is moved back to the base, and every
    change (`add -A`) becomes one commit whose only parent is `base_sha`.
    """
    check_branch_name(branch)
    identity = identity_env(author)
    linked = inspect_worktree(worktree)  # never the user's checkout, never a parent repo
    root, env = linked.root, worktree_env(linked.root)
    base = resolve(root, base_sha)
    target = f"refs/heads/{branch}"

    # The agent is gone, so a lock or an operation it left is stale, not in use.
    (linked.gitdir / "index.lock").unlink(missing_ok=True)
    clear_operation_state(linked.gitdir)

    head_ref, head_sha, tip_sha = _where_things_are(root, env, target)
    switched = head_ref != target
    agent_committed = _has_commits_beyond(root, env, base, head_sha, tip_sha)

    if switched:
        # symbolic-ref moves HEAD only: files and index stay exactly as the agent left them.
        git(
            ["symbolic-ref", "-m", "specloop: back to the attempt branch", "HEAD", target],
            root,
            env=env,
        )
    # add -A before reset: a soft reset refuses while the index has unmerged paths,
    # and staging the files on disk is exactly how those conflicts are settled here.
    git(["add", "--all"], root, env=env)
    git(["reset", "--quiet", "--soft", base], root, env=env)
    changed = git(["diff-index", "--cached", "--quiet", base, "--"], root, ok=(0, 1), env=env)
    if changed.returncode == 0:
        return CommitOutcome(None, agent_committed, switched)

    git(
        [
            "commit",
            "--quiet",
            "--no-verify",
            "--no-gpg-sign",  # an unattended run cannot answer a signing prompt
            "--cleanup=whitespace",  # commit.cleanup=strip would drop lines starting with '#'
            "-m",
            message,
        ],
        root,
        env={**env, **identity},
    )
    line = git(["rev-list", "--parents", "-n", "1", "HEAD"], root, env=env).out.split()
    if len(line) != 2 or line[1] != base:
        raise GitError(f"attempt commit in {root} does not sit on {base}: {' '.join(line)}")
    return CommitOutcome(line[0], agent_committed, switched)


def _where_things_are(
    root: Path, env: dict[str, str], target: str
) -> tuple[str | None, str | None, str | None]:
    """(HEAD's branch ref, HEAD's commit, the attempt branch's commit); None where absent."""
    # Usually all three exist: one call. Otherwise (unborn HEAD, deleted branch) ask
    # one at a time. The trailing "--" keeps a file named like a ref from confusing git.
    done = git(
        ["rev-parse", "HEAD", target, "--symbolic-full-name", "HEAD", "--"], root, ok=None, env=env
    )
    lines = done.out.split()
    if done.returncode == 0 and len(lines) == 4:
        head_sha, tip_sha, head_ref = lines[:3]
        return (head_ref if head_ref.startswith("refs/") else None), head_sha, tip_sha
    return (
        _optional(["symbolic-ref", "--quiet", "HEAD"], root, env),
        _optional(["rev-parse", "--verify", "--quiet", "HEAD"], root, env),
        _optional(["rev-parse", "--verify", "--quiet", target], root, env),
    )


def _optional(args: list[str], root: Path, env: dict[str, str]) -> str | None:
    """stdout of a query that exits 1 when there is no answer (unborn, detached, missing)."""
    done = git(args, root, ok=(0, 1), env=env)
    out = done.out.strip()
    return out if done.returncode == 0 and out else None


def _has_commits_beyond(root: Path, env: dict[str, str], base: str, *tips: str | None) -> bool:
    """True when any tip reaches a commit that the base does not (the agent committed)."""
    others = sorted({tip for tip in tips if tip and tip != base})
    if not others:
        return False
    count = git(["rev-list", "--count", *others, f"^{base}", "--"], root, env=env).out.strip()
    return int(count or "0") > 0
