"""The `readlog` entry point: global options, then one subcommand per command module."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import readlog
from readlog import commands
from readlog.store import Store, StoreError


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


def database_path(db: str | None, environ: Mapping[str, str]) -> Path:
    """`--db`, else `$READLOG_DB`, else `$XDG_DATA_HOME/readlog/readlog.db`.

    An unset or empty `XDG_DATA_HOME` means `~/.local/share`.
    """
    if db:
        return Path(db).expanduser()
    if environ.get("READLOG_DB"):
        return Path(environ["READLOG_DB"]).expanduser()
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "readlog" / "readlog.db"


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    package: ModuleType = commands,
) -> int:
    """Run readlog with `argv` (default: the process's arguments); return the exit code."""
    parser = build_parser(package)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else 2
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("readlog: error: a command is required", file=sys.stderr)
        return 2
    path = database_path(args.db, os.environ if environ is None else environ)
    try:
        store = Store.open(path)
    except (StoreError, OSError) as error:
        print(f"readlog: error: {error}", file=sys.stderr)
        return 2
    with store:
        return int(args.run(args, store))
