"""`readlog log`: recording a session, `--at` with and without an offset, bad values."""

from __future__ import annotations

import unittest
from datetime import UTC, datetime, timedelta

from tests.support import StoreTestCase


class LogTest(StoreTestCase):
    def test_a_session_is_stored_and_echoed(self) -> None:
        before = datetime.now(UTC).replace(microsecond=0)
        code, out, err = self.cli("log", " Dune ", "--pages", "42", "--minutes", "55")
        self.assertEqual((code, out, err), (0, "logged #1: Dune, 42 pages in 55 min\n", ""))
        (stored,) = self.store.between()
        self.assertEqual(
            (stored.id, stored.book, stored.pages, stored.minutes), (1, "Dune", 42, 55)
        )
        self.assertEqual(stored.note, "")
        self.assertLessEqual(before, stored.started_at)
        self.assertLess(stored.started_at, datetime.now(UTC) + timedelta(seconds=1))

    def test_ids_count_up(self) -> None:
        self.cli("log", "Dune", "--pages", "1", "--minutes", "5")
        code, out, _ = self.cli("log", "Emma", "--pages", "0", "--minutes", "5", "--note", "audio")
        self.assertEqual((code, out), (0, "logged #2: Emma, 0 pages in 5 min\n"))
        self.assertEqual(self.store.between(book="Emma")[0].note, "audio")

    def test_at_with_an_offset(self) -> None:
        self.cli("log", "Dune", "--pages", "9", "--minutes", "20", "--at", "2025-02-10T20:15+02:00")
        (stored,) = self.store.between()
        self.assertEqual(stored.started_at, datetime(2025, 2, 10, 18, 15, tzinfo=UTC))

    def test_at_without_an_offset_is_local_time(self) -> None:
        self.cli("log", "Dune", "--pages", "9", "--minutes", "20", "--at", "2025-02-10T20:15")
        (stored,) = self.store.between()
        self.assertEqual(stored.started_at, datetime(2025, 2, 10, 20, 15).astimezone())

    def test_invalid_values_are_bad_input_and_store_nothing(self) -> None:
        cases = {
            "pages": ["Dune", "--pages", "2001", "--minutes", "5"],
            "minutes": ["Dune", "--pages", "5", "--minutes", "0"],
            "book": ["   ", "--pages", "5", "--minutes", "5"],
            "note": ["Dune", "--pages", "5", "--minutes", "5", "--note", "n" * 501],
            "--at": ["Dune", "--pages", "5", "--minutes", "5", "--at", "last tuesday"],
        }
        for name, argv in cases.items():
            with self.subTest(name):
                code, out, err = self.cli("log", *argv)
                self.assertEqual((code, out), (2, ""))
                self.assertTrue(err.startswith(f"readlog: error: {name}"), err)
        self.assertEqual(self.store.between(), [])

    def test_pages_must_be_a_number(self) -> None:
        code, _, err = self.cli("log", "Dune", "--pages", "many", "--minutes", "5")
        self.assertEqual(code, 2)
        self.assertIn("--pages", err)


if __name__ == "__main__":
    unittest.main()
