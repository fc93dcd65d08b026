"""`readlog weekly`: a week with two books, an empty week, a malformed week, the default."""

from __future__ import annotations

import unittest
from datetime import datetime

from tests.support import StoreTestCase, session


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A local time, timezone-aware."""
    return datetime(year, month, day, hour, minute).astimezone()


class WeeklyTest(StoreTestCase):
    def test_a_week_with_two_books(self) -> None:
        self.store.add(session(local(2025, 2, 10, 20, 15), book="Dune", pages=42, minutes=55))
        self.store.add(session(local(2025, 2, 12, 7, 30), book="Emma", pages=30, minutes=45))
        self.store.add(session(local(2025, 2, 16, 23, 59), book="Dune", pages=38, minutes=50))
        self.store.add(session(local(2025, 2, 9, 23, 59), book="Emma", pages=99, minutes=60))
        self.store.add(session(local(2025, 2, 17, 0, 0), book="Emma", pages=99, minutes=60))
        code, out, err = self.cli("weekly", "--week", "2025-W07")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(
            out.splitlines(),
            [
                "2025-W07: 3 sessions, 110 pages, 150 min, 44.0 pages/hour",
                "  Dune: 80 pages, 105 min",
                "  Emma: 30 pages, 45 min",
            ],
        )

    def test_a_week_across_new_year(self) -> None:
        self.store.add(session(local(2024, 12, 30, 9, 0), pages=10, minutes=60))
        _, out, _ = self.cli("weekly", "--week", "2025-W01")
        self.assertEqual(
            out.splitlines()[0], "2025-W01: 1 session, 10 pages, 60 min, 10.0 pages/hour"
        )

    def test_an_empty_week_exits_1(self) -> None:
        code, out, err = self.cli("weekly", "--week", "2025-W07")
        self.assertEqual((code, out), (1, ""))
        self.assertIn("no sessions in 2025-W07", err)

    def test_a_malformed_week_is_bad_input(self) -> None:
        code, out, err = self.cli("weekly", "--week", "2025-7")
        self.assertEqual((code, out), (2, ""))
        self.assertTrue(err.startswith("readlog: error: --week"), err)

    def test_the_current_week_by_default(self) -> None:
        now = datetime.now().astimezone().replace(microsecond=0)
        self.store.add(session(now, pages=5, minutes=10))
        code, out, _ = self.cli("weekly")
        year, week, _ = now.isocalendar()
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith(f"{year}-W{week:02d}: 1 session, 5 pages"), out)


if __name__ == "__main__":
    unittest.main()
