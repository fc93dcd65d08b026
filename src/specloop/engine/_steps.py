"""One attempt of one task: workspace, handover, execute, commit, verify.

Each step writes an intent event to the ledger before it starts and a result event
after, so that `specloop resume` can tell, after a crash at any moment, how far an
attempt got (see `_resume.py`)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from specloop.artifacts import Task, resolve_agents_chain
from specloop.engine._handover import build_handover
from specloop.engine._project import Project
from specloop.executors import ExecutionRequest, ExecutionResult, Executor
from specloop.gitops import WorktreePool, commit_attempt, resolve
from specloop.ledger import Ledger, TaskState
from specloop.sandbox import ProcessResult, Sandbox, run_sandboxed, scrubbed_env
from specloop.verify import (
    CheckResult,
    CheckStatus,
    CommandRunner,
    Verification,
    VerifyOptions,
    check_before,
    command_criteria,
    verify_attempt,
)

#: Pool slots: attempts run in slots 0 up to the run's parallelism (at most
#: MAX_SLOTS); `specloop verify` checks an attempt out in VERIFY_SLOT and the base for
#: its before/after evidence in BASE_SLOT (a run gathers that evidence in the attempt's
#: own slot before the agent starts).
ATTEMPT_SLOT = 0
MAX_SLOTS = 64
BASE_SLOT = MAX_SLOTS
VERIFY_SLOT = MAX_SLOTS + 1
BASE_BRANCH_FOR_EVIDENCE = "specloop/evidence-base"


class AttemptCancelled(Exception):
    """The run is stopping (Ctrl-C): the attempt stopped between two steps."""


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt produced and how it verified."""

    attempt_id: int
    number: int
    branch: str
    base_sha: str
    head_sha: str | None
    tree: str | None
    execution: ExecutionResult
    verification: Verification
    slot: int = ATTEMPT_SLOT


def attempt_branch(task_id: str, number: int) -> str:
    """The branch of attempt `number` of `task_id` (kept after a failure for inspection)."""
    return f"specloop/{task_id}/attempt-{number}"


def handover_path(project: Project, task_id: str, number: int) -> Path:
    """Where the handover of an attempt is stored (outside the worktree: not in scope)."""
    return project.root / ".specloop" / "state" / "handovers" / f"{task_id}-attempt-{number}.md"


