"""Several attempts at once: `--parallel N` tasks side by side, and `--best-of N`.

Worker threads only run attempts (workspace, handover, executor, commit, checks), each
in its own pool slot; everything that decides (gates, merges, retries) stays in the
main thread, so merges are serialized through one merge step with its conflict check.
Ready tasks run together only when their scopes cannot overlap. A best-of-N task runs N
attempts at once (executors taken in turn from the run's list) and the winner is chosen
by evidence: every check passed, then the smaller diff, then the shorter run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from specloop.artifacts import Task, TaskGraph, patterns_may_overlap
from specloop.engine._steps import (
    AttemptResult,
    AttemptRunner,
    checks_summary,
)
from specloop.gitops import numstat
from specloop.ledger import TaskState
from specloop.sandbox import kill_running

if TYPE_CHECKING:
    from specloop.engine._engine import Engine, RunSummary


@dataclass
class _Group:
    """The attempts of one task now running (one, or N for best-of-N)."""

    task: Task
    slots: list[int]
    round: int
    futures: list[Future[AttemptResult]] = field(default_factory=list)


def rank(
    results: Sequence[AttemptResult],
    diff_lines: Mapping[int, int],
    blocking_findings: Mapping[int, int] | None = None,
) -> tuple[AttemptResult, str]:
    """The best attempt and why: all checks passed, then fewer failed checks, then fewer
    blocking review findings (with `run --review`), then the smaller diff (`diff_lines`
    by attempt id), then the shorter run."""
    findings = blocking_findings or {}

    def key(result: AttemptResult) -> tuple[int, int, int, int, int]:
        passed = result.execution.ok and result.verification.passed
        return (
            0 if passed else 1,
            len(result.verification.failures),
            findings.get(result.attempt_id, 0),
            diff_lines.get(result.attempt_id, 0),
            result.execution.duration_ms,
        )

    ordered = sorted(results, key=key)
    best = ordered[0]
    parts = []
    for other in ordered[1:]:
        mine, theirs = key(best), key(other)
        if mine[0] != theirs[0]:
            why = "every check passed; it did not"
        elif mine[1] != theirs[1]:
            why = f"{mine[1]} failed checks against {theirs[1]}"
        elif mine[2] != theirs[2]:
            why = f"fewer blocking review findings ({mine[2]} against {theirs[2]})"
        elif mine[3] != theirs[3]:
            why = f"a smaller diff ({mine[3]} against {theirs[3]} changed lines)"
        else:
            why = f"faster ({mine[4]} ms against {theirs[4]} ms)"
        parts.append(f"over attempt {other.number}: {why}")
    return best, f"attempt {best.number} ({checks_summary(best.verification)}) won " + "; ".join(
        parts
    )


def changed_lines(repo: Path, result: AttemptResult) -> int:
    """Lines added plus deleted by an attempt (0 without a commit)."""
    if result.head_sha is None:
        return 0
    return sum((a or 0) + (d or 0) for a, d, _ in numstat(repo, result.base_sha, result.head_sha))


class ParallelLoop:
    """The run loop with several slots; built and used by Engine.continue_run."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        *,
        executor_names: Sequence[str],
        autonomy: str,
        base_branch: str,
        parallel: int,
        best_of: int | None,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.executor_names = list(executor_names)
        self.autonomy = autonomy
        self.base_branch = base_branch
        self.parallel = max(1, parallel)
        self.best_of = best_of
        self.cancel = threading.Event()
        self.feedback: dict[str, str] = {}
        self.rounds: dict[str, int] = {}

    def width(self, task: Task) -> int:
        """How many attempts of `task` run at once: --best-of, else front matter, else 1."""
        if self.best_of is not None:
            return self.best_of
        value = task.options.get("best_of", 1)
        return value if isinstance(value, int) and value > 0 else 1

    def run(self, tasks: dict[str, Task], selected: set[str] | None, summary: RunSummary) -> None:
        graph = TaskGraph(tasks.values())
        finished: set[str] = set()
        running: dict[str, _Group] = {}
        with ThreadPoolExecutor(max_workers=max(self.parallel, 16)) as pool:
            try:
                while True:
                    self._start_ready(graph, tasks, selected, finished, running, pool.submit)
                    if not running:
                        break
                    futures = [f for group in running.values() for f in group.futures]
                    wait(futures, return_when=FIRST_COMPLETED)
                    for task_id, group in list(running.items()):
                        if all(f.done() for f in group.futures):
                            del running[task_id]
                            state = self._settle(group)
                            if state is not None:
                                summary.states[task_id] = state
                                finished.add(task_id)
            except BaseException:
                # Ctrl-C, or an error the engine cannot turn into a task state: stop
                # every attempt still running before the pool waits for them.
                self._stop(running)
                raise

    # -- scheduling -----------------------------------------------------------------

    def _start_ready(
        self,
        graph: TaskGraph,
        tasks: dict[str, Task],
        selected: set[str] | None,
        finished: set[str],
        running: dict[str, _Group],
        submit: Callable[..., Future[AttemptResult]],
    ) -> None:
        statuses = self.engine.ledger.task_statuses()
        merged = {t for t, s in statuses.items() if s.state is TaskState.MERGED}
        waiting = {
            t
            for t, s in statuses.items()
            if s.state in (TaskState.AWAITING_APPROVAL, TaskState.BLOCKED)
        }
        ready = [
            t
            for t in graph.ready(done=merged, exclude=finished | waiting | set(running))
            if selected is None or t in selected
        ]
        for task_id in ready:
            task = tasks[task_id]
            width = self.width(task)
            in_use = sorted(slot for group in running.values() for slot in group.slots)
            # A group wider than the run's parallelism runs when nothing else does.
            if running and len(in_use) + width > self.parallel:
                continue
            if any(self._overlaps(task, other.task) for other in running.values()):
                continue
            slots = [s for s in range(len(in_use) + width) if s not in in_use][:width]
            running[task_id] = self._launch(task, slots, submit)

    @staticmethod
    def _overlaps(a: Task, b: Task) -> bool:
        return any(patterns_may_overlap(x, y) for x in a.scope_patterns for y in b.scope_patterns)

    def _launch(
        self, task: Task, slots: list[int], submit: Callable[..., Future[AttemptResult]]
    ) -> _Group:
        engine = self.engine
        round_number = self.rounds.get(task.id, 0) + 1
        self.rounds[task.id] = round_number
        feedback = self.feedback.pop(task.id, None)
        if feedback is None:
            feedback = engine._carried_feedback(task.id)
        timeout = float(task.options.get("timeout", engine.project.config.timeout))
        group = _Group(task, slots, round_number)
        for index, slot in enumerate(slots):
            name = self.executor_names[index % len(self.executor_names)]
            engine.progress.emit(
                "attempt.started",
                task.id,
                f"{task.title}: attempt with {name} (slot {slot}"
                + (f", {index + 1} of {len(slots)})" if len(slots) > 1 else ")"),
            )
            group.futures.append(submit(self._attempt, task, name, slot, feedback, timeout))
        return group

    def _attempt(
        self, task: Task, executor_name: str, slot: int, feedback: str, timeout: float
    ) -> AttemptResult:
        """One attempt, in a worker thread (the ledger serializes its own writes)."""
        engine = self.engine
        executor = engine.executor_factory(
            executor_name, config=engine.project.config, env=engine.env, ledger=engine.ledger
        )
        runner = AttemptRunner(
            engine.project,
            engine.ledger,
            engine.pool(),
            executor,
            engine.sandbox,
            engine.env,
            self.base_branch,
            self.run_id,
            slot=slot,
            cancel=self.cancel,
        )
        return runner.run(task, feedback=feedback, timeout=timeout)

    # -- deciding (main thread) -----------------------------------------------------

    def _settle(self, group: _Group) -> TaskState | None:
        """Decide on a finished group: a final state, or None when the task goes again."""
        engine, task = self.engine, group.task
        results = [f.result() for f in group.futures]
        for result in results:
            engine.progress.emit(
                "attempt.verified",
                task.id,
                f"attempt {result.number}: executor {result.execution.summary}; "
                f"{checks_summary(result.verification)}",
                passed=result.verification.passed,
                **engine._usage_of(task.id, self.run_id),
            )
        best = results[0]
        if len(results) > 1:
            sizes = {r.attempt_id: changed_lines(engine.project.root, r) for r in results}
            best, reason = rank(results, sizes, self._review_counts(task, results))
            engine.ledger.record_decision(
                task.id,
                decision="best-of",
                actor=f"policy:best-of-{len(results)}",
                reason=reason,
                attempt_id=best.attempt_id,
            )
            losers = [r for r in results if r is not best]
            for loser in losers:
                engine.ledger.finish_attempt(
                    loser.attempt_id, outcome="lost", head_sha=loser.head_sha
                )
                # Free the slot so the kept branch can be checked out or deleted later.
                engine.pool().release(loser.slot)
            engine.progress.emit(
                "task.best_of",
                task.id,
                reason + "; kept: " + ", ".join(r.branch for r in losers),
            )
        state, feedback = engine._decide(task, best, self.autonomy)
        if state is not None:
            return state
        limit = engine.project.config.max_attempts
        if group.round >= limit:
            reason = f"no passing attempt after {limit} round(s) of attempts in this run"
            engine.ledger.set_task_state(
                task.id, TaskState.FAILED, reason=reason, run_id=self.run_id
            )
            engine.progress.emit("task.failed", task.id, reason)
            return TaskState.FAILED
        self.feedback[task.id] = feedback
        return None

    def _review_counts(self, task: Task, results: Sequence[AttemptResult]) -> dict[int, int]:
        """Blocking findings per passing attempt when the run reviews (a failed review
        counts as one): the best-of order after the checks."""
        counts: dict[int, int] = {}
        for result in results:
            if result.execution.ok and result.verification.passed:
                review = self.engine.review_attempt(task, result)
                if review is not None:
                    blocking = sum(1 for f in review.findings if f.blocking)
                    counts[result.attempt_id] = blocking + len(review.failures)
        return counts

    def _stop(self, running: dict[str, _Group]) -> None:
        """Ctrl-C: stop every attempt now; the run stays resumable (its intents are logged)."""
        self.cancel.set()
        futures = [f for group in running.values() for f in group.futures]
        while not all(f.done() for f in futures):
            kill_running()
            wait(futures, timeout=0.2)
