"""The ledger file and its schema: WAL mode, tables, migrations, schema versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from specloop.ledger import LEDGER_RELPATH, Ledger, LedgerError
from specloop.ledger._db import connect_rw
from specloop.ledger._migrations import MIGRATIONS, Migration, migrate

TABLES = {"runs", "tasks", "attempts", "events", "usage", "checks", "findings", "decisions"}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "project" / LEDGER_RELPATH


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_relpath_is_under_specloop_state() -> None:
    assert Path(".specloop/state/ledger.db") == LEDGER_RELPATH


def test_fresh_ledger_is_wal_with_all_tables_and_every_migration_once(db_path: Path) -> None:
    with Ledger.open(db_path) as ledger:
        assert db_path.is_file()
        assert ledger.path == db_path
        assert ledger.schema_version() == len(MIGRATIONS)

    assert _query(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {r[0] for r in _query(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= TABLES | {"_migrations"}
    rows = _query(db_path, "SELECT id, name FROM _migrations ORDER BY id")
    assert rows == [(m.id, m.name) for m in MIGRATIONS]


def test_reopening_applies_nothing_new(db_path: Path) -> None:
    Ledger.open(db_path).close()
    first = _query(db_path, "SELECT id, name, applied_at FROM _migrations")
    Ledger.open(db_path).close()
    assert _query(db_path, "SELECT id, name, applied_at FROM _migrations") == first
    conn = connect_rw(db_path)
    try:
        assert migrate(conn, db_path) == []
    finally:
        conn.close()


def test_appended_migration_runs_exactly_once_and_is_recorded(db_path: Path) -> None:
    calls: list[str] = []

    def m_add_notes(conn: sqlite3.Connection) -> None:
        calls.append("ran")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")

    extended = [*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "m_add_notes", m_add_notes)]
    Ledger.open(db_path).close()
    conn = connect_rw(db_path)
    try:
        assert migrate(conn, db_path, extended) == [len(extended)]
        assert migrate(conn, db_path, extended) == []
    finally:
        conn.close()
    assert calls == ["ran"]
    rows = _query(db_path, "SELECT id, name FROM _migrations ORDER BY id")
    assert rows == [(m.id, m.name) for m in extended]
    assert _query(db_path, "SELECT count(*) FROM notes") == [(0,)]


def test_failing_migration_leaves_schema_unchanged(db_path: Path) -> None:
    def m_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    extended = [*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "m_broken", m_broken)]
    Ledger.open(db_path).close()
    conn = connect_rw(db_path)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            migrate(conn, db_path, extended)
    finally:
        conn.close()
    assert _query(db_path, "SELECT max(id) FROM _migrations") == [(len(MIGRATIONS),)]
    assert _query(db_path, "SELECT name FROM sqlite_master WHERE name='half_done'") == []


def test_migration_list_with_gap_is_rejected(db_path: Path) -> None:
    bad = [*MIGRATIONS, Migration(len(MIGRATIONS) + 2, "m_gap", lambda conn: None)]
    Ledger.open(db_path).close()
    conn = connect_rw(db_path)
    try:
        with pytest.raises(ValueError, match="migration ids"):
            migrate(conn, db_path, bad)
    finally:
        conn.close()


def test_newer_schema_is_refused_by_open_and_open_existing(db_path: Path) -> None:
    Ledger.open(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO _migrations VALUES (999, 'm999_future', '2099-01-01T00:00:00Z')")
    conn.close()

    for opener in (Ledger.open, Ledger.open_existing):
        with pytest.raises(LedgerError, match="newer specloop") as info:
            opener(db_path)
        assert str(db_path) in str(info.value)
        assert "999" in str(info.value)


def test_renamed_migration_is_refused(db_path: Path) -> None:
    Ledger.open(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE _migrations SET name = 'something_else' WHERE id = 1")
    conn.close()
    with pytest.raises(LedgerError, match="different specloop version"):
        Ledger.open(db_path)


def test_older_schema_is_refused_for_reading_and_upgraded_by_open(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()  # an empty file is an SQLite database with no schema at all
    with pytest.raises(LedgerError, match="older schema") as info:
        Ledger.open_existing(db_path)
    assert "specloop run" in str(info.value)
    assert str(db_path) in str(info.value)

    Ledger.open(db_path).close()
    reader = Ledger.open_existing(db_path)
    assert reader is not None
    with reader:
        assert reader.schema_version() == len(MIGRATIONS)


def test_older_schema_than_an_extended_list_is_reported(db_path: Path) -> None:
    from specloop.ledger._migrations import require_current

    extended = [*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "m_next", lambda conn: None)]
    Ledger.open(db_path).close()
    conn = connect_rw(db_path)
    try:
        with pytest.raises(LedgerError, match=rf"version {len(MIGRATIONS)}.*needs {len(extended)}"):
            require_current(conn, db_path, extended)
    finally:
        conn.close()


def test_non_database_file_gives_ledger_error_naming_the_path(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is a text file, not a ledger\n" * 100)
    for opener in (Ledger.open, Ledger.open_existing):
        with pytest.raises(LedgerError, match="not an SQLite database") as info:
            opener(db_path)
        assert str(db_path) in str(info.value)
        assert "\n" not in str(info.value)
    assert db_path.read_bytes().startswith(b"this is a text file")


def test_open_cannot_create_folder_gives_ledger_error(tmp_path: Path) -> None:
    blocker = tmp_path / "project"
    blocker.write_text("a file where the project folder should be")
    path = blocker / LEDGER_RELPATH
    with pytest.raises(LedgerError, match="cannot be created") as info:
        Ledger.open(path)
    assert str(path) in str(info.value)