@dataclass
class AttemptRunner:
    """Runs attempts for one project with one executor; every part passed in."""

    project: Project
    ledger: Ledger
    pool: WorktreePool
    executor: Executor
    sandbox: Sandbox
    env: dict[str, str]
    base_branch: str
    run_id: int | None  # None for `specloop verify`, which is not part of a run
    slot: int = ATTEMPT_SLOT
    cancel: threading.Event | None = None  # set when the run stops: see AttemptCancelled

    def run(self, task: Task, *, feedback: str, timeout: float) -> AttemptResult:
        """One full attempt; the task's state moves to running, then verifying."""
        ledger = self.ledger
        base_sha = resolve(
            self.project.root, self.base_branch
        )  # once per attempt: see DESIGN.md §4
        ledger.upsert_task(task.id, title=task.title, path=task.source)
        record = ledger.start_attempt(
            task.id, run_id=self.run_id, executor=self.executor.name, base_sha=base_sha
        )
        branch = attempt_branch(task.id, record.number)
        ledger.set_task_state(
            task.id,
            TaskState.RUNNING,
            reason=f"attempt {record.number}",
            run_id=self.run_id,
            attempt_id=record.id,
        )
        worktree = self.pool.checkout(self.slot, branch, base_sha)
        self._event(
            "attempt.started",
            task.id,
            record.id,
            branch=branch,
            base_sha=base_sha,
            worktree=str(worktree),
            number=record.number,
        )

        before = self._check_base(task, record.id, worktree, branch, base_sha)

        handover = build_handover(
            self.project.root,
            worktree,
            task,
            resolve_agents_chain(self.project.root),
            feedback=feedback,
        )
        path = handover_path(self.project, task.id, record.number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(handover.text, encoding="utf-8")
        self._event(
            "attempt.handover",
            task.id,
            record.id,
            path=str(path),
            tokens=handover.tokens,
            feedback=bool(feedback),
        )

        assert task.path is not None
        request = ExecutionRequest(
            task=task,
            task_file=task.path.resolve(),
            worktree=worktree,
            handover=handover.text,
            handover_path=path,
            attempt=record.number,
            timeout=timeout,
            env=self.env,
            sandbox=self.sandbox,
            run_id=self.run_id,
            attempt_id=record.id,
        )
        self._stop_if_cancelled()
        self._event("attempt.execute_intent", task.id, record.id)
        execution = self.executor.run(request)
        self._event(
            "attempt.executed",
            task.id,
            record.id,
            ok=execution.ok,
            exit_code=execution.exit_code,
            timed_out=execution.timed_out,
            summary=execution.summary,
            duration_ms=execution.duration_ms,
        )

        outcome = commit_attempt(
            worktree,
            branch,
            base_sha,
            f"specloop: {task.id} {task.title} (attempt {record.number})",
        )
        tree = outcome.tree
        self._event(
            "attempt.committed",
            task.id,
            record.id,
            sha=outcome.sha,
            tree=tree,
            agent_committed=outcome.agent_committed,
            switched_branch=outcome.switched_branch,
        )
        ledger.set_task_state(
            task.id,
            TaskState.VERIFYING,
            reason=f"attempt {record.number}",
            run_id=self.run_id,
            attempt_id=record.id,
        )
        self._stop_if_cancelled()
        verification = self.verify(
            task, record.id, base_sha, outcome.sha or base_sha, worktree, before=before
        )
        return AttemptResult(
            record.id,
            record.number,
            branch,
            base_sha,
            outcome.sha,
            tree,
            execution,
            verification,
            self.slot,
        )

    def _stop_if_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise AttemptCancelled()

    def _check_base(
        self, task: Task, attempt_id: int, worktree: Path, branch: str, base_sha: str
    ) -> dict[str, CheckResult]:
        """The criteria on the base, in the attempt's fresh worktree before the agent runs.

        One worktree instead of a second one kept at the base: the commands run, then
        the worktree is reset again, so nothing they leave behind reaches the attempt.
        """
        if not command_criteria(task):
            return {}  # nothing to compare: no run, no second reset
        options = self._options()
        self._event("attempt.before_intent", task.id, attempt_id)
        before = check_before(
            task, base_worktree=worktree, run=self._runner(options.command_timeout), options=options
        )
        self.pool.checkout(self.slot, branch, base_sha)
        return before

    def verify(
        self,
        task: Task,
        attempt_id: int,
        base_sha: str,
        head_sha: str,
        worktree: Path,
        *,
        before: Mapping[str, CheckResult] | None = None,
    ) -> Verification:
        """Run every check and record each one.

        The criteria's results on the base come from `before` (an attempt gathers them
        before its agent starts) or else from a pool slot checked out at the base.
        """
        self._event("attempt.verify_intent", task.id, attempt_id, head=head_sha)
        options = self._options()
        base_worktree = None
        if before is None:
            base_worktree = self.pool.checkout(BASE_SLOT, BASE_BRANCH_FOR_EVIDENCE, base_sha)
        try:
            verification = verify_attempt(
                task,
                repo=self.project.root,
                base_sha=base_sha,
                head_sha=head_sha,
                worktree=worktree,
                base_worktree=base_worktree,
                run=self._runner(options.command_timeout),
                options=options,
                before=before,
            )
        finally:
            if base_worktree is not None:  # leave no specloop-only branch behind
                self.pool.retire(BASE_SLOT, BASE_BRANCH_FOR_EVIDENCE, base_sha)
        for check in verification.checks:
            self.ledger.record_check(
                attempt_id,
                name=check.name,
                kind=check.kind,
                status=str(check.status),
                phase=check.phase,
                command=check.command,
                exit_code=check.exit_code,
                output=check.output,
                duration_ms=check.duration_ms,
            )
        failures = [c.name for c in verification.failures]
        # The report (bounded) lets a later run hand the failure to the next attempt.
        self._event(
            "attempt.verified",
            task.id,
            attempt_id,
            passed=verification.passed,
            failures=failures,
            report=verification.report()[:20_000],
        )
        return verification

    def _options(self) -> VerifyOptions:
        config = self.project.config
        return VerifyOptions(
            test_command=config.test_command,
            diff_budget=config.diff_budget,
            command_timeout=float(config.timeout),
        )

    def _runner(self, timeout: float) -> CommandRunner:
        # Criteria are the repository's own commands: they get no API keys at all.
        sandbox, env = self.sandbox, scrubbed_env(self.env)

        def run(command: str, cwd: Path) -> ProcessResult:
            return run_sandboxed(
                sandbox, command, cwd=cwd, env=env, timeout=timeout, writable=[cwd]
            )

        return run

    def _event(self, kind: str, task_id: str, attempt_id: int, **data: object) -> None:
        self.ledger.append_event(
            kind, run_id=self.run_id, task_id=task_id, attempt_id=attempt_id, data=dict(data)
        )


def checks_summary(verification: Verification) -> str:
    """`5/6 checks passed; failed: scope` style one-liner."""
    checks = [c for c in verification.checks if c.blocking]
    passed = sum(1 for c in checks if c.status is CheckStatus.PASSED)
    failed = [c.name for c in verification.failures]
    text = f"{passed}/{len(checks)} checks passed"
    return text + (f"; failed: {', '.join(failed)}" if failed else "")
