"""Writing the files a stage produced: all or nothing, never half a file.

Each file is written to a temporary sibling and renamed over the target (atomic on
POSIX). Ctrl-C is held back while the renames run, so an interrupt lands either before
any file changed or after all of them did.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType


def sha256(text: str) -> str:
    """Hex digest of `text` as UTF-8 (what the ledger records for written files)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_optional(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT until the block ends, then deliver it (main thread only)."""
    pending: list[tuple[int, FrameType | None]] = []
    try:
        previous = signal.signal(
            signal.SIGINT, lambda signum, frame: pending.append((signum, frame))
        )
    except ValueError:  # not the main thread: signals cannot be handled here anyway
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            raise KeyboardInterrupt


def write_files(files: Mapping[Path, str]) -> None:
    """Write every file atomically; if any temporary write fails, none is replaced."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
            )
            staged.append((temporary, path))
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
        with interrupts_deferred():
            for temporary, path in staged:
                Path(temporary).replace(path)
            staged.clear()
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
