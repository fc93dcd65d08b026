"""Verification: the verdict over the checks, and the report the next attempt reads."""

from __future__ import annotations

from specloop.verify import CheckResult, CheckStatus, Verification

PASS = CheckResult("scope", "scope", CheckStatus.PASSED, True, "all in scope")
FAIL = CheckResult(
    "pytest -q", "command", CheckStatus.FAILED, True, "1 failed\n", command="pytest -q", exit_code=1
)
NOTE = CheckResult(
    "make lint", "evidence", CheckStatus.FAILED, False, "already passed before the change"
)
BEFORE = CheckResult(
    "pytest -q",
    "command",
    CheckStatus.FAILED,
    False,
    "2 failed",
    command="pytest -q",
    phase="before",
)
SKIP = CheckResult("evidence", "evidence", CheckStatus.SKIPPED, False, "no base worktree")


def test_passes_when_every_blocking_check_passed() -> None:
    verification = Verification([PASS, NOTE, BEFORE, SKIP])
    assert verification.passed
    assert verification.failures == []
    assert verification.notes == [NOTE, SKIP]


def test_a_blocking_failure_error_or_skip_fails() -> None:
    for status in (CheckStatus.FAILED, CheckStatus.ERROR, CheckStatus.SKIPPED):
        blocking = CheckResult("x", "builtin", status, True)
        verification = Verification([PASS, blocking])
        assert not verification.passed
        assert verification.failures == [blocking]


def test_an_empty_verification_passes_vacuously() -> None:
    assert Verification([]).passed


def test_report_lists_every_check_and_shows_failures_in_full() -> None:
    report = Verification([PASS, FAIL, BEFORE, NOTE, SKIP]).report()
    lines = report.splitlines()
    assert lines[0] == "Verification FAILED: 1 of 2 checks did not pass."
    assert lines[2].split() == ["passed", "scope", "scope"]
    assert lines[3].split() == ["FAILED", "command", "pytest", "-q"]
    assert "[on the base, informational]" in lines[4]
    assert "--- failed: pytest -q (command) ---\n$ pytest -q\nexit code 1\n1 failed\n" in report
    assert "--- note: make lint (evidence) ---\nalready passed before the change" in report
    assert "2 failed" not in report  # the base run is listed, its output is not a failure
    assert report.endswith("\n")


def test_report_when_everything_passed() -> None:
    report = Verification([PASS]).report()
    assert report.startswith("Verification passed: all 1 checks passed.")
    assert "---" not in report
