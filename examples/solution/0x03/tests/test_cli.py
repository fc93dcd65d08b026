"""The `readlog` entry point: help, version, command discovery, and the database it opens."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import ModuleType

import readlog
from readlog import commands
from readlog.cli import build_parser, database_path, main
from readlog.store import Store

SRC = Path(readlog.__file__).resolve().parent.parent
HELLO = '''"""Say hello."""

NAME = "hello"


def add_arguments(parser):
    parser.add_argument("--name", default="world")


def run(args, store):
    print(f"hello, {args.name}: {len(store.between())} sessions")
    return 0
'''


def run_main(
    *argv: str, package: ModuleType = commands, environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`main(argv)` with stdout and stderr captured: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv), package=package, environ={} if environ is None else environ)
    return code, out.getvalue(), err.getvalue()


def temporary_directory(test: unittest.TestCase) -> Path:
    directory = tempfile.TemporaryDirectory()
    test.addCleanup(directory.cleanup)
    return Path(directory.name)


def fake_commands(test: unittest.TestCase, source: str) -> ModuleType:
    """A throwaway package holding one command module, `hello`, with `source`."""
    directory = temporary_directory(test)
    package = directory / "readlog_fake_commands"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "hello.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(directory))
    test.addCleanup(sys.path.remove, str(directory))
    for name in ("readlog_fake_commands", "readlog_fake_commands.hello"):
        test.addCleanup(sys.modules.pop, name, None)
    importlib.invalidate_caches()
    return importlib.import_module("readlog_fake_commands")


class EntryPointTest(unittest.TestCase):
    def test_help_shows_the_global_options(self) -> None:
        code, out, _ = run_main("--help")
        self.assertEqual(code, 0)
        self.assertIn("usage: readlog", out)
        self.assertIn("--db PATH", out)

    def test_version(self) -> None:
        code, out, _ = run_main("--version")
        self.assertEqual((code, out.strip()), (0, f"readlog {readlog.__version__}"))

    def test_no_command_is_a_usage_error(self) -> None:
        code, out, err = run_main()
        self.assertEqual((code, out), (2, ""))
        self.assertIn("usage: readlog", err)
        self.assertIn("readlog: error: a command is required", err)

    def test_an_unknown_command_is_a_usage_error(self) -> None:
        code, _, err = run_main("fly")
        self.assertEqual(code, 2)
        self.assertIn("invalid choice", err)

    def test_python_dash_m_readlog(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        result = subprocess.run(
            [sys.executable, "-m", "readlog", "--version"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), f"readlog {readlog.__version__}")


class DiscoveryTest(unittest.TestCase):
    def test_a_command_module_becomes_a_subcommand(self) -> None:
        package = fake_commands(self, HELLO)
        self.assertIn("Say hello.", build_parser(package).format_help())
        db = temporary_directory(self) / "readlog.db"
        code, out, _ = run_main("--db", str(db), "hello", "--name", "reader", package=package)
        self.assertEqual((code, out), (0, "hello, reader: 0 sessions\n"))


class DatabasePathTest(unittest.TestCase):
    def test_db_option_first(self) -> None:
        environ = {"READLOG_DB": "/env/readlog.db", "XDG_DATA_HOME": "/xdg"}
        self.assertEqual(database_path("/opt/my.db", environ), Path("/opt/my.db"))

    def test_then_the_environment_variable(self) -> None:
        environ = {"READLOG_DB": "/env/readlog.db", "XDG_DATA_HOME": "/xdg"}
        self.assertEqual(database_path(None, environ), Path("/env/readlog.db"))

    def test_then_the_xdg_data_directory(self) -> None:
        expected = Path("/xdg/readlog/readlog.db")
        self.assertEqual(database_path(None, {"XDG_DATA_HOME": "/xdg"}), expected)
        self.assertEqual(database_path(None, {"READLOG_DB": "", "XDG_DATA_HOME": "/xdg"}), expected)

    def test_then_the_default_data_directory(self) -> None:
        expected = Path.home() / ".local" / "share" / "readlog" / "readlog.db"
        self.assertEqual(database_path(None, {}), expected)
        self.assertEqual(database_path(None, {"XDG_DATA_HOME": ""}), expected)


class OpeningTest(unittest.TestCase):
    def test_the_command_gets_the_store_named_by_readlog_db(self) -> None:
        package = fake_commands(self, HELLO)
        db = temporary_directory(self) / "env.db"
        code, out, _ = run_main("hello", package=package, environ={"READLOG_DB": str(db)})
        self.assertEqual((code, out), (0, "hello, world: 0 sessions\n"))
        self.assertTrue(db.is_file())
        Store.open(db).close()

    def test_a_database_readlog_cannot_use_is_bad_input(self) -> None:
        package = fake_commands(self, HELLO)
        db = temporary_directory(self) / "notes.db"
        db.write_text("not a database, just notes\n" * 8, encoding="utf-8")
        code, out, err = run_main("--db", str(db), "hello", package=package)
        self.assertEqual((code, out), (2, ""))
        self.assertRegex(err, r"^readlog: error: .*notes\.db is not a readlog database")


if __name__ == "__main__":
    unittest.main()
