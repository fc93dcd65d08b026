"""`Session` and `WeekSummary`: every boundary of the Data models section of SPEC.md."""

from __future__ import annotations

import dataclasses
import unittest
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from readlog.models import Session, WeekSummary

AT = datetime(2025, 2, 10, 20, 15, tzinfo=UTC)


def session(**changes: Any) -> Session:
    fields: dict[str, Any] = {"book": "Dune", "pages": 30, "minutes": 40, "started_at": AT}
    return Session(**{**fields, **changes})


class SessionTest(unittest.TestCase):
    def test_a_valid_session(self) -> None:
        made = session(note="on the train")
        self.assertIsNone(made.id)
        self.assertEqual((made.book, made.pages, made.minutes), ("Dune", 30, 40))
        self.assertEqual(made.note, "on the train")

    def test_the_book_is_stripped_and_must_not_be_empty_or_too_long(self) -> None:
        self.assertEqual(session(book="  Dune \n").book, "Dune")
        self.assertEqual(len(session(book="x" * 200).book), 200)
        for bad in ("", "   ", "x" * 201):
            with self.subTest(book=bad), self.assertRaisesRegex(ValueError, "^book"):
                session(book=bad)

    def test_pages_from_0_to_2000(self) -> None:
        self.assertEqual(session(pages=0).pages, 0)
        self.assertEqual(session(pages=2000).pages, 2000)
        for bad in (-1, 2001, 1.5, True, "10"):
            with self.subTest(pages=bad), self.assertRaisesRegex(ValueError, "^pages"):
                session(pages=bad)

    def test_minutes_from_1_to_1440(self) -> None:
        self.assertEqual(session(minutes=1).minutes, 1)
        self.assertEqual(session(minutes=1440).minutes, 1440)
        for bad in (0, 1441, -5):
            with self.subTest(minutes=bad), self.assertRaisesRegex(ValueError, "^minutes"):
                session(minutes=bad)

    def test_started_at_must_be_timezone_aware(self) -> None:
        offset = datetime(2025, 2, 10, 9, 0, tzinfo=timezone(timedelta(hours=2)))
        self.assertEqual(session(started_at=offset).started_at, offset)
        for bad in (datetime(2025, 2, 10, 9, 0), "2025-02-10T09:00+00:00"):
            with self.subTest(started_at=bad), self.assertRaisesRegex(ValueError, "^started_at"):
                session(started_at=bad)

    def test_the_note_is_at_most_500_characters(self) -> None:
        self.assertEqual(len(session(note="n" * 500).note), 500)
        with self.assertRaisesRegex(ValueError, "^note"):
            session(note="n" * 501)

    def test_sessions_are_frozen(self) -> None:
        with self.assertRaises(dataclasses.FrozenInstanceError):
            session().pages = 5  # type: ignore[misc]


class WeekSummaryTest(unittest.TestCase):
    def test_a_summary(self) -> None:
        summary = WeekSummary("2025-W07", 2, 70, 90, 46.7, (("Dune", 40, 50), ("Emma", 30, 40)))
        self.assertEqual(summary.by_book[0], ("Dune", 40, 50))

    def test_the_week_must_be_an_iso_week_string(self) -> None:
        for bad in ("2025-7", "2025W07", "week 7"):
            with self.subTest(week=bad), self.assertRaisesRegex(ValueError, "^week"):
                WeekSummary(bad, 0, 0, 0, 0.0)

    def test_totals_must_not_be_negative(self) -> None:
        with self.assertRaisesRegex(ValueError, "^pages"):
            WeekSummary("2025-W07", 1, -1, 10, 0.0)


if __name__ == "__main__":
    unittest.main()
