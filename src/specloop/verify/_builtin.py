"""Built-in checks over the diff: markers left behind, diff size, tests kept, file contents.

Everything is read from git (the commits), never from the worktree: the commands that
ran before may have left files there, and the verdict must be about what was committed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from specloop.gitops import FileChange
from specloop.verify._result import CheckResult, CheckStatus
from specloop.verify._scope import status_letter
from specloop.verify._secrets import mask_secrets, scan_added_lines

#: (rev, path) -> the file's text at that revision, or None (absent, binary, not UTF-8).
BlobReader = Callable[[str, str], str | None]
AddedLines = dict[str, list[tuple[int, str]]]

_MARKER = re.compile(r"\b(?:TODO|FIXME|XXX)\b")
_MAX_LISTED = 50
_MAX_LINE = 160
_TEST_NAME = re.compile(
    r"^(?:test_.*\.py|.*_test\.py|.*_test\.go|.*\.(?:test|spec)\.(?:[cm]?[jt]sx?))$"
)
_TEST_DEFINITION = re.compile(
    r"^\s*(?:(?:async\s+)?def\s+test|class\s+Test|func\s+Test"
    r"|(?:it|test|describe)(?:\.\w+)?\s*\()",
    re.MULTILINE,
)


def listing(items: Sequence[str]) -> str:
    """Indented lines, at most 50, then how many more."""
    shown = [f"  {item}" for item in items[:_MAX_LISTED]]
    if len(items) > _MAX_LISTED:
        shown.append(f"  ... and {len(items) - _MAX_LISTED} more")
    return "\n".join(shown)


def _excerpt(text: str) -> str:
    text = mask_secrets(text.strip())
    return text if len(text) <= _MAX_LINE else text[: _MAX_LINE - 1] + "…"


def check_no_todos(added: AddedLines) -> CheckResult:
    """No TODO, FIXME or XXX on an added line (markers already there are not the attempt's)."""
    hits = [
        f"{path}:{number}: {_excerpt(text)}"
        for path in sorted(added)
        for number, text in added[path]
        if _MARKER.search(text)
    ]
    if not hits:
        return CheckResult(
            "no-todos", "builtin", CheckStatus.PASSED, True, "no TODO/FIXME/XXX added"
        )
    output = f"{len(hits)} added line(s) with TODO/FIXME/XXX:\n{listing(hits)}"
    return CheckResult("no-todos", "builtin", CheckStatus.FAILED, True, output)


def check_diff_budget(
    numstat: Sequence[tuple[int | None, int | None, str]], budget: int
) -> CheckResult:
    """Lines added plus deleted stay within the budget (binary files count as 0 lines)."""
    added = sum(row[0] or 0 for row in numstat)
    deleted = sum(row[1] or 0 for row in numstat)
    binary = sorted(path for a, d, path in numstat if a is None or d is None)
    output = f"{added + deleted} lines changed ({added} added, {deleted} deleted); budget {budget}"
    if binary:
        output += f"\nbinary files (not counted): {', '.join(binary)}"
    status = CheckStatus.PASSED if added + deleted <= budget else CheckStatus.FAILED
    if status is CheckStatus.FAILED:
        output += (
            "\nsplit the work into smaller tasks or raise diff_budget in .specloop/config.toml"
        )
    return CheckResult("diff-budget", "builtin", status, True, output)


def is_test_path(path: str) -> bool:
    """A file under a `tests/` or `test/` directory, or named like a test file."""
    pure = PurePosixPath(path)
    return any(part in ("tests", "test") for part in pure.parts[:-1]) or bool(
        _TEST_NAME.match(pure.name)
    )


def _emptied(before: str | None, after: str | None) -> str | None:
    """Why the test file's new content no longer tests anything, or None."""
    if after is None or before is None or not before.strip():
        return None
    if not after.strip():
        return "emptied"
    if _TEST_DEFINITION.search(before) and not _TEST_DEFINITION.search(after):
        return "every test in it removed"
    return None


def check_tests_kept(
    changes: Sequence[FileChange], read: BlobReader, base_sha: str, head_sha: str
) -> CheckResult:
    """No test file deleted, moved out of the tests, emptied, or stripped of all its tests."""
    problems: list[str] = []
    for change in changes:
        letter = status_letter(change)
        old = change.old_path or change.path
        if not is_test_path(old) or letter in ("A", "C"):
            continue
        if letter == "D":
            problems.append(f"{change.path}: deleted")
        elif not is_test_path(change.path):
            problems.append(f"{old}: moved out of the tests to {change.path}")
        else:
            why = _emptied(read(base_sha, old), read(head_sha, change.path))
            if why:
                problems.append(f"{change.path}: {why}")
    if not problems:
        return CheckResult("tests-kept", "builtin", CheckStatus.PASSED, True, "no test removed")
    output = f"{len(problems)} test file(s) removed or emptied:\n{listing(problems)}"
    return CheckResult("tests-kept", "builtin", CheckStatus.FAILED, True, output)


def check_no_secrets(added: AddedLines) -> CheckResult:
    """No credential on an added line; the output names file, line and kind, never the value."""
    hits = [f"{path}:{number}: {kind}" for path, number, kind in scan_added_lines(added)]
    if not hits:
        return CheckResult("no-secrets", "builtin", CheckStatus.PASSED, True, "no secrets added")
    output = (
        f"{len(hits)} secret-looking value(s) added (values not shown):\n{listing(hits)}\n"
        "remove them from the change and read secrets from the environment instead"
    )
    return CheckResult("no-secrets", "builtin", CheckStatus.FAILED, True, output)
