"""The common interface of executors: what one attempt asks for and what it gets back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from specloop.artifacts import Task
from specloop.models import Usage
from specloop.sandbox import Sandbox

# Each tool call's output and an executor's whole output are cut to about 10k tokens
# (bytes / 4), keeping head and tail (workflow rules §9.4).
OUTPUT_LIMIT_BYTES = 40_000


@dataclass(frozen=True)
class ExecutionRequest:
    """One attempt at one task, as the engine hands it to an executor.

    ``env`` is the base environment; each executor scrubs it of secrets itself (the
    builtin agent's commands keep none; ``CmdExecutor(keep_env=...)`` can pass named
    variables through to a user's agent). ``handover`` is
    the prompt, and ``handover_path`` where it is (or will be) written for executors
    that read it from a file. ``timeout`` bounds the whole attempt in seconds.
    """

    task: Task
    task_file: Path
    worktree: Path
    handover: str
    handover_path: Path
    attempt: int
    timeout: float
    env: Mapping[str, str]
    sandbox: Sandbox
    run_id: int | None = None
    attempt_id: int | None = None


@dataclass(frozen=True)
class ExecutionResult:
    """How an executor's run ended.

    ``ok`` means the executor finished by its own account (exit 0, or the agent
    stopped by itself); whether the work is any good is for verification to decide.
    ``output`` is truncated head+tail; ``summary`` is one line for humans.
    """

    ok: bool
    exit_code: int | None
    timed_out: bool
    output: str
    summary: str
    duration_ms: int
    usage: Usage | None = None


class Executor(Protocol):
    """Something that works on a task in a worktree: an agent CLI, a command, specloop's own loop."""

    name: str

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Work on ``request.task`` in ``request.worktree`` until done or out of time."""
        ...


class ExecutorUnavailable(Exception):
    """The executor cannot run here; the message says what is missing and how to get it.

    The CLI turns it into exit code 3 (a missing component).
    """


def seconds(duration_ms: int) -> str:
    """``3.2 s``: a duration for a summary line."""
    return f"{duration_ms / 1000:.1f} s"


def timeout_text(timeout: float) -> str:
    """``600 s`` or ``2.5 s``: a timeout as a person would write it."""
    return f"{timeout:g} s"


def ensure_handover(request: ExecutionRequest) -> Path:
    """The absolute path of the handover file, written from ``request.handover`` if missing.

    The engine normally writes it (it also keeps it for the report); an executor that
    needs the file must not depend on that.
    """
    path = request.handover_path.absolute()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(request.handover, encoding="utf-8")
    return path
