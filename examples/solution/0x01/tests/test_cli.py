"""The `readlog` entry point: help, version, a missing command, command discovery."""

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
from readlog.cli import build_parser, main

SRC = Path(readlog.__file__).resolve().parent.parent
HELLO = '''"""Say hello."""

NAME = "hello"


def add_arguments(parser):
    parser.add_argument("--name", default="world")


def run(args, store):
    print(f"hello, {args.name}")
    return 0
'''


def run_main(*argv: str, package: ModuleType = commands) -> tuple[int, str, str]:
    """`main(argv)` with stdout and stderr captured: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv), package=package)
    return code, out.getvalue(), err.getvalue()


def fake_commands(test: unittest.TestCase, source: str) -> ModuleType:
    """A throwaway package holding one command module, `hello`, with `source`."""
    directory = tempfile.TemporaryDirectory()
    test.addCleanup(directory.cleanup)
    package = Path(directory.name) / "readlog_fake_commands"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "hello.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, directory.name)
    test.addCleanup(sys.path.remove, directory.name)
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
        code, out, _ = run_main("hello", "--name", "reader", package=package)
        self.assertEqual((code, out), (0, "hello, reader\n"))


if __name__ == "__main__":
    unittest.main()
