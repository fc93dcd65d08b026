"""The unified diff as reviewers see it: per-file hunks with line numbers, and chunks.

The text comes from ``gitops.diff_text`` (``git diff-tree -p``, 3 lines of context,
``a/``/``b/`` prefixes). Each hunk keeps its old and new line spans: a finding must
overlap one of them to count (reviewers flag what the change touched, never
pre-existing code). Binary files have no hunks and are listed as not reviewed.

Reviewers get the diff with the new file's line number printed on every line, so the
line ranges they cite are read off the page instead of counted from ``@@`` headers.
A diff too large for one call is split into chunks (between files, then between
hunks, then inside a hunk); chunks past the budget are named, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_BINARY = re.compile(r"^Binary files (.+) and (.+) differ$")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk: kind ``+``, ``-`` or `` `` (context) and its line numbers."""

    kind: str
    old_no: int | None
    new_no: int | None
    text: str


@dataclass
class Hunk:
    """One ``@@`` hunk: where it starts and how many lines it spans on each side."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: list[DiffLine] = field(default_factory=list)


@dataclass
class DiffFile:
    """One changed path. ``status`` is added, deleted, modified or renamed."""

    path: str
    old_path: str | None
    status: str
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)

    def spans(self) -> list[tuple[int, int]]:
        """The inclusive line ranges a finding may point at.

        New-file ranges, except for a deleted file, whose only lines are the old ones.
        """
        out = []
        for hunk in self.hunks:
            start, count = (
                (hunk.old_start, hunk.old_count)
                if self.status == "deleted"
                else (hunk.new_start, hunk.new_count)
            )
            if count > 0:
                out.append((start, start + count - 1))
            elif start > 0:
                # A pure deletion inside a file: the lines around the gap are the change.
                out.append((start, start + 1))
        return out

    def overlaps(self, start: int, end: int) -> bool:
        """Whether the inclusive range ``start..end`` touches a line this diff changed."""
        return any(start <= span_end and span_start <= end for span_start, span_end in self.spans())


def parse_diff(text: str) -> list[DiffFile]:
    """Every file of a ``git diff-tree -p`` patch, in the patch's order."""
    files: list[DiffFile] = []
    current: DiffFile | None = None
    hunk: Hunk | None = None
    old_no = new_no = old_left = new_left = 0
    for line in text.split("\n"):
        if hunk is not None and (old_left > 0 or new_left > 0):
            # Inside a hunk its header's counts decide what a line is: an added line
            # may itself start with "+++ " or "diff --git ".
            kind = line[:1] or " "
            if kind == "+":
                hunk.lines.append(DiffLine("+", None, new_no, line[1:]))
                new_no += 1
                new_left -= 1
                continue
            if kind == "-":
                hunk.lines.append(DiffLine("-", old_no, None, line[1:]))
                old_no += 1
                old_left -= 1
                continue
            if kind == " ":
                hunk.lines.append(DiffLine(" ", old_no, new_no, line[1:]))
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
                continue
        if line.startswith("diff --git "):
            current = DiffFile(_git_line_path(line[len("diff --git ") :]), None, "modified")
            files.append(current)
            hunk = None
        elif current is None:
            continue
        elif line.startswith("new file mode"):
            current.status = "added"
        elif line.startswith("deleted file mode"):
            current.status = "deleted"
        elif line.startswith("rename from "):
            current.old_path = _unquote(line[len("rename from ") :])
            current.status = "renamed"
        elif line.startswith("rename to "):
            current.path = _unquote(line[len("rename to ") :])
        elif line.startswith("--- ") and hunk is None:
            old = _header_path(line[4:])
            if old is not None and current.status == "deleted":
                current.path = old
        elif line.startswith("+++ ") and hunk is None:
            new = _header_path(line[4:])
            if new is not None:
                current.path = new
        elif _BINARY.match(line):
            current.binary = True
        elif line.startswith("@@ "):
            match = _HUNK.match(line)
            if match is None:
                continue
            old_no, new_no = int(match.group(1)), int(match.group(3))
            old_left = int(match.group(2) or "1")
            new_left = int(match.group(4) or "1")
            hunk = Hunk(old_no, old_left, new_no, new_left)
            current.hunks.append(hunk)
    return files


