"""CSV export: the header, UTC times, formula escaping, commas and quotes."""

from __future__ import annotations

import csv
import io
import unittest
from datetime import datetime, timedelta, timezone

from readlog.export import safe_cell, write_csv
from readlog.models import Session
from tests.support import session

AT = datetime(2025, 2, 10, 20, 15, tzinfo=timezone(timedelta(hours=1)))


def export(*sessions: Session) -> list[list[str]]:
    """The rows `write_csv` writes for `sessions`, read back with `csv.reader`."""
    stream = io.StringIO()
    write_csv(sessions, stream)
    return list(csv.reader(io.StringIO(stream.getvalue())))


class WriteCsvTest(unittest.TestCase):
    def test_header_only_without_sessions(self) -> None:
        stream = io.StringIO()
        self.assertEqual(write_csv([], stream), 0)
        self.assertEqual(stream.getvalue(), "started_at,book,pages,minutes,note\n")

    def test_a_row_with_the_time_in_utc(self) -> None:
        rows = export(session(AT, book="Dune", pages=42, minutes=55, note="train"))
        self.assertEqual(rows[1], ["2025-02-10T19:15:00+00:00", "Dune", "42", "55", "train"])

    def test_formulas_are_escaped(self) -> None:
        rows = export(
            session(AT, book='=HYPERLINK("x")', note="+1 chapter"),
            session(AT, book="@SUM(A1)", note="-5 pages, reread"),
        )
        self.assertEqual(rows[1][1], '\'=HYPERLINK("x")')
        self.assertEqual(rows[1][4], "'+1 chapter")
        self.assertEqual((rows[2][1], rows[2][4]), ("'@SUM(A1)", "'-5 pages, reread"))

    def test_commas_and_quotes_survive(self) -> None:
        title = 'Sapiens, a "brief" history'
        rows = export(session(AT, book=title, note='said "wow", twice'))
        self.assertEqual((rows[1][1], rows[1][4]), (title, 'said "wow", twice'))

    def test_safe_cell_leaves_plain_text_alone(self) -> None:
        self.assertEqual(safe_cell("Dune"), "Dune")
        self.assertEqual(safe_cell(""), "")
        self.assertEqual(safe_cell("a=b"), "a=b")


if __name__ == "__main__":
    unittest.main()
