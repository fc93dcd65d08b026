"""What the tests share: a store in a temporary directory and running the CLI in-process."""

from __future__ import annotations

import io
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import Any

from readlog.cli import main
from readlog.models import Session
from readlog.store import Store


def session(at: datetime, **changes: Any) -> Session:
    """A valid session started `at`; any field can be changed."""
    fields: dict[str, Any] = {"book": "Dune", "pages": 30, "minutes": 40, "started_at": at}
    return Session(**{**fields, **changes})


class StoreTestCase(unittest.TestCase):
    """`self.store` is open on `self.db_path`, a file in a fresh temporary directory."""

    def setUp(self) -> None:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.tmp = Path(directory.name)
        self.db_path = self.tmp / "readlog.db"
        self.store = Store.open(self.db_path)
        self.addCleanup(self.store.close)

    def cli(self, *argv: str) -> tuple[int, str, str]:
        """Run `readlog --db DB ARGV...`: (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--db", str(self.db_path), *argv], environ={})
        return code, out.getvalue(), err.getvalue()
