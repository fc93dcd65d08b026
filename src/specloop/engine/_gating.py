"""What happens to an attempt once it ran: review, gate, merge, retry or stop.

`GateSteps` is the part of the Engine that decides (DESIGN.md §4 steps 7-10); the run
loop in `_engine.py` and the parallel loop in `_parallel.py` call `_decide` after each
attempt, resume and `specloop approve` call `merge` and `mark_merged`. The fields it
uses are the Engine's own (declared here for the type checker).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from specloop.artifacts import Task
from specloop.engine._failpoints import failpoint
from specloop.engine._gates import Asker, ask_failed, ask_passed
from specloop.engine._progress import Progress
from specloop.engine._project import Project, ProjectError
from specloop.engine._steps import ATTEMPT_SLOT, AttemptResult, checks_summary
from specloop.gitops import GitError, WorktreePool, current_branch, merge_into
from specloop.ledger import Ledger, TaskState

if TYPE_CHECKING:  # the review package loads pydantic: only when a run reviews
    from specloop.review import ReviewResult


def state_dir(project: Project) -> Path:
    """`.specloop/state` of the project."""
    return project.root / ".specloop" / "state"


class GateSteps:
    """Review, gates, merge and the attempt's end; mixed into Engine."""

    project: Project
    ledger: Ledger
    progress: Progress
    env: dict[str, str]
    ask: Asker | None
    _pool: WorktreePool | None
    _base: str | None
    _run_id: int | None
    _review: bool
    _reviews: dict[int, ReviewResult]

    def pool(self) -> WorktreePool:
        """The project's pool of worktrees (one object: it remembers the git dir)."""
        if self._pool is None:
            self._pool = WorktreePool(self.project.root, state_dir(self.project) / "worktrees")
        return self._pool

    def _base_branch(self) -> str:
        """The branch merges go into: the one checked out when this engine first asked,
        or the run's own base when continuing a run (DESIGN.md §4: the run's base branch)."""
        if self._base is None:
            branch = current_branch(self.project.git_root)
            if branch is None:
                raise ProjectError(
                    "HEAD is detached: check out the branch specloop should merge into"
                )
            self._base = branch
        return self._base

    def _decide(
        self, task: Task, result: AttemptResult, autonomy: str
    ) -> tuple[TaskState | None, str]:
        """After one attempt: the task's final state, or None and the next attempt's feedback."""
        failed = self._failure(result)
        review = self.review_attempt(task, result) if failed is None else None
        if review is not None and review.blocking:
            failed = f"the review blocks it: {review.summary()}"
        if failed is None:
            outcome = self._gate_passed(task, result, autonomy)
            if outcome is None:
                return self.ledger.task_statuses()[task.id].state, ""
            return None, outcome
        repeat = self._repeated_diff(task.id, result)
        if repeat is not None:
            self._finish(task, result, "blocked", TaskState.BLOCKED, repeat)
            return TaskState.BLOCKED, ""
        retry = self._gate_failed(
            task, result, autonomy, failed, review=review.report() if review else ""
        )
        if retry is None:
            return TaskState.FAILED, ""
        return None, retry

    def review_attempt(self, task: Task, result: AttemptResult) -> ReviewResult | None:
        """With `run --review`: every reviewer on the attempt's diff, recorded; else None.

        Each attempt is reviewed once (best-of ranks by the findings, then the gate
        reads the same review).
        """
        if not self._review or result.head_sha is None:
            return None
        cached = self._reviews.get(result.attempt_id)
        if cached is not None:
            return cached
        from specloop.engine._reviewing import review_and_record, reviewer_clients

        config = self.project.config
        clients = reviewer_clients(config, self.env, self.ledger, self._run_id)
        task_text = task.path.read_text(encoding="utf-8") if task.path else None
        review, _ = review_and_record(
            self.project,
            self.ledger,
            clients,
            base=result.base_sha,
            head=result.head_sha,
            shown=f"{task.id} attempt {result.number}",
            security=False,
            run_id=self._run_id,
            task_id=task.id,
            task_text=task_text,
            attempt_id=result.attempt_id,
        )
        blocking = [f"{f.title} at {f.location}" for f in review.findings if f.blocking]
        self.progress.emit(
            "attempt.reviewed",
            task.id,
            f"attempt {result.number}: {review.summary()}"
            + "".join(f"\n  blocking: {line}" for line in blocking),
            blocking=review.blocking,
        )
        self._reviews[result.attempt_id] = review
        return review

    def _failure(self, result: AttemptResult) -> str | None:
        """Why the attempt cannot be merged, or None when everything passed."""
        if not result.execution.ok:
            return f"the executor did not finish cleanly ({result.execution.summary})"
        if not result.verification.passed:
            return checks_summary(result.verification)
        return None

    def _gate_passed(self, task: Task, result: AttemptResult, autonomy: str) -> str | None:
        """Decide on a passing attempt; return feedback for another attempt, or None when done."""
        if autonomy in ("verified", "full"):
            actor, reason = (
                f"policy:{autonomy}",
                f"all checks passed ({checks_summary(result.verification)})",
            )
        else:
            answer = ask_passed(self.ask, self.progress.console, self.project.root, task, result)
            if answer is None:
                self.ledger.record_decision(
                    task.id,
                    decision="wait",
                    actor="policy:gated",
                    reason="no terminal: waiting for specloop approve/reject",
                    attempt_id=result.attempt_id,
                )
                self.ledger.set_task_state(
                    task.id,
                    TaskState.AWAITING_APPROVAL,
                    reason=f"attempt {result.number} passed; run `specloop approve {task.id}` or `specloop reject {task.id} --feedback ...`",
                    attempt_id=result.attempt_id,
                )
                self.progress.emit(
                    "task.awaiting_approval",
                    task.id,
                    f"attempt {result.number} passed every check; awaiting approval",
                )
                return None
            decision, text = answer
            actor = "human:" + (os.environ.get("USER") or "unknown")
            if decision == "reject":
                self.ledger.record_decision(
                    task.id,
                    decision="reject",
                    actor=actor,
                    reason=text,
                    attempt_id=result.attempt_id,
                )
                self.ledger.finish_attempt(
                    result.attempt_id, outcome="rejected", head_sha=result.head_sha
                )
                return f"A human rejected the previous attempt, which passed every check, with this feedback:\n{text}"
            reason = text or "approved on the terminal"
        self.ledger.record_decision(
            task.id, decision="merge", actor=actor, reason=reason, attempt_id=result.attempt_id
        )
        return self.merge(
            task, result.attempt_id, result.number, result.branch, result.head_sha, slot=result.slot
        )

    def merge(
        self,
        task: Task,
        attempt_id: int,
        number: int,
        branch: str,
        head: str | None,
        *,
        slot: int = ATTEMPT_SLOT,
    ) -> str | None:
        """Merge an approved attempt; feedback for a new attempt on conflict, else None."""
        assert head is not None
        base_branch = self._base_branch()
        self.ledger.append_event(
            "attempt.merge_intent",
            task_id=task.id,
            attempt_id=attempt_id,
            data={"head": head, "branch": branch},
        )
        failpoint("before-merge")
        try:
            # merge_into lists the worktrees (to find the base's checkout): not while a
            # parallel attempt is adding one.
            with self.pool().admin_lock(shared=True):
                merged = merge_into(
                    self.project.root,
                    base_branch,
                    head,
                    f"specloop: merge {task.id} {task.title} (attempt {number})",
                    lock_path=state_dir(self.project) / "merge.lock",
                )
        except GitError as exc:
            self.ledger.finish_attempt(attempt_id, outcome="merge-failed", head_sha=head)
            self.ledger.set_task_state(
                task.id, TaskState.FAILED, reason=f"merge failed: {exc}", attempt_id=attempt_id
            )
            self.progress.emit("task.failed", task.id, f"merge failed: {exc}")
            return None
        if not merged.merged:
            files = ", ".join(merged.conflicts)
            self.ledger.append_event(
                "attempt.conflict",
                task_id=task.id,
                attempt_id=attempt_id,
                data={"conflicts": list(merged.conflicts)},
            )
            self.ledger.finish_attempt(attempt_id, outcome="conflict", head_sha=head)
            self.progress.emit(
                "attempt.conflict",
                task.id,
                f"conflicts with the new base in {files}; re-queued on the new base",
            )
            return f"The previous attempt conflicted with changes merged meanwhile into {base_branch} (files: {files}). Redo the task on the current files."
        failpoint("after-merge")  # the base moved, the ledger does not know yet
        self.mark_merged(task.id, attempt_id, head, merged.commit or head, branch, slot=slot)
        return None

    def mark_merged(
        self,
        task_id: str,
        attempt_id: int,
        head: str,
        commit: str,
        branch: str,
        *,
        slot: int = ATTEMPT_SLOT,
    ) -> None:
        """Record a merge that happened (also used by resume)."""
        self.ledger.append_event(
            "attempt.merged",
            task_id=task_id,
            attempt_id=attempt_id,
            data={"commit": commit, "head": head},
        )
        self.ledger.finish_attempt(attempt_id, outcome="merged", head_sha=head)
        self.ledger.set_task_state(
            task_id, TaskState.MERGED, reason=f"merged as {commit[:12]}", attempt_id=attempt_id
        )
        # Merged: the branch has nothing left to inspect.
        self.pool().retire(slot, branch, head)
        self.progress.emit(
            "task.merged", task_id, f"merged into {self._base_branch()} as {commit[:12]}"
        )

    def _gate_failed(
        self, task: Task, result: AttemptResult, autonomy: str, why: str, *, review: str = ""
    ) -> str | None:
        """Decide on a failed attempt; feedback for a retry, or None when the task stops."""
        report = result.verification.report()
        if review:
            report = f"{report}\n\nThe review of this attempt:\n{review}"
        if not result.execution.ok:
            report = f"The executor did not finish cleanly: {result.execution.summary}\n{result.execution.output[-4000:]}\n\n{report}"
        if autonomy == "full":
            self.ledger.record_decision(
                task.id,
                decision="retry",
                actor="policy:full",
                reason=why,
                attempt_id=result.attempt_id,
            )
            self.ledger.finish_attempt(
                result.attempt_id, outcome="failed", head_sha=result.head_sha
            )
            return report
        answer = ask_failed(self.ask, self.progress.console, self.project.root, task, result, why)
        if answer is not None:
            self.ledger.record_decision(
                task.id,
                decision="retry",
                actor="human:" + (os.environ.get("USER") or "unknown"),
                reason=answer or why,
                attempt_id=result.attempt_id,
            )
            self.ledger.finish_attempt(
                result.attempt_id, outcome="failed", head_sha=result.head_sha
            )
            return report + (f"\n\nA human adds:\n{answer}" if answer else "")
        self._finish(
            task,
            result,
            "failed",
            TaskState.FAILED,
            f"attempt {result.number} failed: {why} (branch {result.branch} kept)",
        )
        return None

    def _finish(
        self, task: Task, result: AttemptResult, outcome: str, state: TaskState, reason: str
    ) -> None:
        self.ledger.finish_attempt(result.attempt_id, outcome=outcome, head_sha=result.head_sha)
        self.ledger.set_task_state(task.id, state, reason=reason, attempt_id=result.attempt_id)
        self.progress.emit(f"task.{state}", task.id, reason)

    def _repeated_diff(self, task_id: str, result: AttemptResult) -> str | None:
        """A reason to stop when this attempt's change equals an earlier failed one."""
        if result.tree is None:
            return None
        for event in self.ledger.events(task_id=task_id):
            if (
                event.kind == "attempt.committed"
                and event.attempt_id != result.attempt_id
                and event.data
                and event.data.get("tree") == result.tree
            ):
                return f"attempt {result.number} produced exactly the change of an earlier failed attempt; a human should look (branch {result.branch})"
        return None
