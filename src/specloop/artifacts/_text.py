"""Reading user files as text, refusing binary, oversized and non-UTF-8 input clearly."""

from __future__ import annotations

from pathlib import Path

from specloop.artifacts._diagnostics import ParseError

#: Task files are small contracts; anything this large is almost certainly a mistake.
MAX_TEXT_BYTES = 1024 * 1024
UNREADABLE = "F001"


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{size / 1024:.1f} KiB"


def relative_path(path: Path, root: Path | None) -> str:
    """`path` relative to `root` in POSIX form, for messages; as given when outside it."""
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(path)


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (an optional BOM is dropped), naming the line of the first bad byte."""
    if b"\0" in data[:8192]:
        raise ParseError(
            "binary file (contains NUL bytes), not Markdown text", line=1, code=UNREADABLE
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}); save the file as UTF-8",
            line=line,
            column=column,
            code=UNREADABLE,
        ) from None
    return text.removeprefix("\ufeff")


def read_text(path: Path, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Read `path` as UTF-8 text; raise ParseError (line 1 unless the bad byte says otherwise)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ParseError(
                f"file is {_human_size(size)}; the limit is {_human_size(max_bytes)}",
                line=1,
                code=UNREADABLE,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", line=1, code=UNREADABLE) from None
    return decode_text(data)
