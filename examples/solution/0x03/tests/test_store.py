"""The SQLite store: creating and refusing files, round trips, ordering, filters."""

from __future__ import annotations

import sqlite3
import stat
import unittest
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from readlog.store import SCHEMA_VERSION, Store, StoreError
from tests.support import StoreTestCase, session

MONDAY = datetime(2025, 2, 10, 20, 15, tzinfo=UTC)


def sql(path: Path, *statements: str) -> list[tuple[object, ...]]:
    """Run `statements` on `path` with plain sqlite3; return the last one's rows."""
    rows: list[tuple[object, ...]] = []
    with closing(sqlite3.connect(path)) as connection:
        for statement in statements:
            rows = connection.execute(statement).fetchall()
        connection.commit()
    return rows


class OpenTest(StoreTestCase):
    def test_a_new_file_is_private_and_has_the_current_schema(self) -> None:
        path = self.tmp / "data" / "readlog" / "readlog.db"
        Store.open(path).close()
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(path.parent.stat().st_mode), 0o700)
        self.assertEqual(sql(path, "PRAGMA user_version"), [(SCHEMA_VERSION,)])

    def test_an_empty_file_is_upgraded(self) -> None:
        path = self.tmp / "empty.db"
        path.touch(mode=0o600)
        with Store.open(path) as store:
            self.assertEqual(store.between(), [])
            store.add(session(MONDAY))
        with Store.open(path) as store:
            self.assertEqual(len(store.between()), 1)

    def test_a_newer_schema_is_refused(self) -> None:
        path = self.tmp / "newer.db"
        sql(path, "PRAGMA user_version = 99")
        self.assertLess(SCHEMA_VERSION, 99)
        with self.assertRaisesRegex(StoreError, "newer"):
            Store.open(path)

    def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(self) -> None:
        path = self.tmp / "notes.txt"
        text = "these are my notes, not a database\n" * 10
        path.write_text(text, encoding="utf-8")
        with self.assertRaisesRegex(StoreError, "not a readlog database"):
            Store.open(path)
        self.assertEqual(path.read_text(encoding="utf-8"), text)

    def test_another_programs_database_is_refused(self) -> None:
        path = self.tmp / "other.db"
        sql(path, "CREATE TABLE contacts (name TEXT)")
        with self.assertRaisesRegex(StoreError, "not a readlog database"):
            Store.open(path)
        self.assertEqual(sql(path, "SELECT name FROM sqlite_master"), [("contacts",)])


class SessionsTest(StoreTestCase):
    def test_a_round_trip_keeps_every_field(self) -> None:
        local = MONDAY.astimezone(timezone(timedelta(hours=-5)))
        saved = self.store.add(session(local, note="rainy evening"))
        self.assertIsNotNone(saved.id)
        (loaded,) = self.store.between()
        self.assertEqual(loaded, saved)
        self.assertEqual(loaded.started_at.utcoffset(), timedelta(0))

    def test_newest_first(self) -> None:
        for days in (1, 3, 2):
            self.store.add(session(MONDAY + timedelta(days=days), pages=days))
        self.assertEqual([s.pages for s in self.store.between()], [3, 2, 1])

    def test_start_is_included_and_end_is_not(self) -> None:
        for hours in (0, 1, 2):
            self.store.add(session(MONDAY + timedelta(hours=hours), pages=hours))
        found = self.store.between(MONDAY, MONDAY + timedelta(hours=2))
        self.assertEqual([s.pages for s in found], [1, 0])
        self.assertEqual(
            [s.pages for s in self.store.between(start=MONDAY + timedelta(hours=1))], [2, 1]
        )
        self.assertEqual(
            [s.pages for s in self.store.between(end=MONDAY + timedelta(hours=1))], [0]
        )

    def test_the_book_filter_matches_whole_titles_in_any_case(self) -> None:
        self.store.add(session(MONDAY, book="Dune"))
        self.store.add(session(MONDAY, book="Dune Messiah"))
        self.assertEqual([s.book for s in self.store.between(book="dune")], ["Dune"])

    def test_a_title_with_sql_in_it_is_just_a_title(self) -> None:
        title = "'; DROP TABLE sessions; --"
        self.store.add(session(MONDAY, book=title))
        self.assertEqual([s.book for s in self.store.between(book=title)], [title])
        self.store.add(session(MONDAY, book="Dune"))
        self.assertEqual(len(self.store.between()), 2)


if __name__ == "__main__":
    unittest.main()
