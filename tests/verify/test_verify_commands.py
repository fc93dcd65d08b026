"""Command criteria run for real, after the change and on the base, and the evidence."""

from __future__ import annotations

from pathlib import Path

from verify_repo import GitRepo, runner, task

from specloop.sandbox import ProcessResult
from specloop.verify import CheckResult, CheckStatus, Verification, VerifyOptions

CHECK_FEATURE = (
    "`python3 -c \"import sys; sys.exit(open('src/app.py').read() != 'x = 2\\n')\"` passes"
)
FEATURE_COMMAND = "python3 -c \"import sys; sys.exit(open('src/app.py').read() != 'x = 2\\n')\""
ALWAYS = "`test -f README.md` passes"


def checks(verification: Verification, name: str, kind: str | None = None) -> list[CheckResult]:
    return [c for c in verification.checks if c.name == name and kind in (None, c.kind)]


def one(verification: Verification, name: str, kind: str, phase: str = "after") -> CheckResult:
    (found,) = [c for c in checks(verification, name, kind) if c.phase == phase]
    return found


def make_attempt(git_repo: GitRepo) -> tuple[str, str]:
    git_repo.write("src/app.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "x = 2\n")
    return base, git_repo.commit("head")


def test_failing_before_and_passing_after_is_evidence(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    result = git_repo.verify(task(("src/app.py",), (CHECK_FEATURE,)), base, head)
    after = one(result, FEATURE_COMMAND, "command")
    assert after.status is CheckStatus.PASSED and after.blocking and after.exit_code == 0
    assert after.command == FEATURE_COMMAND
    before = one(result, FEATURE_COMMAND, "command", phase="before")
    assert before.status is CheckStatus.FAILED and not before.blocking and before.exit_code == 1
    note = one(result, FEATURE_COMMAND, "evidence")
    assert note.status is CheckStatus.PASSED and note.output == "failed before, passes after"
    evidence = one(result, "evidence", "evidence")
    assert evidence.status is CheckStatus.PASSED and evidence.blocking
    assert result.passed, result.report()
    assert result.report().startswith("Verification passed")


def test_criteria_that_already_passed_are_no_evidence(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    result = git_repo.verify(task(("src/app.py",), (ALWAYS,)), base, head)
    assert one(result, "test -f README.md", "command").status is CheckStatus.PASSED
    note = one(result, "test -f README.md", "evidence")
    assert note.status is CheckStatus.FAILED and not note.blocking
    assert note.output == "already passed before the change"
    evidence = one(result, "evidence", "evidence")
    assert evidence.status is CheckStatus.FAILED and evidence.blocking
    assert evidence.output == "no evidence of change: every criterion already passed on the base"
    assert not result.passed
    assert [c.name for c in result.failures] == ["evidence"]
    assert "no evidence of change" in result.report()


def test_one_criterion_with_evidence_is_enough(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    result = git_repo.verify(task(("src/app.py",), (ALWAYS, CHECK_FEATURE)), base, head)
    assert one(result, "evidence", "evidence").status is CheckStatus.PASSED
    assert one(result, "test -f README.md", "evidence").status is CheckStatus.FAILED  # a note
    assert result.passed, result.report()
    assert "note: test -f README.md" in result.report()


def test_a_failing_criterion_blocks_and_its_output_is_reported(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    criterion = "`sh -c 'echo expected 3 got 2; exit 4'` passes"
    result = git_repo.verify(task(("src/app.py",), (criterion,)), base, head)
    failed = one(result, "sh -c 'echo expected 3 got 2; exit 4'", "command")
    assert failed.status is CheckStatus.FAILED and failed.exit_code == 4
    assert failed.output == "expected 3 got 2\n"
    assert not result.passed
    report = result.report()
    assert report.startswith("Verification FAILED")
    assert "$ sh -c 'echo expected 3 got 2; exit 4'\nexit code 4\nexpected 3 got 2" in report


def test_a_criterion_broken_by_the_change_is_reported_as_such(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "x = 2\n")
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "x = 3\n")
    head = git_repo.commit("head")
    result = git_repo.verify(task(("src/app.py",), (CHECK_FEATURE,)), base, head)
    note = one(result, FEATURE_COMMAND, "evidence")
    assert "the change broke it" in note.output
    assert one(result, FEATURE_COMMAND, "command").status is CheckStatus.FAILED


def test_the_same_command_twice_runs_once(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    result = git_repo.verify(task(("src/app.py",), (CHECK_FEATURE, CHECK_FEATURE)), base, head)
    assert len(checks(result, FEATURE_COMMAND, "command")) == 2  # after and before, once each


def test_without_a_base_worktree_evidence_is_skipped(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    result = git_repo.verify(task(("src/app.py",), (ALWAYS,)), base, head, with_base=False)
    assert not [c for c in result.checks if c.phase == "before"]
    evidence = one(result, "evidence", "evidence")
    assert evidence.status is CheckStatus.SKIPPED and not evidence.blocking
    assert result.passed, result.report()


def test_a_timeout_is_an_error(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    result = git_repo.verify(
        task(("src/app.py",), ("`sleep 30` passes",)), base, head, run=runner(timeout=0.5)
    )
    timed_out = one(result, "sleep 30", "command")
    assert timed_out.status is CheckStatus.ERROR and timed_out.exit_code is None
    assert timed_out.output.startswith("timed out after")
    assert not result.passed


def test_a_runner_that_cannot_start_the_command_is_an_error(git_repo: GitRepo) -> None:
    from specloop.sandbox import SandboxError

    def broken(command: str, cwd: Path) -> ProcessResult:
        raise SandboxError("no /bin/sh here")

    base, head = make_attempt(git_repo)
    result = git_repo.verify(task(("src/app.py",), (ALWAYS,)), base, head, run=broken)
    failed = one(result, "test -f README.md", "command")
    assert failed.status is CheckStatus.ERROR and "no /bin/sh here" in failed.output


def test_long_output_from_a_runner_is_truncated(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    criterion = "`python3 -c \"print('a' * 100000); raise SystemExit(1)\"` passes"
    result = git_repo.verify(
        task(("src/app.py",), (criterion,)),
        base,
        head,
        options=VerifyOptions(output_limit_bytes=1000),
    )
    (failed,) = [c for c in result.failures if c.kind == "command"]
    assert len(failed.output.encode()) <= 1000
    assert "tokens truncated" in failed.output


def test_all_tests_pass_runs_the_test_command(git_repo: GitRepo) -> None:
    base, head = make_attempt(git_repo)
    the_task = task(("src/app.py",), ("All tests pass", CHECK_FEATURE))
    missing = git_repo.verify(the_task, base, head)
    no_command = one(missing, "all-tests-pass", "builtin")
    assert no_command.status is CheckStatus.ERROR and no_command.blocking
    assert "no test command configured" in no_command.output
    assert not missing.passed

    passing = git_repo.verify(the_task, base, head, options=VerifyOptions(test_command="true"))
    assert one(passing, "all-tests-pass", "builtin").status is CheckStatus.PASSED
    assert passing.passed, passing.report()

    failing = git_repo.verify(the_task, base, head, options=VerifyOptions(test_command="exit 1"))
    ran = one(failing, "all-tests-pass", "builtin")
    assert ran.status is CheckStatus.FAILED and ran.command == "exit 1"
