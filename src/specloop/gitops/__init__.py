"""specloop.gitops: plain `git` through subprocess, typed and safe for parallel use.

- `_git`: running git (`git -C <dir>`, LC_ALL=C, hooks off), errors.
- `_refs`: commits, branches, local changes, which worktree has a branch.
- `_worktrees`: the pool of reusable attempt worktrees.
- `_commits`: specloop's own commit of an attempt.
- `_diffs`: changed files, diff text, line counts, added lines.
- `_merge`: in-memory merge checks and serialized merges into the base branch.

DESIGN.md §4 ("Workspaces are pooled", "Git pitfalls") explains the rules these
follow: resolve the base once and branch from the SHA, serialize merges into the
base, never commit from a `--no-checkout` worktree, reuse worktrees.
"""

from specloop.gitops._commits import CommitOutcome, commit_attempt
from specloop.gitops._diffs import (
    DiffSummary,
    FileChange,
    added_lines,
    changed_files,
    diff_summary,
    diff_text,
    numstat,
)
from specloop.gitops._git import (
    GitError,
    GitNotInstalled,
    NotAGitRepository,
    ls_files,
    repo_root,
    run_git,
)
from specloop.gitops._merge import MergeCheck, MergeResult, merge_check, merge_into
from specloop.gitops._refs import (
    branches,
    current_branch,
    delete_branch,
    dirty_paths,
    is_ancestor,
    resolve,
    worktree_of_branch,
)
from specloop.gitops._worktrees import WorktreePool

__all__ = [
    "CommitOutcome",
    "DiffSummary",
    "FileChange",
    "GitError",
    "GitNotInstalled",
    "MergeCheck",
    "MergeResult",
    "NotAGitRepository",
    "WorktreePool",
    "added_lines",
    "branches",
    "changed_files",
    "commit_attempt",
    "current_branch",
    "delete_branch",
    "diff_summary",
    "diff_text",
    "dirty_paths",
    "is_ancestor",
    "ls_files",
    "merge_check",
    "merge_into",
    "numstat",
    "repo_root",
    "resolve",
    "run_git",
    "worktree_of_branch",
]
