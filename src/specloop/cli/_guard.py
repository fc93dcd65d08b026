"""Turning every failure into a one-line message and the exit code of DESIGN.md §2."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_MISSING = 3
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print `specloop: message` on stderr and exit with `code`."""
    print(f"specloop: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _known_errors() -> tuple[tuple[type[BaseException], int], ...]:
    # Imported here, not at module level, so `--help` does not load the core packages.
    from specloop.config import ConfigError
    from specloop.engine import ProjectError
    from specloop.executors import ExecutorUnavailable
    from specloop.gitops import GitError, GitNotInstalled
    from specloop.ledger import LedgerError
    from specloop.models import ModelError, NoModelConfigured
    from specloop.planning import PlanningError, StageAborted
    from specloop.testing import ScriptError

    return (
        (ExecutorUnavailable, EXIT_MISSING),
        (NoModelConfigured, EXIT_MISSING),
        (ModelError, EXIT_FAILED),
        (PlanningError, EXIT_BAD_INPUT),
        (StageAborted, EXIT_FAILED),
        (ScriptError, EXIT_BAD_INPUT),
        (GitNotInstalled, EXIT_MISSING),
        (GitError, EXIT_BAD_INPUT),
        (ProjectError, EXIT_BAD_INPUT),
        (ConfigError, EXIT_BAD_INPUT),
        (LedgerError, EXIT_BAD_INPUT),
    )


def guarded(work: Callable[[], T]) -> T:
    """Run a command body; known errors become messages, nothing becomes a traceback."""
    try:
        return work()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # `specloop status | head -1`: the reader left; exit quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(EXIT_FAILED) from None
    except Exception as exc:
        for kind, code in _known_errors():
            if isinstance(exc, kind):
                fail(str(exc), code)
        if os.environ.get("SPECLOOP_DEBUG"):
            traceback.print_exc()
        fail(
            f"internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in specloop; SPECLOOP_DEBUG=1 shows the traceback)",
            EXIT_FAILED,
        )
