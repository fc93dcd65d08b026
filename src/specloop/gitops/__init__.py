"""specloop.gitops: plain `git` through subprocess, in one small typed module.

Later issues add worktrees, commits, diffs and merges here; for now it answers
"which repository is this" and "which files does git know".
"""

from specloop.gitops._git import (
    GitError,
    GitNotInstalled,
    NotAGitRepository,
    ls_files,
    repo_root,
    run_git,
)

__all__ = ["GitError", "GitNotInstalled", "NotAGitRepository", "ls_files", "repo_root", "run_git"]
