"""Scope: the attempt changed something, and only files its task declared."""

from __future__ import annotations

from collections.abc import Sequence

from specloop.artifacts import Task, matches
from specloop.gitops import FileChange
from specloop.verify._result import CheckResult, CheckStatus

_VERBS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type changed",
}


def status_letter(change: FileChange) -> str:
    """`A`, `M`, `D`, `R`, `C` or `T`, whether git's letter (with a rename score) or a word."""
    return str(change.status)[:1].upper()


def touched_paths(change: FileChange) -> list[str]:
    """Both sides of a rename or copy, else the one path."""
    if change.old_path and change.old_path != change.path:
        return [change.old_path, change.path]
    return [change.path]


def _describe(change: FileChange) -> str:
    verb = _VERBS.get(status_letter(change), str(change.status))
    if change.old_path and change.old_path != change.path:
        return f"{change.old_path} -> {change.path} ({verb})"
    return f"{change.path} ({verb})"


def check_changes(changes: Sequence[FileChange]) -> CheckResult:
    """An attempt that changed nothing did not do its task, whatever its criteria say."""
    if not changes:
        return CheckResult(
            "changes",
            "scope",
            CheckStatus.FAILED,
            blocking=True,
            output="the attempt changed nothing",
        )
    count = len(changes)
    return CheckResult(
        "changes",
        "scope",
        CheckStatus.PASSED,
        blocking=True,
        output=f"{count} file{'s' if count != 1 else ''} changed",
    )


def check_scope(task: Task, changes: Sequence[FileChange]) -> CheckResult:
    """Every changed path (both sides of a rename or copy) matches a Files to Modify entry.

    A rename from an in-scope path to an out-of-scope one is a violation too: moving a
    file is a change at its destination.
    """
    patterns = task.scope_patterns
    offenders: list[str] = []
    for change in changes:
        outside = [p for p in touched_paths(change) if not any(matches(s, p) for s in patterns)]
        if outside:
            offenders.append(f"  {_describe(change)}: outside the scope: {', '.join(outside)}")
    if not offenders:
        return CheckResult(
            "scope",
            "scope",
            CheckStatus.PASSED,
            blocking=True,
            output=f"all {len(changes)} changed files are in the task's Files to Modify",
        )
    declared = "\n".join(f"  {pattern}" for pattern in patterns) or "  (none)"
    output = (
        f"{len(offenders)} changed file{'s' if len(offenders) != 1 else ''} outside the task's "
        f"Files to Modify:\n" + "\n".join(offenders) + f"\nFiles to Modify:\n{declared}"
    )
    return CheckResult("scope", "scope", CheckStatus.FAILED, blocking=True, output=output)
