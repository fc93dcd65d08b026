"""An exclusive advisory lock on a file, for processes and threads alike."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold `fcntl.flock(LOCK_EX)` on `path` (created if missing) for the block;
    `LOCK_SH` with `shared=True` (many shared holders, or one exclusive).

    Every call opens its own file description, so two threads of one process exclude
    each other as two processes do; the kernel drops the lock if the holder dies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
