"""Questions about commits, branches, worktrees and local changes; branch deletion."""

from __future__ import annotations

import re
from pathlib import Path

from specloop.gitops._git import GitError, git, nul_split

# `rev^{tree}`, `rev^{commit}`, `rev^{}`: the caller already said what to peel to.
_EXPLICIT_PEEL = re.compile(r"\^\{[a-z]*\}$")


def check_branch_name(branch: str) -> None:
    """Refuse names git would read as an option; git itself judges the rest."""
    if not branch or branch.startswith("-"):
        raise ValueError(f"invalid branch name: {branch!r}")


def resolve(repo: Path, ref: str) -> str:
    """The full SHA of the commit `ref` names (`ref^{commit}`); GitError if there is none.

    A ref that already ends in an explicit peel such as `^{tree}` is resolved as given
    (callers ask for the tree of a commit this way).
    """
    rev = ref if _EXPLICIT_PEEL.search(ref) else f"{ref}^{{commit}}"
    done = git(["rev-parse", "--verify", "--quiet", "--end-of-options", rev], repo, ok=(0, 1))
    sha = done.out.strip()
    if done.returncode != 0 or not sha:
        raise GitError(f"unknown revision {ref!r} in {repo}")
    return sha


def current_branch(repo: Path) -> str | None:
    """The branch checked out in the worktree at `repo`; None when HEAD is detached."""
    done = git(["symbolic-ref", "--quiet", "HEAD"], repo, ok=(0, 1))
    ref = done.out.strip()
    if done.returncode != 0 or not ref.startswith("refs/heads/"):
        return None
    return ref.removeprefix("refs/heads/")


def dirty_paths(repo: Path) -> list[str]:
    """Paths with tracked changes (staged or not) or untracked files, not ignored ones.

    Both sides of a staged rename are listed: each differs from HEAD.
    """
    # --no-optional-locks: this is often the user's own worktree; a status run by us
    # must not take index.lock from under the user's editor or shell.
    done = git(
        ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"], repo
    )
    fields = nul_split(done.out)
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        status, path = entry[:2], entry[3:]
        paths.append(path)
        i += 1
        if "R" in status or "C" in status:
            # A rename or copy is followed by its original path in its own field.
            paths.append(fields[i])
            i += 1
    return sorted(set(paths))


def worktree_of_branch(repo: Path, branch: str) -> Path | None:
    """The worktree that has `branch` checked out, if any (ignoring vanished ones)."""
    done = git(["worktree", "list", "--porcelain", "-z"], repo)
    wanted = f"branch refs/heads/{branch}"
    record: list[str] = []
    # Records are NUL-terminated lines, each record ended by an empty one.
    for field in [*nul_split(done.out), ""]:
        if field:
            record.append(field)
            continue
        if wanted in record and not any(f.startswith("prunable") for f in record):
            path = Path(record[0].removeprefix("worktree "))
            if path.is_dir():
                return path
        record = []
    return None


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    """True when `ancestor` is reachable from `descendant` (a commit is its own ancestor)."""
    done = git(["merge-base", "--is-ancestor", ancestor, descendant], repo, ok=(0, 1))
    return done.returncode == 0


def delete_branch(repo: Path, branch: str) -> None:
    """Delete a local branch even if unmerged; a missing branch is not an error.

    A branch checked out in some worktree is refused by git (GitError): release the
    pool slot first.
    """
    check_branch_name(branch)
    done = git(["branch", "--quiet", "-D", branch], repo, ok=(0, 1))
    if done.returncode == 0:
        return
    # Decide by looking, not by parsing the message: another process may have
    # deleted it between our call and now, which is fine too.
    exists = git(["show-ref", "--verify", "--quiet", f"refs/heads/{branch}"], repo, ok=(0, 1))
    if exists.returncode == 0:
        raise GitError(f"cannot delete branch {branch!r}: {done.first_error_line()}")


def branches(repo: Path, prefix: str) -> list[str]:
    """Local branch names that start with `prefix` (a plain string, not a pattern)."""
    done = git(["for-each-ref", "--format=%(refname)", "refs/heads/"], repo)
    names = [line.removeprefix("refs/heads/") for line in done.out.splitlines() if line]
    return sorted(name for name in names if name.startswith(prefix))
