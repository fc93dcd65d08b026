"""Human decisions outside a run: `approve`, `reject`, `verify`, and `clean`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from specloop.engine._engine import Engine
from specloop.engine._project import ProjectError
from specloop.engine._steps import VERIFY_SLOT, AttemptRunner
from specloop.executors import ExecutionRequest, ExecutionResult
from specloop.gitops import branches, delete_branch, is_ancestor, resolve
from specloop.ledger import TaskState
from specloop.verify import Verification


@dataclass(frozen=True)
class LatestAttempt:
    """The newest attempt of a task, as the ledger's events describe it."""

    attempt_id: int
    number: int
    branch: str
    base_sha: str
    head: str | None
    passed: bool | None


def latest_attempt(engine: Engine, task_id: str) -> LatestAttempt:
    """The task's newest attempt (ProjectError when it has none)."""
    started = committed = verified = None
    for event in engine.ledger.events(task_id=task_id):
        if event.kind == "attempt.started":
            started, committed, verified = event, None, None
        elif (
            event.kind == "attempt.committed" and started and event.attempt_id == started.attempt_id
        ):
            committed = event
        elif (
            event.kind == "attempt.verified" and started and event.attempt_id == started.attempt_id
        ):
            verified = event
    if started is None or started.attempt_id is None or not started.data:
        raise ProjectError(f"{task_id} has no attempt yet: run `specloop run {task_id}`")
    return LatestAttempt(
        attempt_id=started.attempt_id,
        number=int(started.data["number"]),
        branch=str(started.data["branch"]),
        base_sha=str(started.data["base_sha"]),
        head=(committed.data or {}).get("sha") if committed else None,
        passed=bool((verified.data or {}).get("passed")) if verified else None,
    )


def _actor() -> str:
    return "human:" + (os.environ.get("USER") or "unknown")


def approve(engine: Engine, task_id: str, reason: str) -> str:
    """Merge the attempt that awaits approval; refuse anything whose checks failed."""
    status = engine.ledger.task_statuses().get(task_id)
    if status is None or status.state is not TaskState.AWAITING_APPROVAL:
        state = status.state if status else "pending"
        raise ProjectError(f"{task_id} is not awaiting approval (it is {state})")
    attempt = latest_attempt(engine, task_id)
    if not attempt.passed or attempt.head is None:
        raise ProjectError(
            f"{task_id}: attempt {attempt.number} did not pass every check; it cannot be merged (reject it with feedback)"
        )
    tasks = engine._tasks()
    engine.ledger.record_decision(
        task_id,
        decision="merge",
        actor=_actor(),
        reason=reason or "approved with specloop approve",
        attempt_id=attempt.attempt_id,
    )
    feedback = engine.merge(
        tasks[task_id], attempt.attempt_id, attempt.number, attempt.branch, attempt.head
    )
    if feedback is not None:
        engine.ledger.append_event("task.feedback", task_id=task_id, data={"feedback": feedback})
        engine.ledger.set_task_state(
            task_id,
            TaskState.READY,
            reason="merge conflict after approval: re-queued on the new base",
        )
        return f"{task_id}: conflicts with the new base; re-queued (run `specloop run`)"
    return f"{task_id}: merged"


def reject(engine: Engine, task_id: str, feedback: str) -> str:
    """Record a human's no with feedback; the next run starts a fresh attempt with it."""
    if not feedback.strip():
        raise ProjectError(
            "reject needs --feedback TEXT: say what the next attempt must do differently"
        )
    attempt = latest_attempt(engine, task_id)
    status = engine.ledger.task_statuses().get(task_id)
    if status is not None and status.state is TaskState.MERGED:
        raise ProjectError(f"{task_id} is already merged")
    engine.ledger.record_decision(
        task_id, decision="reject", actor=_actor(), reason=feedback, attempt_id=attempt.attempt_id
    )
    engine.ledger.append_event(
        "task.feedback", task_id=task_id, attempt_id=attempt.attempt_id, data={"feedback": feedback}
    )
    engine.ledger.set_task_state(
        task_id, TaskState.READY, reason=f"rejected: {feedback}", attempt_id=attempt.attempt_id
    )
    return f"{task_id}: rejected; the next `specloop run` starts a fresh attempt with your feedback"


def verify_latest(engine: Engine, task_id: str) -> Verification:
    """Re-run every deterministic check on the task's latest attempt."""
    attempt = latest_attempt(engine, task_id)
    if attempt.head is None:
        raise ProjectError(f"{task_id}: attempt {attempt.number} has no commit to verify")
    tasks = engine._tasks()
    pool = engine.pool()
    worktree = pool.checkout(VERIFY_SLOT, f"specloop/verify-{task_id}", attempt.head)
    runner = AttemptRunner(
        engine.project,
        engine.ledger,
        pool,
        _NoExecutor(),
        engine.sandbox,
        engine.env,
        engine._base_branch(),
        None,
    )
    try:
        return runner.verify(
            tasks[task_id], attempt.attempt_id, attempt.base_sha, attempt.head, worktree
        )
    finally:
        pool.release(VERIFY_SLOT)
        delete_branch(engine.project.root, f"specloop/verify-{task_id}")


class _NoExecutor:
    """`verify` re-checks an existing commit; it never runs an agent."""

    name = "none"

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        raise AssertionError("verify does not run an executor")


def clean(engine: Engine) -> list[str]:
    """Remove the pooled worktrees and the branches of attempts that were not merged."""
    removed: list[str] = []
    pool = engine.pool()
    for slot in pool.slots():
        removed.append(f"worktree {slot}")
    pool.remove_all()
    base = resolve(engine.project.root, engine._base_branch())
    for branch in branches(engine.project.root, "specloop/"):
        head = resolve(engine.project.root, branch)
        delete_branch(engine.project.root, branch)
        merged = is_ancestor(engine.project.root, head, base)
        removed.append(f"branch {branch}" + (" (merged)" if merged else ""))
    return removed
