"""The SQLite file: schema and migrations, adding sessions, finding them by time.

Only this module talks to SQLite, and always with `?` parameters.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from readlog.models import Session

#: Entry N upgrades a file from schema version N to N + 1 (kept in PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    """
    BEGIN;
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        book TEXT NOT NULL,
        pages INTEGER NOT NULL,
        minutes INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX sessions_by_time ON sessions (started_at);
    PRAGMA user_version = 1;
    COMMIT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_SELECT = """
    SELECT id, book, pages, minutes, started_at, note FROM sessions
    WHERE (? IS NULL OR started_at >= ?)
      AND (? IS NULL OR started_at < ?)
      AND (? IS NULL OR book = ? COLLATE NOCASE)
    ORDER BY started_at DESC, id DESC
"""


class StoreError(Exception):
    """A database file readlog cannot use; the message names the file."""


def utc_text(moment: datetime) -> str:
    """ISO-8601 UTC text of one fixed width, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Store:
    """An open readlog database: `Store.open(path)`, then `close()` or a `with` block."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        """Open `path`, creating it (`0600`, directory `0700`) or upgrading its schema."""
        path = Path(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        elif not path.is_file():
            raise StoreError(f"{path} is not a file")
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            _upgrade(connection, path)
        except BaseException:
            connection.close()
            raise
        return cls(connection, path)

    def add(self, session: Session) -> Session:
        """Save `session`; return it with the id SQLite gave it."""
        cursor = self._db.execute(
            "INSERT INTO sessions (book, pages, minutes, started_at, note) VALUES (?, ?, ?, ?, ?)",
            (
                session.book,
                session.pages,
                session.minutes,
                utc_text(session.started_at),
                session.note,
            ),
        )
        return replace(session, id=cursor.lastrowid)

    def between(
        self, start: datetime | None = None, end: datetime | None = None, book: str | None = None
    ) -> list[Session]:
        """Sessions with `start <= started_at < end` (None: no bound), newest first.

        `book` keeps only that title, compared whole and ignoring ASCII case.
        """
        low = utc_text(start) if start is not None else None
        high = utc_text(end) if end is not None else None
        title = book.strip() if book is not None else None
        rows = self._db.execute(_SELECT, (low, low, high, high, title, title)).fetchall()
        return [
            Session(
                id=row[0],
                book=row[1],
                pages=row[2],
                minutes=row[3],
                started_at=datetime.fromisoformat(row[4]),
                note=row[5],
            )
            for row in rows
        ]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _upgrade(connection: sqlite3.Connection, path: Path) -> None:
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        ).fetchall()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path} is not a readlog database ({error})") from None
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, newer than this readlog knows"
            f" ({SCHEMA_VERSION}); upgrade readlog"
        )
    if version == 0 and tables:
        raise StoreError(f"{path} is not a readlog database (it holds other tables)")
    for migration in MIGRATIONS[version:]:
        connection.executescript(migration)
