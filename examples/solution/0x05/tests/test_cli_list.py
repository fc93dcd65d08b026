"""`readlog list`: newest first, `--since`, `--book`, `--limit`, and nothing to show."""

from __future__ import annotations

import unittest
from datetime import datetime

from readlog.commands.list_sessions import parse_since
from tests.support import StoreTestCase, session


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A local time, timezone-aware."""
    return datetime(year, month, day, hour, minute).astimezone()


class ListTest(StoreTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.store.add(session(local(2025, 2, 9, 21, 0), book="Emma", pages=12, minutes=20))
        self.store.add(session(local(2025, 2, 11, 7, 30), book="Dune", pages=30, minutes=45))
        self.store.add(session(local(2025, 2, 10, 22, 5), book="Dune", pages=8, minutes=15))

    def test_newest_first_in_local_time(self) -> None:
        code, out, err = self.cli("list")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(
            out.splitlines(),
            [
                "2025-02-11 07:30  Dune  30 p  45 min",
                "2025-02-10 22:05  Dune  8 p  15 min",
                "2025-02-09 21:00  Emma  12 p  20 min",
            ],
        )

    def test_since_a_date_starts_at_local_midnight(self) -> None:
        _, out, _ = self.cli("list", "--since", "2025-02-10")
        self.assertEqual(
            [line[:16] for line in out.splitlines()], ["2025-02-11 07:30", "2025-02-10 22:05"]
        )

    def test_book_filter(self) -> None:
        _, out, _ = self.cli("list", "--book", "emma")
        self.assertEqual(out, "2025-02-09 21:00  Emma  12 p  20 min\n")

    def test_limit(self) -> None:
        _, out, _ = self.cli("list", "--limit", "1")
        self.assertEqual(out, "2025-02-11 07:30  Dune  30 p  45 min\n")

    def test_nothing_matched_exits_1(self) -> None:
        code, out, err = self.cli("list", "--book", "Middlemarch")
        self.assertEqual((code, out), (1, ""))
        self.assertIn("no sessions", err)

    def test_bad_filters_are_bad_input(self) -> None:
        for argv in (["--since", "last week"], ["--limit", "0"]):
            with self.subTest(argv=argv):
                code, out, err = self.cli("list", *argv)
                self.assertEqual((code, out), (2, ""))
                self.assertTrue(err.startswith(f"readlog: error: {argv[0]}"), err)


class ParseSinceTest(unittest.TestCase):
    def test_a_date_is_local_midnight(self) -> None:
        self.assertEqual(parse_since("2025-02-10"), local(2025, 2, 10, 0, 0))

    def test_an_offset_is_kept(self) -> None:
        self.assertEqual(
            parse_since("2025-02-10T08:00+00:00").isoformat(), "2025-02-10T08:00:00+00:00"
        )

    def test_not_a_date(self) -> None:
        with self.assertRaisesRegex(ValueError, "--since"):
            parse_since("yesterday")


if __name__ == "__main__":
    unittest.main()
