"""Which paths an agent's commands may write: its worktree and the parts of git a commit needs.

An attempt's worktree is a linked git worktree: its ``.git`` is a file pointing at
``<repo>/.git/worktrees/<name>``, and its objects and refs live in the main
repository's ``.git``. With only the worktree writable, ``git add`` and ``git commit``
fail inside the sandbox (they write the index and objects there), and agents that
commit as they go (Aider does by default, Codex and Claude may) break.

So these are writable too:

- ``<repo>/.git/worktrees/<name>`` — this worktree's index and HEAD;
- ``<repo>/.git/objects``, ``refs`` and ``logs`` — new objects, branch tips, reflogs.

An agent can therefore move branches, its own or others. That is accepted: specloop
resolves the base to a commit SHA once per attempt, collapses whatever the agent
committed into its own commit of the worktree's files, and never trusts a ref an agent
wrote. What stays read-only is what would let an agent run code *outside* the sandbox
later, when specloop itself runs git in the repository: ``.git/config`` (``core.fsmonitor``,
``core.hooksPath``, filter drivers, ``core.sshCommand``), ``.git/hooks`` and ``.git/info``,
and of course the main worktree's files and everything else on the disk. Binding the
whole ``.git`` writable would have been simpler and would hand the agent exactly those.

Limits: a repository with ``extensions.worktreeConfig`` reads a per-worktree config from
the writable worktree directory; specloop's worktrees never enable it. When the
"worktree" is a plain checkout (its ``.git`` is a directory inside it), git's files are
inside the writable tree; this module then adds nothing, and that setup is for tests.
"""

from __future__ import annotations

from pathlib import Path

from specloop.gitops import GitError, run_git

# The directories of the common .git that `git add` / `git commit` write into.
_COMMIT_DIRS = ("objects", "refs", "logs")


def writable_roots(worktree: Path) -> list[Path]:
    """The worktree, plus the git directories its commits write when it is a linked worktree."""
    roots = [worktree]
    try:
        out = run_git(
            [
                "rev-parse",
                "--path-format=absolute",
                "--show-toplevel",
                "--git-dir",
                "--git-common-dir",
            ],
            worktree,
        )
    except GitError:
        return roots  # not a git checkout: nothing of git to allow
    top, git_dir, common = (Path(line) for line in out.splitlines()[:3])
    if top.resolve() != worktree.resolve():
        # A plain directory inside some other repository: that repository is not ours
        # to open up.
        return roots
    if git_dir.resolve() == common.resolve():
        return roots  # a main checkout: its .git is already inside the worktree
    roots.append(git_dir)
    for name in _COMMIT_DIRS:
        path = common / name
        # git creates logs/ lazily; a bind needs it to exist, and creating it early is
        # exactly what git would do.
        path.mkdir(exist_ok=True)
        roots.append(path)
    return roots
