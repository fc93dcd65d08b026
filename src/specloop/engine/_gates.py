"""The terminal gates: what a human answers for a passing or a failed attempt.

`gated` asks about every passing attempt, `verified` only about failures; without a
terminal (`ask` is None) nothing is asked and the engine records that it waits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from specloop.artifacts import Task
from specloop.engine._steps import AttemptResult
from specloop.gitops import diff_text

Asker = Callable[[str], str]


def ask_passed(
    ask: Asker | None, console: Console, root: Path, task: Task, result: AttemptResult
) -> tuple[str, str] | None:
    """On a terminal: approve or reject (with feedback) a passing attempt; None for later."""
    if ask is None:
        return None
    while True:
        answer = (
            ask(
                f"{task.id} passed every check. [a]pprove and merge, [r]eject with feedback, [d]iff, [c]heck output, [l]ater? "
            )
            .strip()
            .lower()
        )
        if answer in ("a", "approve"):
            return ("approve", "")
        if answer in ("l", "later"):
            return None
        if answer in ("r", "reject"):
            feedback = ask("Feedback for the next attempt: ").strip()
            if feedback:
                return ("reject", feedback)
        elif answer in ("d", "diff"):
            console.print(
                diff_text(root, result.base_sha, result.head_sha or result.base_sha),
                markup=False,
                highlight=False,
            )
        elif answer in ("c", "checks"):
            console.print(result.verification.report(), markup=False, highlight=False)


def ask_failed(
    ask: Asker | None, console: Console, root: Path, task: Task, result: AttemptResult, why: str
) -> str | None:
    """On a terminal: retry a failed attempt (feedback, possibly empty) or stop (None)."""
    if ask is None:
        return None
    while True:
        answer = (
            ask(
                f"{task.id} failed ({why}). [r]etry with feedback, [c]heck output, [d]iff, [s]top? "
            )
            .strip()
            .lower()
        )
        if answer in ("s", "stop"):
            return None
        if answer in ("r", "retry"):
            return ask("Feedback for the next attempt (optional): ").strip()
        if answer in ("c", "checks"):
            console.print(result.verification.report(), markup=False, highlight=False)
        elif answer in ("d", "diff") and result.head_sha:
            console.print(
                diff_text(root, result.base_sha, result.head_sha),
                markup=False,
                highlight=False,
            )
