"""`readlog export`: to a file, to stdout, `--since`, and errors."""

from __future__ import annotations

import csv
import io
import unittest
from datetime import UTC, datetime

from tests.support import StoreTestCase, session


class ExportTest(StoreTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.store.add(session(datetime(2025, 2, 11, 7, 30, tzinfo=UTC), book="Emma", pages=30))
        self.store.add(
            session(datetime(2025, 2, 10, 20, 15, tzinfo=UTC), book="=cmd|' /C calc'!A0")
        )

    def test_to_a_file_oldest_first(self) -> None:
        target = self.tmp / "sessions.csv"
        code, out, err = self.cli("export", "--csv", str(target))
        self.assertEqual((code, out, err), (0, f"exported 2 sessions to {target}\n", ""))
        with target.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
        self.assertEqual(rows[0], ["started_at", "book", "pages", "minutes", "note"])
        self.assertEqual([row[1] for row in rows[1:]], ["'=cmd|' /C calc'!A0", "Emma"])

    def test_dash_means_stdout(self) -> None:
        code, out, _ = self.cli("export", "--csv", "-")
        self.assertEqual(code, 0)
        rows = list(csv.reader(io.StringIO(out)))
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[2], ["2025-02-11T07:30:00+00:00", "Emma", "30", "40", ""])

    def test_since(self) -> None:
        _, out, _ = self.cli("export", "--csv", "-", "--since", "2025-02-11T00:00+00:00")
        self.assertEqual([row[1] for row in csv.reader(io.StringIO(out))], ["book", "Emma"])

    def test_bad_since_and_unwritable_files_are_bad_input(self) -> None:
        for argv in (["--csv", "-", "--since", "soon"], ["--csv", str(self.tmp / "no" / "x.csv")]):
            with self.subTest(argv=argv):
                code, out, err = self.cli("export", *argv)
                self.assertEqual((code, out), (2, ""))
                self.assertTrue(err.startswith("readlog: error: --"), err)


if __name__ == "__main__":
    unittest.main()
