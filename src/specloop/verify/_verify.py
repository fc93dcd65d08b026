"""verify_attempt: every deterministic check of one attempt, in a fixed order.

Every check always runs, even after one has failed, so one report tells the next
attempt everything that is wrong instead of one problem per round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from specloop import gitops
from specloop.artifacts import BuiltinCheck, CriterionKind, Task
from specloop.verify._builtin import (
    BlobReader,
    check_diff_budget,
    check_no_secrets,
    check_no_todos,
    check_tests_kept,
)
from specloop.verify._commands import check_commands, run_before, run_check
from specloop.verify._imports import check_no_unused_imports
from specloop.verify._result import (
    CheckResult,
    CheckStatus,
    CommandRunner,
    Verification,
    VerifyOptions,
)
from specloop.verify._scope import check_changes, check_scope


def _blob_reader(repo: Path) -> BlobReader:
    def read(rev: str, path: str) -> str | None:
        try:
            text = gitops.run_git(["cat-file", "blob", f"{rev}:{path}"], repo)
        except gitops.GitError:
            return None  # not there at that revision
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return None  # binary or not UTF-8 (undecodable bytes arrive as surrogates)
        return text

    return read


def _all_tests(run: CommandRunner, worktree: Path, options: VerifyOptions) -> CheckResult:
    command = (options.test_command or "").strip()
    if not command:
        return CheckResult(
            "all-tests-pass",
            "builtin",
            CheckStatus.ERROR,
            True,
            'no test command configured: set test_command under [checks] in .specloop/config.toml (e.g. "pytest -q")',
        )
    return run_check(
        run,
        command,
        worktree,
        name="all-tests-pass",
        kind="builtin",
        limit_bytes=options.output_limit_bytes,
    )


def command_criteria(task: Task) -> list[str]:
    """The task's criterion commands, each once: running one again proves nothing."""
    return list(
        dict.fromkeys(
            c.command for c in task.criteria if c.kind is CriterionKind.COMMAND and c.command
        )
    )


def check_before(
    task: Task, *, base_worktree: Path, run: CommandRunner, options: VerifyOptions
) -> dict[str, CheckResult]:
    """The task's criterion commands run on the base: pass it to `verify_attempt(before=)`.

    The engine runs these in the attempt's own worktree before the agent starts (one
    worktree instead of two); `base_worktree` must hold the base commit, and anything
    the commands leave behind must be reset by the caller.
    """
    return run_before(
        command_criteria(task),
        run=run,
        base_worktree=base_worktree,
        limit_bytes=options.output_limit_bytes,
    )


def verify_attempt(
    task: Task,
    *,
    repo: Path,
    base_sha: str,
    head_sha: str,
    worktree: Path,
    base_worktree: Path | None,
    run: CommandRunner,
    options: VerifyOptions,
    before: Mapping[str, CheckResult] | None = None,
) -> Verification:
    """Check the attempt `base_sha..head_sha` of `task`.

    `worktree` holds `head_sha`; the task's command criteria run there through `run`.
    Their results on the base come from `before` (see `check_before`) or are gathered
    in `base_worktree` (which holds `base_sha`), so the evidence says whether they
    failed before and pass after. Git is read in `repo`, the commits themselves.
    Order: changes, scope, command criteria with their evidence, the always-on built-in
    checks (no-todos, diff-budget, tests-kept, no-secrets), then the criteria's own
    built-in phrases.
    """
    summary = gitops.diff_summary(repo, base_sha, head_sha)
    changes = summary.changes
    added = gitops.added_lines(repo, base_sha, head_sha)
    read = _blob_reader(repo)

    checks = [check_changes(changes), check_scope(task, changes)]
    commands = command_criteria(task)
    builtins = {
        c.builtin
        for c in task.criteria
        if c.kind is CriterionKind.BUILTIN and c.builtin is not None
    }
    checks += check_commands(
        commands,
        run=run,
        worktree=worktree,
        base_worktree=base_worktree,
        limit_bytes=options.output_limit_bytes,
        before=before,
    )
    checks += [
        # "No TODOs left in code" is this same check; it always runs, so it runs once.
        check_no_todos(added),
        check_diff_budget(summary.numstat, options.diff_budget),
        check_tests_kept(changes, read, base_sha, head_sha),
        check_no_secrets(added),
    ]
    if BuiltinCheck.ALL_TESTS_PASS in builtins:
        checks.append(_all_tests(run, worktree, options))
    if BuiltinCheck.NO_UNUSED_IMPORTS in builtins:
        checks.append(check_no_unused_imports(changes, read, head_sha))
    return Verification(checks)
