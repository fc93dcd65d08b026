"""The `readlog` entry point: global options, then one subcommand per command module."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

import readlog
from readlog import commands


def command_modules(package: ModuleType = commands) -> list[ModuleType]:
    """Every module of `package` (by default `readlog.commands`), sorted by command name."""
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]
    return sorted(modules, key=lambda module: module.NAME)


def build_parser(package: ModuleType = commands) -> argparse.ArgumentParser:
    """`--version`, `--db PATH`, and one subparser per command module of `package`."""
    parser = argparse.ArgumentParser(
        prog="readlog", description="Record reading sessions and summarize them by week."
    )
    parser.add_argument("--version", action="version", version=f"readlog {readlog.__version__}")
    parser.add_argument(
        "--db", metavar="PATH", help="the database file (default: $READLOG_DB, then XDG data)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules(package):
        summary = (module.__doc__ or "").strip().split("\n")[0]
        subparser = subparsers.add_parser(module.NAME, help=summary, description=summary)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None, *, package: ModuleType = commands) -> int:
    """Run readlog with `argv` (default: the process's arguments); return the exit code.

    A command's `run(args, store)` gets no store (None): readlog has no storage yet.
    """
    parser = build_parser(package)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else 2
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("readlog: error: a command is required", file=sys.stderr)
        return 2
    return int(args.run(args, None))
