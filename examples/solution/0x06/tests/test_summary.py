"""Week bounds and summaries: year boundaries, pace, and the order of books."""

from __future__ import annotations

import unittest
from datetime import UTC, date, datetime

from readlog.summary import current_week, parse_week, summarize, week_bounds
from tests.support import session

AT = datetime(2025, 2, 11, 20, 0, tzinfo=UTC)


class WeekTest(unittest.TestCase):
    def test_2025_w01_starts_in_2024(self) -> None:
        start, end = week_bounds("2025-W01", UTC)
        self.assertEqual(start, datetime(2024, 12, 30, tzinfo=UTC))
        self.assertEqual(end, datetime(2025, 1, 6, tzinfo=UTC))

    def test_local_bounds_by_default(self) -> None:
        start, end = week_bounds("2025-W07")
        self.assertEqual(start, datetime(2025, 2, 10).astimezone())
        self.assertEqual(end, datetime(2025, 2, 17).astimezone())

    def test_week_53_only_where_it_exists(self) -> None:
        self.assertEqual(parse_week("2020-W53"), (2020, 53))
        with self.assertRaises(ValueError):
            parse_week("2021-W53")

    def test_malformed_weeks(self) -> None:
        for bad in ("2025-7", "2025-W7", "2025W07", "2025-W00", "2025-W54", "next week"):
            with self.subTest(week=bad), self.assertRaisesRegex(ValueError, "ISO week"):
                week_bounds(bad)

    def test_current_week(self) -> None:
        self.assertEqual(current_week(date(2024, 12, 31)), "2025-W01")
        self.assertEqual(current_week(date(2025, 2, 16)), "2025-W07")


class SummarizeTest(unittest.TestCase):
    def test_two_books(self) -> None:
        summary = summarize(
            "2025-W07",
            [
                session(AT, book="Emma", pages=30, minutes=45),
                session(AT, book="Dune", pages=42, minutes=55),
                session(AT, book="Dune", pages=38, minutes=50),
            ],
        )
        self.assertEqual((summary.sessions, summary.pages, summary.minutes), (3, 110, 150))
        self.assertEqual(summary.pages_per_hour, 44.0)
        self.assertEqual(summary.by_book, (("Dune", 80, 105), ("Emma", 30, 45)))

    def test_equal_pages_are_sorted_by_title(self) -> None:
        sessions = [session(AT, book=book, pages=10) for book in ("Emma", "Dune", "Beloved")]
        self.assertEqual(
            [row[0] for row in summarize("2025-W07", sessions).by_book], ["Beloved", "Dune", "Emma"]
        )

    def test_pace_has_one_decimal(self) -> None:
        summary = summarize("2025-W07", [session(AT, pages=100, minutes=70)])
        self.assertEqual(summary.pages_per_hour, 85.7)

    def test_no_sessions(self) -> None:
        summary = summarize("2025-W07", [])
        self.assertEqual((summary.sessions, summary.pages, summary.pages_per_hour), (0, 0, 0.0))
        self.assertEqual(summary.by_book, ())


if __name__ == "__main__":
    unittest.main()
