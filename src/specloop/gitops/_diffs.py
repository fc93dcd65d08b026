"""What changed between two commits: files, text, line counts, added lines.

Everything goes through `git diff-tree` (plumbing): unlike `git diff` it ignores the
user's diff.* settings (noprefix, external tools, algorithm, colour), so the output
has one shape on every machine. Renames are detected (-M) and reported as renames.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from specloop.gitops._git import git, nul_split

# Options for every patch we read: no external programs (an agent could configure a
# textconv or external diff driver), fixed a/ and b/ prefixes for the parser.
_PATCH = (
    "-p",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)

_HUNK = re.compile(rb"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
    ord('"'): ord('"'),
    ord("\\"): ord("\\"),
}


@dataclass(frozen=True)
class FileChange:
    """One changed path: status A, M, D, R, C or T; `old_path` for renames and copies."""

    status: str
    path: str
    old_path: str | None = None


def _diff_tree(repo: Path, base: str, head: str, *options: str) -> bytes:
    return git(["diff-tree", "-r", "-M", *options, base, head, "--"], repo).stdout


NumstatRow = tuple[int | None, int | None, str]


@dataclass(frozen=True)
class DiffSummary:
    """Which paths changed and by how many lines, from one `git diff-tree` call."""

    changes: list[FileChange]
    numstat: list[NumstatRow]


def diff_summary(repo: Path, base: str, head: str) -> DiffSummary:
    """`changed_files` and `numstat` together: `--raw --numstat -z` prints both lists.

    Raw entries start with `:` (modes, ids, status) and are followed by their path(s);
    numstat entries are `added<TAB>deleted<TAB>path`, or an empty path followed by the
    old and new paths of a rename. Read in order, a path field is never mistaken for a
    header, even a path that itself starts with `:`.
    """
    fields = nul_split(os.fsdecode(_diff_tree(repo, base, head, "--raw", "--numstat", "-z")))
    changes: list[FileChange] = []
    rows: list[NumstatRow] = []
    i = 0
    while i < len(fields):
        field = fields[i]
        if field.startswith(":"):
            status = field.split()[-1][:1]  # "R087" -> "R": the similarity score is not kept
            if status in ("R", "C"):
                changes.append(FileChange(status, fields[i + 2], fields[i + 1]))
                i += 3
            else:
                changes.append(FileChange(status, fields[i + 1]))
                i += 2
            continue
        added, deleted, path = field.split("\t", 2)
        i += 1
        if not path:  # a rename: old and new path follow in their own fields
            path = fields[i + 1]
            i += 2
        rows.append((_count(added), _count(deleted), path))
    return DiffSummary(changes, rows)


def changed_files(repo: Path, base: str, head: str) -> list[FileChange]:
    """The paths that differ from `base` to `head`, renames as R with their old path."""
    return diff_summary(repo, base, head).changes


def numstat(repo: Path, base: str, head: str) -> list[NumstatRow]:
    """(added, deleted, path) per changed file; (None, None, path) for a binary file."""
    return diff_summary(repo, base, head).numstat


def diff_text(repo: Path, base: str, head: str) -> str:
    """The unified diff from `base` to `head` (renames shown as renames).

    Bytes that are not UTF-8 become U+FFFD: this text is for people and reviewers.
    """
    return _diff_tree(repo, base, head, *_PATCH).decode("utf-8", errors="replace")


def _count(field: str) -> int | None:
    return None if field == "-" else int(field)


def added_lines(repo: Path, base: str, head: str) -> dict[str, list[tuple[int, str]]]:
    """Per path in `head`, the (line number, text) of every added line.

    Parsed from a zero-context patch. Paths with no added lines (deletions, pure
    renames, binary files) are absent. Text has its newline removed; bytes that are
    not UTF-8 become U+FFFD.
    """
    patch = _diff_tree(repo, base, head, *_PATCH, "-U0")
    result: dict[str, list[tuple[int, str]]] = {}
    path: str | None = None
    new_line = old_left = new_left = 0
    for line in patch.split(b"\n"):
        if old_left or new_left:
            # Inside a hunk the counts from its header decide what a line is: an added
            # line may itself start with "+++ " or "@@ ".
            if line.startswith(b"+"):
                if path is not None:
                    result.setdefault(path, []).append(
                        (new_line, line[1:].decode("utf-8", errors="replace"))
                    )
                new_line += 1
                new_left -= 1
                continue
            if line.startswith(b"-"):
                old_left -= 1
                continue
        if line.startswith(b"diff --git "):
            path = None
        elif line.startswith(b"+++ "):
            path = _header_path(line[4:])
        elif line.startswith(b"@@ "):
            match = _HUNK.match(line)
            if match is not None:
                old_left = int(match.group(2) or b"1")
                new_line = int(match.group(3))
                new_left = int(match.group(4) or b"1")
        # Anything else is header ("index", "---", modes, renames) or
        # "\ No newline at end of file": nothing to record.
    return result


def _header_path(field: bytes) -> str | None:
    """The path of a `+++ b/<path>` header; None for /dev/null (a deleted file)."""
    if field == b"/dev/null":
        return None
    if field.startswith(b'"'):
        raw = _unquote(field)
    else:
        # git appends a tab to names that contain a space (for GNU patch); a name that
        # really ends in a tab would have been quoted.
        raw = field[:-1] if field.endswith(b"\t") and b" " in field else field
    return os.fsdecode(raw.removeprefix(b"b/"))


def _unquote(field: bytes) -> bytes:
    """Undo git's C-style quoting of a path ("b/tab\\there", octal \\303\\251 ...)."""
    body = field[1 : field.rindex(b'"')] if field.count(b'"') > 1 else field[1:]
    out = bytearray()
    i = 0
    while i < len(body):
        byte = body[i]
        if byte != ord("\\") or i + 1 == len(body):
            out.append(byte)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif body[i + 1 : i + 4].isdigit():
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(nxt)
            i += 2
    return bytes(out)
