"""Command checks, run after the change and on the base, and the evidence between them.

A criterion that already passed on the base proves nothing about the attempt: the
task's own tests must fail before and pass after (workflow rules §3, "fail before,
pass after"), otherwise an agent could "finish" a task by changing nothing that matters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from specloop.sandbox import SandboxError, truncate_middle
from specloop.verify._result import CheckResult, CheckStatus, CommandRunner


def run_check(
    run: CommandRunner,
    command: str,
    cwd: Path,
    *,
    name: str,
    kind: str,
    limit_bytes: int,
    phase: str = "after",
    blocking: bool = True,
) -> CheckResult:
    """Run one shell command through `run`: exit 0 passes; a timeout or no start is an ERROR."""
    try:
        result = run(command, cwd)
    except SandboxError as exc:
        return CheckResult(
            name, kind, CheckStatus.ERROR, blocking, f"could not start: {exc}", command, phase=phase
        )
    # The engine's runner truncates already; a caller's own runner may not.
    output = truncate_middle(result.output, limit_bytes)
    if result.timed_out:
        status = CheckStatus.ERROR
        output = f"timed out after {result.duration_ms / 1000:.1f} s\n{output}"
    else:
        status = CheckStatus.PASSED if result.exit_code == 0 else CheckStatus.FAILED
    return CheckResult(
        name, kind, status, blocking, output, command, result.exit_code, result.duration_ms, phase
    )


def _criterion_evidence(before: CheckResult, after: CheckResult) -> CheckResult | None:
    command = after.command
    passed_before = before.status is CheckStatus.PASSED
    passes_after = after.status is CheckStatus.PASSED
    if passed_before:
        why = (
            "already passed before the change"
            if passes_after
            else "passed before the change and fails after it: the change broke it"
        )
        return CheckResult(after.name, "evidence", CheckStatus.FAILED, False, why, command)
    if passes_after:
        return CheckResult(
            after.name,
            "evidence",
            CheckStatus.PASSED,
            False,
            "failed before, passes after",
            command,
        )
    return None


def _overall_evidence(pairs: Sequence[tuple[CheckResult, CheckResult]]) -> CheckResult:
    failed_before = sum(1 for before, _ in pairs if before.status is not CheckStatus.PASSED)
    if failed_before == 0:
        return CheckResult(
            "evidence",
            "evidence",
            CheckStatus.FAILED,
            True,
            "no evidence of change: every criterion already passed on the base",
        )
    return CheckResult(
        "evidence",
        "evidence",
        CheckStatus.PASSED,
        True,
        f"{failed_before} of {len(pairs)} command criteria failed on the base",
    )


def run_before(
    commands: Sequence[str], *, run: CommandRunner, base_worktree: Path, limit_bytes: int
) -> dict[str, CheckResult]:
    """Each command on the base, by command: the "before" half of the evidence.

    A run on the base only informs the evidence; it never blocks by itself.
    """
    return {
        command: run_check(
            run,
            command,
            base_worktree,
            name=command,
            kind="command",
            limit_bytes=limit_bytes,
            phase="before",
            blocking=False,
        )
        for command in commands
    }


def check_commands(
    commands: Sequence[str],
    *,
    run: CommandRunner,
    worktree: Path,
    base_worktree: Path | None,
    limit_bytes: int,
    before: Mapping[str, CheckResult] | None = None,
) -> list[CheckResult]:
    """Each command in the worktree (blocking), then the evidence against the base.

    The base's results come from `before` (run earlier, see `run_before`) or else are
    gathered now in `base_worktree`; with neither, the evidence is skipped.
    """
    missing = [command for command in commands if before is None or command not in before]
    if missing and base_worktree is not None:
        gathered = run_before(
            missing, run=run, base_worktree=base_worktree, limit_bytes=limit_bytes
        )
        before = {**(before or {}), **gathered}
    results: list[CheckResult] = []
    pairs: list[tuple[CheckResult, CheckResult]] = []
    for command in commands:
        after = run_check(
            run, command, worktree, name=command, kind="command", limit_bytes=limit_bytes
        )
        results.append(after)
        earlier = before.get(command) if before is not None else None
        if earlier is not None:
            results.append(earlier)
            pairs.append((earlier, after))
    for earlier, after in pairs:
        note = _criterion_evidence(earlier, after)
        if note is not None:
            results.append(note)
    if commands and not pairs:
        why = "no base worktree: before/after evidence was not gathered"
        results.append(CheckResult("evidence", "evidence", CheckStatus.SKIPPED, False, why))
    elif not commands:
        why = "no command criteria: nothing to compare with the base"
        results.append(CheckResult("evidence", "evidence", CheckStatus.SKIPPED, False, why))
    else:
        results.append(_overall_evidence(pairs))
    return results