def _git_line_path(rest: str) -> str:
    """The path of a ``diff --git a/P b/P`` line (later headers refine it).

    Both halves name the same path unless the file was renamed, in which case the
    ``rename to`` header follows; splitting in the middle is the only unambiguous
    reading when the path contains spaces.
    """
    if rest.startswith('"'):
        closing = rest.find('" ', 1)
        return _unquote(rest[closing + 2 :]).removeprefix("b/") if closing > 0 else rest
    half = (len(rest) - 1) // 2
    left, right = rest[:half], rest[half + 1 :]
    if left.startswith("a/") and right.startswith("b/") and left[2:] == right[2:]:
        return right[2:]
    return rest.rsplit(" b/", 1)[-1]


def _header_path(value: str) -> str | None:
    """``a/x`` or ``b/x`` of a ``---``/``+++`` header; None for /dev/null."""
    value = value.rstrip("\t")
    if value == "/dev/null":
        return None
    path = _unquote(value)
    return path[2:] if path[:2] in ("a/", "b/") else path


def _unquote(value: str) -> str:
    """Undo git's C-style quoting of a path (``"b/t\\303\\251st"``); plain paths pass."""
    if not (value.startswith('"') and value.endswith('"') and len(value) >= 2):
        return value
    body, out, i = value[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            following = body[i + 1]
            if following in _ESCAPES:
                out.append(_ESCAPES[following])
                i += 2
                continue
            if body[i + 1 : i + 4].isdigit():
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
        out.extend(char.encode("utf-8"))
        i += 1
    return out.decode("utf-8", errors="replace")


# -- what a reviewer reads, and in how many calls ---------------------------------------


@dataclass(frozen=True)
class Segment:
    """A piece of one file's diff as shown to a reviewer, and the lines it covers."""

    path: str
    text: str
    first_line: int
    last_line: int

    @property
    def where(self) -> str:
        """``path lines A-B`` for messages about what was (not) reviewed."""
        return f"{self.path} lines {self.first_line}-{self.last_line}"


@dataclass(frozen=True)
class Chunk:
    """The segments one reviewer call reads."""

    number: int
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The segments' text in order."""
        return "\n".join(segment.text for segment in self.segments)


def _file_header(diff: DiffFile) -> str:
    moved = f" (renamed from {diff.old_path})" if diff.old_path else ""
    numbers = "old file" if diff.status == "deleted" else "new file"
    return f"### {diff.path} [{diff.status}]{moved}; line numbers are those of the {numbers}\n"


def _render_line(line: DiffLine, deleted_file: bool) -> str:
    number = line.old_no if deleted_file else line.new_no
    shown = f"{number:>6}" if number is not None else " " * 6
    return f"{shown} |{line.kind}{line.text}"


def _pieces(diff: DiffFile, max_chars: int) -> list[Segment]:
    """One file's hunks as segments of at most about ``max_chars`` characters each."""
    deleted = diff.status == "deleted"
    header = _file_header(diff)
    out: list[Segment] = []
    lines: list[str] = []
    numbers: list[int] = []
    size = len(header)

    def flush() -> None:
        nonlocal lines, numbers, size
        if lines:
            first, last = (min(numbers), max(numbers)) if numbers else (0, 0)
            out.append(Segment(diff.path, header + "\n".join(lines), first, last))
        lines, numbers, size = [], [], len(header)

    for hunk in diff.hunks:
        marker = f"@@ -{hunk.old_start},{hunk.old_count} +{hunk.new_start},{hunk.new_count} @@"
        if size + len(marker) + 1 > max_chars:
            flush()
        lines.append(marker)
        size += len(marker) + 1
        for line in hunk.lines:
            rendered = _render_line(line, deleted)
            if size + len(rendered) + 1 > max_chars and len(lines) > 1:
                flush()
                lines.append(f"{marker} (continued)")
                size += len(lines[0]) + 1
            lines.append(rendered)
            size += len(rendered) + 1
            number = line.old_no if deleted else line.new_no
            if number is not None:
                numbers.append(number)
    flush()
    return out


def chunk_files(files: list[DiffFile], max_chars: int) -> list[Chunk]:
    """The reviewable files' segments packed, in order, into chunks of about ``max_chars``."""
    chunks: list[Chunk] = []
    pending: list[Segment] = []
    size = 0
    for diff in files:
        if diff.binary or not diff.hunks:
            continue
        for segment in _pieces(diff, max_chars):
            if pending and size + len(segment.text) + 1 > max_chars:
                chunks.append(Chunk(len(chunks) + 1, tuple(pending)))
                pending, size = [], 0
            pending.append(segment)
            size += len(segment.text) + 1
    if pending:
        chunks.append(Chunk(len(chunks) + 1, tuple(pending)))
    return chunks
