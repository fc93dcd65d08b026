"""The Codex ``apply_patch`` format: a parser and an all-or-nothing applier.

The grammar (executor-clis.md §3.12)::

    *** Begin Patch
    *** Add File: PATH            then lines "+TEXT"
    *** Delete File: PATH
    *** Update File: PATH
    [*** Move to: PATH]
    @@ [ANCHOR]                   then lines " CONTEXT", "-OLD", "+NEW"
    [*** End of File]
    *** End Patch

Applying is in two phases: every operation is first carried out on an in-memory view
of the files it touches, so a hunk that does not match anywhere stops the whole patch
before a single byte is written; only then are the files written.

Matching is as forgiving as Codex's: a hunk's lines are looked for exactly, then
ignoring trailing whitespace, then ignoring surrounding whitespace, always in file order
after the previous hunk. ``@@ ANCHOR`` lines (several allowed, to narrow down a
repeated block) first move the search to the line matching the anchor.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from specloop.executors._paths import PathRefused, confine

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
END_OF_FILE = "*** End of File"

# Models sometimes send the shell form `apply_patch <<'EOF' ... EOF`; the patch inside
# is what they meant, so the wrapper is dropped rather than refused.
_HEREDOC = re.compile(r"""^(?:apply_patch\s+)?<<\s*(['"]?)(\w+)\1\s*$""")


class PatchError(ValueError):
    """A patch that cannot be parsed or applied; nothing was written.

    The message starts with ``apply_patch:`` and names the file and the line or the
    context that was wrong, so a model can correct its next patch.
    """


@dataclass(frozen=True)
class Chunk:
    """One ``@@`` section of an Update: where it goes and what it changes.

    ``old`` is the context and removed lines in order, ``new`` the context and added
    lines; replacing ``old`` by ``new`` is the whole change.
    """

    anchors: tuple[str, ...]
    old: tuple[str, ...]
    new: tuple[str, ...]
    end_of_file: bool = False


@dataclass(frozen=True)
class AddFile:
    """Create ``path`` with ``lines``; the file must not exist."""

    path: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DeleteFile:
    """Remove ``path``; the file must exist."""

    path: str


@dataclass(frozen=True)
class UpdateFile:
    """Change ``path`` by ``chunks`` and optionally rename it to ``move_to``."""

    path: str
    chunks: tuple[Chunk, ...]
    move_to: str | None = None


Operation = AddFile | DeleteFile | UpdateFile


# --- parsing ----------------------------------------------------------------------------


def parse_patch(text: str) -> list[Operation]:
    """The operations of a patch, in order; PatchError naming the line when malformed."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    start, stop = 0, len(lines)
    while start < stop and not lines[start].strip():
        start += 1
    while stop > start and not lines[stop - 1].strip():
        stop -= 1
    if stop - start >= 2 and _HEREDOC.match(lines[start].strip()):
        marker = _HEREDOC.match(lines[start].strip())
        assert marker is not None
        if lines[stop - 1].strip() == marker.group(2):
            start, stop = start + 1, stop - 1
    if start == stop or lines[start].strip() != BEGIN:
        raise PatchError(f"apply_patch: the patch must start with a line {BEGIN!r}")
    if stop - start < 2 or lines[stop - 1].strip() != END:
        raise PatchError(f"apply_patch: the patch must end with a line {END!r}")
    return _Parser(lines, start + 1, stop - 1).operations()


class _Parser:
    """Reads the lines between Begin and End Patch; ``at`` is the next line's index."""

    def __init__(self, lines: list[str], start: int, stop: int) -> None:
        self.lines = lines
        self.at = start
        self.stop = stop

    def fail(self, message: str) -> PatchError:
        return PatchError(f"apply_patch: line {self.at + 1}: {message}")

    def operations(self) -> list[Operation]:
        found: list[Operation] = []
        while self.at < self.stop:
            line = self.lines[self.at]
            if not line.strip():
                self.at += 1
            elif line.startswith(ADD):
                found.append(self.add(self.path_of(line, ADD)))
            elif line.startswith(DELETE):
                self.at += 1
                found.append(DeleteFile(self.path_of(line, DELETE)))
            elif line.startswith(UPDATE):
                found.append(self.update(self.path_of(line, UPDATE)))
            elif line.startswith("***"):
                raise self.fail(
                    f"unknown operation {line!r}; expected {ADD.strip()}, {DELETE.strip()}"
                    f" or {UPDATE.strip()}"
                )
            else:
                raise self.fail(f"expected a file operation such as {UPDATE!r}, got {line!r}")
        if not found:
            raise PatchError("apply_patch: the patch has no file operations")
        return found

    def path_of(self, line: str, prefix: str) -> str:
        path = line[len(prefix) :].strip()
        if not path:
            raise self.fail(f"{prefix.strip()} needs a file path")
        return path

    def add(self, path: str) -> AddFile:
        self.at += 1
        content: list[str] = []
        implicit = 0  # blank lines without '+' at the end so far
        while self.at < self.stop and not self.lines[self.at].startswith("***"):
            line = self.lines[self.at]
            if line.startswith("+"):
                content.append(line[1:])
                implicit = 0
            elif line.strip():
                raise self.fail(
                    f"{line!r} in the Add File section of {path}: every line starts with '+'"
                )
            else:
                content.append("")  # a blank line whose '+' the model left out
                implicit += 1
            self.at += 1
        # Blank lines before the next operation separate it; they are not file text.
        return AddFile(path, tuple(content[: len(content) - implicit]))

    def update(self, path: str) -> UpdateFile:
        self.at += 1
        move_to = None
        if self.at < self.stop and self.lines[self.at].startswith(MOVE):
            move_to = self.path_of(self.lines[self.at], MOVE)
            self.at += 1
        chunks: list[Chunk] = []
        while self.at < self.stop:
            line = self.lines[self.at]
            if line.startswith("***") and line.strip() != END_OF_FILE:
                break
            chunks.append(self.chunk(path, first=not chunks))
        if not chunks and move_to is None:
            raise PatchError(f"apply_patch: {path}: the Update File section has no changes")
        return UpdateFile(path, tuple(chunks), move_to)

    def chunk(self, path: str, *, first: bool) -> Chunk:
        anchors: list[str] = []
        headed = False
        while self.at < self.stop and self.lines[self.at].startswith("@@"):
            line = self.lines[self.at]
            if line.strip() != "@@":
                if not line.startswith("@@ "):
                    raise self.fail(f"{line!r}: write the anchor as '@@ TEXT'")
                anchors.append(line[3:])
            headed = True
            self.at += 1
        if not headed and not first:
            raise self.fail(f"in {path}: a new hunk starts with an '@@' line")
        old: list[str] = []
        new: list[str] = []
        implicit = 0  # blank lines without a ' ' at the end so far
        end_of_file = False
        while self.at < self.stop:
            line = self.lines[self.at]
            if line.strip() == END_OF_FILE:
                end_of_file = True
                self.at += 1
                break
            if line.startswith(("@@", "***")):
                break
            kind, body = (line[:1], line[1:]) if line else (" ", "")
            implicit = implicit + 1 if not line else 0
            if kind == " ":
                old.append(body)
                new.append(body)
            elif kind == "-":
                old.append(body)
            elif kind == "+":
                new.append(body)
            else:
                raise self.fail(
                    f"{line!r} in the Update File section of {path}: every line starts with"
                    " ' ' (context), '-' (remove), '+' (add), '@@' or '*** End of File'"
                )
            self.at += 1
        if implicit:
            # Blank lines before the next operation separate it; they are not context.
            del old[len(old) - implicit :], new[len(new) - implicit :]
        if not old and not new:
            raise self.fail(f"in {path}: a hunk has no lines")
        return Chunk(tuple(anchors), tuple(old), tuple(new), end_of_file)


# --- applying ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One file the patch changed: ``kind`` is A (added), M (modified) or D (deleted)."""

    kind: str
    path: str
    moved_from: str | None = None


def apply_patch(text: str, root: Path) -> list[Change]:
    """Parse ``text`` and apply it under ``root``, all or nothing; PatchError on any problem."""
    operations = parse_patch(text)
    view = _View(root)
    changes = [view.apply(operation) for operation in operations]
    view.write()
    return changes


def describe(changes: Sequence[Change]) -> str:
    """The tool's answer for an applied patch, in Codex's words."""
    lines = ["Success. Updated the following files:"]
    for change in changes:
        moved = f" (moved from {change.moved_from})" if change.moved_from else ""
        lines.append(f"{change.kind} {change.path}{moved}")
    return "\n".join(lines)


class _View:
    """The files a patch touches as they would be after it: path -> text, None = absent."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[Path, str | None] = {}
        self.order: list[Path] = []

    def path(self, relative: str) -> Path:
        try:
            return confine(self.root, relative)
        except PathRefused as exc:
            raise PatchError(f"apply_patch: {exc}") from None

    def read(self, path: Path, shown: str) -> str | None:
        if path in self.files:
            return self.files[path]
        if path.is_dir():
            raise PatchError(f"apply_patch: {shown}: is a directory")
        if not path.exists():
            return None
        try:
            return path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise PatchError(f"apply_patch: {shown}: not a UTF-8 text file") from None
        except OSError as exc:
            raise PatchError(f"apply_patch: {shown}: cannot read: {exc.strerror}") from None

    def set(self, path: Path, text: str | None) -> None:
        if path not in self.files:
            self.order.append(path)
        self.files[path] = text

    def apply(self, operation: Operation) -> Change:
        name = operation.path
        path = self.path(name)
        current = self.read(path, name)
        if isinstance(operation, AddFile):
            if current is not None:
                raise PatchError(
                    f"apply_patch: {name}: file already exists (use {UPDATE.strip()} to change it)"
                )
            self.set(path, "".join(line + "\n" for line in operation.lines))
            return Change("A", name)
        if current is None:
            verb = "delete" if isinstance(operation, DeleteFile) else "update"
            raise PatchError(f"apply_patch: {name}: no such file to {verb}")
        if isinstance(operation, DeleteFile):
            self.set(path, None)
            return Change("D", name)
        updated = update_text(name, current, operation.chunks) if operation.chunks else current
        if operation.move_to is None:
            self.set(path, updated)
            return Change("M", name)
        target = self.path(operation.move_to)
        if target != path and self.read(target, operation.move_to) is not None:
            raise PatchError(f"apply_patch: {operation.move_to}: file already exists (Move to)")
        self.set(path, None)
        self.set(target, updated)
        return Change("M", operation.move_to, moved_from=name)

    def write(self) -> None:
        """Write every file; on a failure put back what was already written."""
        originals: list[tuple[Path, bytes | None]] = []
        try:
            for path in self.order:
                originals.append((path, path.read_bytes() if path.is_file() else None))
                text = self.files[path]
                _put(path, None if text is None else text.encode("utf-8"))
        except OSError as exc:
            for path, data in reversed(originals):
                # Nothing better to do if this fails too; the error below names the first.
                with contextlib.suppress(OSError):
                    _put(path, data)
            where = os.path.relpath(exc.filename or self.root, self.root)
            raise PatchError(
                f"apply_patch: {where}: cannot write: {exc.strerror}; no file was changed"
            ) from None


def _put(path: Path, data: bytes | None) -> None:
    """Write ``data`` to ``path`` (creating directories), or remove ``path`` for None."""
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def update_text(name: str, text: str, chunks: Sequence[Chunk]) -> str:
    """``text`` with ``chunks`` applied in order; PatchError naming what did not match."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    if lines and lines[-1] == "":
        lines.pop()  # the final newline; it is written back below
    edits: list[tuple[int, int, Sequence[str]]] = []
    position = 0
    for chunk in chunks:
        for anchor in chunk.anchors:
            found = _seek(lines, [anchor], position, end_of_file=False)
            if found is None:
                raise PatchError(f"apply_patch: {name}: context not found: {anchor!r}")
            position = found + 1
        if not chunk.old:
            # Pure addition: after the anchor when there is one, else at the end.
            at = position if chunk.anchors else len(lines)
            edits.append((at, 0, chunk.new))
            continue
        old, new = list(chunk.old), list(chunk.new)
        found = _seek(lines, old, position, chunk.end_of_file)
        if found is None and old[-1] == "":
            # A trailing blank context line often stands for the file's last newline.
            old = old[:-1]
            new = new[:-1] if new and new[-1] == "" else new
            found = _seek(lines, old, position, chunk.end_of_file) if old else None
        if found is None:
            raise PatchError(_not_found(name, lines, list(chunk.old), position))
        edits.append((found, len(old), new))
        position = found + len(old)
    for at, count, replacement in reversed(edits):
        lines[at : at + count] = replacement
    return newline.join(lines) + newline if lines else ""


_NORMALIZERS: tuple[Callable[[str], str], ...] = (lambda s: s, str.rstrip, str.strip)


def _seek(
    lines: Sequence[str], pattern: Sequence[str], start: int, end_of_file: bool
) -> int | None:
    """Where ``pattern`` starts in ``lines`` at or after ``start``: exact, then looser."""
    size = len(pattern)
    last = len(lines) - size
    if size == 0 or last < start:
        return None
    order = list(range(start, last + 1))
    if end_of_file:
        order.insert(0, last)  # a hunk marked *** End of File belongs at the end
    for normalize in _NORMALIZERS:
        wanted = [normalize(line) for line in pattern]
        for at in order:
            if all(normalize(lines[at + k]) == wanted[k] for k in range(size)):
                return at
    return None


def _not_found(name: str, lines: Sequence[str], old: Sequence[str], position: int) -> str:
    """The error for a hunk that matched nowhere, naming its first line that is missing."""
    rest = {line.strip() for line in lines[position:]}
    missing = next((line for line in old if line.strip() not in rest), None)
    if missing is not None:
        return f"apply_patch: {name}: context not found: {missing!r}"
    after = f" after line {position}" if position else ""
    return (
        f"apply_patch: {name}: context not found: {old[0]!r} (every line of the hunk exists"
        f"{after}, but not together in this order)"
    )
