"""specloop.cli: the `specloop` command, a thin layer over the core packages.

Each command parses its arguments, calls the core API, and prints. Core packages are
imported inside the commands so that `specloop --help` stays fast.
"""

from specloop.cli import (
    _execution,  # registers run, resume, approve, reject, verify, clean
    _planning,  # registers spec, agents, tasks, demo, fake-model
    _report,  # registers report
)
from specloop.cli._app import app, main

__all__ = ["_execution", "_planning", "_report", "app", "main"]
