"""Opening the SQLite file, its pragmas, write transactions and error translation.

Several specloop processes may use one ledger at once (``specloop run`` in one terminal,
``specloop status`` or the dashboard in another), so every connection waits for locks
instead of failing at once, and every write is a short ``BEGIN IMMEDIATE`` transaction:
taking the write lock up front means a transaction never has to upgrade from a read lock,
which in WAL mode fails with SQLITE_BUSY without waiting.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from specloop.ledger._records import LedgerError

# How long a statement waits for another process's lock before giving up. Writes are
# short, so 10 s only runs out when another process is stuck holding the lock.
BUSY_TIMEOUT_S = 10.0


def utc_now() -> str:
    """Return the current UTC time as ISO-8601 text with milliseconds, e.g. ``...T12:00:00.123Z``.

    A fixed width and a ``Z`` suffix make the text sort in time order.
    """
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error_name(exc: sqlite3.Error) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or "")


def ledger_error(path: Path, exc: sqlite3.Error) -> LedgerError:
    """Turn an sqlite3 error into a one-line LedgerError that names the database file."""
    name = _error_name(exc)
    text = str(exc)
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
        problem = "is closed"
    elif name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text:
        problem = f"is locked by another process (waited {BUSY_TIMEOUT_S:g} s): {text}"
    elif name.startswith("SQLITE_NOTADB") or "not a database" in text:
        problem = f"is not an SQLite database ({text}); move it aside to start a new ledger"
    elif name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        problem = f"is corrupt ({text}); move it aside to start a new ledger"
    elif name.startswith("SQLITE_READONLY") or "readonly" in text:
        problem = f"cannot be written ({text}); check the permissions of the file and folder"
    elif name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        problem = (
            f"cannot be opened ({text}); check the permissions of the file and its folder"
            " (writing also needs the folder to be writable)"
        )
    else:
        problem = f"failed: {text}"
    return LedgerError(f"ledger {path} {problem}")


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Re-raise any sqlite3 error inside the block as a LedgerError naming ``path``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise ledger_error(path, exc) from exc


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return _error_name(exc).startswith("SQLITE_BUSY") or "locked" in str(exc)


def connect_rw(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) a read-write connection with the ledger's pragmas set.

    ``isolation_level=None`` turns off the sqlite3 module's implicit transactions so the
    ledger controls them itself; ``check_same_thread=False`` because the Ledger object
    serialises its own use of the connection with a lock.
    """
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        _enable_wal(conn)
        # NORMAL is durable in WAL mode except for the last commits before a power loss,
        # and avoids an fsync per event.
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    # Switching a fresh file to WAL needs an exclusive lock. When several processes open a
    # brand-new ledger at the same moment, SQLite can report "locked" here without calling
    # the busy handler, so retry until the busy timeout instead of failing.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            row = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
            continue
        if row is not None and str(row[0]).lower() == "wal":
            return
        # Another process held a lock, so the mode did not change yet; try again.
        if time.monotonic() >= deadline:
            raise sqlite3.OperationalError(f"could not switch to WAL mode (still {row})")
        time.sleep(0.01)


def connect_ro(path: Path) -> sqlite3.Connection:
    """Open an existing database read-only, never creating the database file.

    In WAL mode even a reader needs the ``-shm`` file; if it cannot be created (the folder
    is read-only), fall back to ``immutable=1``, which reads the main file without any
    locking. That is safe there: nobody can write to a read-only folder either.
    """
    uri = path.absolute().as_uri()
    try:
        return _probe(f"{uri}?mode=ro")
    except sqlite3.OperationalError as exc:
        name = _error_name(exc)
        if not (name.startswith("SQLITE_CANTOPEN") or name.startswith("SQLITE_READONLY")):
            raise
    return _probe(f"{uri}?immutable=1")


def _probe(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    # Connecting is lazy: the file header and the -shm file are only touched by the first
    # statement, so run one here to surface "not a database" or "cannot open" now.
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block inside ``BEGIN IMMEDIATE ... COMMIT``; roll back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            # A failed rollback must not hide the error that caused it.
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
