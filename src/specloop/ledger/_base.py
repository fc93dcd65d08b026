"""The part of the Ledger every operation shares: the connection, its lock and helpers."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from specloop.ledger._db import translate_errors, utc_now, write_transaction
from specloop.ledger._migrations import schema_version
from specloop.ledger._records import LedgerError


class LedgerBase:
    """Connection handling shared by the Ledger's groups of methods (see ``Ledger``)."""

    path: Path

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool) -> None:
        """Wrap an already-open connection; use ``open`` or ``open_existing`` instead."""
        self.path = path
        self._conn: sqlite3.Connection | None = conn
        self._readonly = readonly
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the database connection; calling it again does nothing."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self._readonly else "read-write"
        return f"<Ledger {str(self.path)!r} {mode}{'' if self._conn else ' closed'}>"

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock, translate_errors(self.path):
            if self._conn is None:
                raise LedgerError(f"ledger {self.path} is closed")
            yield self._conn

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        if self._readonly:
            raise LedgerError(f"ledger {self.path} was opened read-only; it cannot be written")
        with self._reading() as conn, write_transaction(conn):
            yield conn

    def _require(
        self,
        conn: sqlite3.Connection,
        *,
        run_id: int | None = None,
        task_id: str | None = None,
        attempt_id: int | None = None,
    ) -> None:
        # Foreign keys would refuse a dangling id too, but without saying which one.
        if run_id is not None and not _exists(conn, "runs", run_id):
            raise ValueError(f"unknown run {run_id!r} in ledger {self.path}")
        if task_id is not None and not _exists(conn, "tasks", task_id):
            raise ValueError(
                f"unknown task {task_id!r} in ledger {self.path}; call upsert_task first"
            )
        if attempt_id is not None:
            row = conn.execute("SELECT task_id FROM attempts WHERE id = ?", (attempt_id,))
            found = row.fetchone()
            if found is None:
                raise ValueError(f"unknown attempt {attempt_id!r} in ledger {self.path}")
            if task_id is not None and found[0] != task_id:
                raise ValueError(
                    f"attempt {attempt_id} belongs to task {found[0]!r}, not {task_id!r}"
                )

    def _new_id(self, cur: sqlite3.Cursor) -> int:
        # lastrowid is only None if no row was inserted, which INSERT cannot do silently.
        if cur.lastrowid is None:
            raise LedgerError(f"ledger {self.path} did not return the id of a new row")
        return cur.lastrowid

    def schema_version(self) -> int:
        """The number of the newest migration this database has run."""
        with self._reading() as conn:
            return schema_version(conn)

    def _finish(
        self,
        conn: sqlite3.Connection,
        table: str,
        noun: str,
        row_id: int,
        column: str,
        value: str,
        extra: dict[str, str | None],
    ) -> None:
        sets = "".join(f", {name} = :{name}" for name in extra)
        cur = conn.execute(
            f"UPDATE {table} SET finished_at = :now, {column} = :value{sets}"
            " WHERE id = :id AND finished_at IS NULL",
            {"now": utc_now(), "value": value, "id": row_id, **extra},
        )
        if cur.rowcount == 1:
            return
        found = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()
        if found is None:
            raise ValueError(f"unknown {noun} {row_id!r} in ledger {self.path}")
        # Overwriting how something ended would lose history, so refuse.
        raise ValueError(f"{noun} {row_id} already finished ({column} {found[0]!r})")


def _exists(conn: sqlite3.Connection, table: str, row_id: int | str) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
