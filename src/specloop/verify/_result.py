"""What verification produces: one CheckResult per check, and the verdict over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from specloop.sandbox import ProcessResult

#: Runs a shell command in a directory: the engine passes one that is sandboxed, timed,
#: and given a scrubbed environment; verification never starts processes another way.
CommandRunner = Callable[[str, Path], ProcessResult]


class CheckStatus(StrEnum):
    """How one check ended."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the check could not be carried out (no test command, a timeout, ...)
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    """One deterministic check of an attempt."""

    name: str
    kind: str  # "scope" | "command" | "builtin" | "evidence"
    status: CheckStatus
    blocking: bool
    output: str = ""
    command: str | None = None
    exit_code: int | None = None
    duration_ms: int = 0
    phase: str = "after"  # "before" for runs on the base


@dataclass(frozen=True)
class VerifyOptions:
    """Settings from the project's config that shape the checks."""

    test_command: str | None = None  # what "All tests pass" runs
    diff_budget: int = 800  # most lines an attempt may add plus delete
    command_timeout: float = 600.0  # for the engine's runner
    output_limit_bytes: int = 40_000  # most output kept per check


_LABELS = {
    CheckStatus.PASSED: "passed",
    CheckStatus.FAILED: "FAILED",
    CheckStatus.ERROR: "ERROR",
    CheckStatus.SKIPPED: "skipped",
}


def _describe(check: CheckResult) -> str:
    label = _LABELS[check.status] if check.blocking else check.status.value
    notes = [
        text
        for text, on in (
            ("on the base", check.phase == "before"),
            ("informational", not check.blocking),
        )
        if on
    ]
    suffix = f"  [{', '.join(notes)}]" if notes else ""
    return f"{label:<8} {check.kind:<9} {check.name}{suffix}"


@dataclass(frozen=True)
class Verification:
    """Every check of one attempt; it passes when every blocking check passed."""

    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        """True when every blocking check PASSED (non-blocking notes never fail an attempt)."""
        return not self.failures

    @property
    def failures(self) -> list[CheckResult]:
        """The blocking checks that did not pass (a blocking SKIPPED counts as not passing)."""
        return [c for c in self.checks if c.blocking and c.status is not CheckStatus.PASSED]

    @property
    def notes(self) -> list[CheckResult]:
        """Non-blocking checks worth a reader's attention (e.g. a criterion that already passed)."""
        return [
            c
            for c in self.checks
            if not c.blocking and c.phase == "after" and c.status is not CheckStatus.PASSED
        ]

    def report(self) -> str:
        """Plain text: the verdict, one line per check, then each failure's output in full.

        This is what the next attempt's handover shows, so a failure's section says what
        ran and what it printed, and nothing in it depends on colour or layout.
        """
        failures = self.failures
        blocking = [c for c in self.checks if c.blocking]
        if failures:
            head = f"Verification FAILED: {len(failures)} of {len(blocking)} checks did not pass."
        else:
            head = f"Verification passed: all {len(blocking)} checks passed."
        lines = [head, "", *(_describe(check) for check in self.checks)]
        for check in failures:
            lines += ["", f"--- {check.status.value}: {check.name} ({check.kind}) ---"]
            if check.command is not None:
                lines.append(f"$ {check.command}")
                if check.exit_code is not None:
                    lines.append(f"exit code {check.exit_code}")
            lines.append(check.output.rstrip("\n") or "(no output)")
        for check in self.notes:
            lines += ["", f"--- note: {check.name} ({check.kind}) ---"]
            lines.append(check.output.rstrip("\n") or "(no output)")
        return "\n".join(lines) + "\n"
