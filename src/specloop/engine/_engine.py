"""`specloop run`: ready tasks through the loop of DESIGN.md §4, one after another.

For each ready task: attempts (fresh session each, bounded by `run.max_attempts`),
each verified by specloop; then the gate of the autonomy level decides; a merge is
checked for conflicts first and never happens for an attempt with a failed check."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specloop.artifacts import Task, TaskGraph, load_tasks
from specloop.engine._failpoints import failpoint
from specloop.engine._gates import Asker, ask_failed, ask_passed
from specloop.engine._parallel import ParallelLoop
from specloop.engine._progress import Progress
from specloop.engine._project import Project, ProjectError
from specloop.engine._steps import (
    ATTEMPT_SLOT,
    MAX_SLOTS,
    AttemptResult,
    AttemptRunner,
    checks_summary,
)
from specloop.executors import Executor, make_executor
from specloop.gitops import (
    GitError,
    WorktreePool,
    current_branch,
    merge_into,
    resolve,
)
from specloop.ledger import Ledger, TaskState
from specloop.sandbox import Sandbox

if TYPE_CHECKING:  # the review package loads pydantic: only when a run reviews
    from specloop.review import ReviewResult

ExecutorFactory = Callable[..., Executor]
AUTONOMY = ("gated", "verified", "full")


@dataclass
class RunOptions:
    """What to run and how (None: from the config)."""

    task_ids: Sequence[str] = ()
    executor: str | None = None  # one name, or several "codex,claude" for best-of
    autonomy: str | None = None
    parallel: int | None = None
    best_of: int | None = None
    review: bool = False  # every attempt that passed its checks is reviewed before its gate


def executor_names(text: str) -> list[str]:
    """`codex,claude` -> both; a `cmd:` command is one executor whatever it contains."""
    if text.startswith("cmd:"):
        return [text]
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise ProjectError(f"--executor {text!r} has an empty name between commas")
    return names


@dataclass
class RunSummary:
    """The final state of every task this run touched."""

    run_id: int
    states: dict[str, TaskState] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """1 when a task failed or is blocked, else 0 (awaiting approval is not a failure)."""
        return (
            1
            if any(s in (TaskState.FAILED, TaskState.BLOCKED) for s in self.states.values())
            else 0
        )


def state_dir(project: Project) -> Path:
    """`.specloop/state` of the project."""
    return project.root / ".specloop" / "state"


@dataclass
class Engine:
    """The run loop; every collaborator passed in so tests can swap it."""

    project: Project
    ledger: Ledger
    progress: Progress
    sandbox: Sandbox
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    ask: Asker | None = None
    executor_factory: ExecutorFactory = make_executor
    _pool: WorktreePool | None = field(default=None, init=False, repr=False)
    _base: str | None = field(default=None, init=False, repr=False)
    _run_id: int | None = field(default=None, init=False, repr=False)
    _review: bool = field(default=False, init=False, repr=False)
    _reviews: dict[int, ReviewResult] = field(default_factory=dict, init=False, repr=False)

    # -- public ---------------------------------------------------------------------

    def run(self, options: RunOptions) -> RunSummary:
        """Run the selected (or all ready) tasks until done or a gate stops them."""
        config = self.project.config
        autonomy = options.autonomy or config.autonomy
        if autonomy not in AUTONOMY:
            raise ProjectError(
                f"--autonomy must be one of {', '.join(AUTONOMY)} (got {autonomy!r})"
            )
        executor_name = options.executor or config.executor
        names = executor_names(executor_name)
        parallel = options.parallel if options.parallel is not None else config.parallel
        if not 1 <= parallel <= MAX_SLOTS:
            raise ProjectError(f"--parallel must be from 1 to {MAX_SLOTS} (got {parallel})")
        if options.best_of is not None and not 1 <= options.best_of <= 16:
            raise ProjectError(f"--best-of must be from 1 to 16 (got {options.best_of})")
        base_branch = self._base_branch()
        tasks = self._tasks()
        selected = self._check_selection(tasks, options.task_ids)
        # Every executor is built once now, so a missing agent or model fails before
        # anything runs (exit 3), not halfway through.
        built = [
            self.executor_factory(name, config=config, env=self.env, ledger=self.ledger)
            for name in names
        ]
        if options.review:
            from specloop.engine._reviewing import check_reviewers

            check_reviewers(config, self.env)  # no reviewer: exit 3 before anything runs
        choices = {
            "tasks": list(options.task_ids),
            "executor": executor_name,
            "autonomy": autonomy,
            "parallel": parallel,
            "best_of": options.best_of,
            "review": options.review,
        }
        run = self.ledger.start_run(
            base_ref=base_branch,
            base_sha=resolve(self.project.root, base_branch),
            autonomy=autonomy,
            config=choices,
        )
        # Resume reads the run's choices back from this event.
        self.ledger.append_event("run.options", run_id=run.id, data=choices)
        extra = f", parallel {parallel}" if parallel > 1 else ""
        extra += f", best of {options.best_of}" if options.best_of else ""
        self.progress.emit(
            "run.started",
            None,
            f"run {run.id}: base {base_branch}, executor {executor_name}, autonomy {autonomy}{extra}",
            run=run.id,
        )
        return self.continue_run(
            run.id,
            tasks,
            selected,
            built[0],
            autonomy,
            base_branch,
            executor_names=names,
            parallel=parallel,
            best_of=options.best_of,
            review=options.review,
        )

    def continue_run(
        self,
        run_id: int,
        tasks: dict[str, Task],
        selected: set[str] | None,
        executor: Executor,
        autonomy: str,
        base_branch: str,
        *,
        executor_names: Sequence[str] = (),
        parallel: int = 1,
        best_of: int | None = None,
        review: bool = False,
    ) -> RunSummary:
        """The loop proper (also used by resume).

        One task at a time in slot 0, unless the run is parallel or a task wants
        best-of-N: then `ParallelLoop` runs attempts side by side.
        """
        self._base = base_branch  # every merge of this run goes into the run's base
        self._run_id, self._review = run_id, review
        summary = RunSummary(run_id)
        wide = best_of not in (None, 1) or any(
            task.options.get("best_of", 1) != 1 for task in tasks.values()
        )
        if parallel > 1 or wide:
            loop = ParallelLoop(
                self,
                run_id,
                executor_names=list(executor_names) or [executor.name],
                autonomy=autonomy,
                base_branch=base_branch,
                parallel=parallel,
                best_of=best_of,
            )
            try:
                loop.run(tasks, selected, summary)
            except KeyboardInterrupt:
                self.ledger.append_event("run.interrupted", run_id=run_id)
                raise
            finally:
                self.progress.stop()
            return self._finish_run(run_id, summary)
        runner = AttemptRunner(
            self.project,
            self.ledger,
            self.pool(),
            executor,
            self.sandbox,
            self.env,
            base_branch,
            run_id,
        )
        graph = TaskGraph(tasks.values())
        finished_here: set[str] = set()
        try:
            while True:
                statuses = self.ledger.task_statuses()
                merged = {t for t, s in statuses.items() if s.state is TaskState.MERGED}
                waiting = {
                    t
                    for t, s in statuses.items()
                    if s.state in (TaskState.AWAITING_APPROVAL, TaskState.BLOCKED)
                }
                ready = [
                    t
                    for t in graph.ready(done=merged, exclude=finished_here | waiting)
                    if selected is None or t in selected
                ]
                if not ready:
                    break
                task = tasks[ready[0]]
                summary.states[task.id] = self._run_task(task, runner, autonomy)
                finished_here.add(task.id)
        except KeyboardInterrupt:
            self.ledger.append_event("run.interrupted", run_id=run_id)
            raise
        finally:
            self.progress.stop()  # leave the final board, never a live display, behind
        return self._finish_run(run_id, summary)

    def _finish_run(self, run_id: int, summary: RunSummary) -> RunSummary:
        waiting_now = any(s is TaskState.AWAITING_APPROVAL for s in summary.states.values())
        self.ledger.finish_run(run_id, "waiting" if waiting_now else "finished")
        self.progress.emit("run.finished", None, self._closing_line(summary), run=run_id)
        return summary

    # -- one task -------------------------------------------------------------------

    def _run_task(self, task: Task, runner: AttemptRunner, autonomy: str) -> TaskState:
        config = self.project.config
        timeout = float(task.options.get("timeout", config.timeout))
        feedback = self._carried_feedback(task.id)
        for _ in range(config.max_attempts):
            self.progress.emit(
                "attempt.started", task.id, f"{task.title}: attempt with {runner.executor.name}"
            )
            result = runner.run(task, feedback=feedback, timeout=timeout)
            self.progress.emit(
                "attempt.verified",
                task.id,
                f"attempt {result.number}: executor {result.execution.summary}; {checks_summary(result.verification)}",
                passed=result.verification.passed,
                **self._usage_of(task.id, runner.run_id),
            )
            state, feedback = self._decide(task, result, autonomy)
            if state is not None:
                return state
        reason = f"no passing attempt after {config.max_attempts} attempt(s) in this run"
        self.ledger.set_task_state(task.id, TaskState.FAILED, reason=reason, run_id=runner.run_id)
        self.progress.emit("task.failed", task.id, reason)
        return TaskState.FAILED

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
            with self.pool().admin_lock():
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

    # -- helpers -------------------------------------------------------------------

    def _usage_of(self, task_id: str, run_id: int | None) -> dict[str, Any]:
        """Tokens and cost this run spent on a task so far (for the live board)."""
        totals = self.ledger.usage_totals(run_id=run_id, task_id=task_id)
        costs = [t.cost_usd for t in totals]
        return {
            "tokens_in": sum(t.input_tokens for t in totals),
            "tokens_out": sum(t.output_tokens for t in totals),
            "cost": None
            if any(c is None for c in costs)
            else sum(c for c in costs if c is not None),
        }

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

    def _tasks(self) -> dict[str, Task]:
        loaded = load_tasks(self.project.root, self.project.config.tasks_dir)
        broken = [d for d in loaded.diagnostics if d.severity == "error"]
        if broken:
            first = broken[0]
            raise ProjectError(f"{first.path}:{first.line}: {first.message} (run `specloop lint`)")
        return {t.id: t for t in loaded.tasks}

    def _check_selection(self, tasks: Mapping[str, Task], wanted: Sequence[str]) -> set[str] | None:
        if not wanted:
            return None
        statuses = self.ledger.task_statuses()
        merged = {t for t, s in statuses.items() if s.state is TaskState.MERGED}
        for task_id in wanted:
            if task_id not in tasks:
                raise ProjectError(f"no task {task_id} in {self.project.config.tasks_dir}/")
            if task_id in merged:
                raise ProjectError(f"{task_id} is already merged")
            waiting = [d for d in tasks[task_id].depends_on if d not in merged]
            if waiting:
                raise ProjectError(f"{task_id} is not ready: waiting for {', '.join(waiting)}")
        return set(wanted)

    def _carried_feedback(self, task_id: str) -> str:
        """What the next attempt must know from before this run: a human's `specloop
        reject` feedback, or else the report of the last attempt if it failed."""
        for event in reversed(self.ledger.events(task_id=task_id)):
            data = event.data or {}
            if event.kind == "task.feedback":
                return "A human rejected the previous attempt with this feedback:\n" + str(
                    data.get("feedback", "")
                )
            if event.kind == "attempt.verified":
                return (
                    ""
                    if data.get("passed")
                    else "The previous attempt failed verification:\n" + str(data.get("report", ""))
                )
        return ""

    def _closing_line(self, summary: RunSummary) -> str:
        if not summary.states:
            return "nothing to run: no task is ready (see `specloop status`)"
        counts: dict[str, int] = {}
        for state in summary.states.values():
            counts[str(state)] = counts.get(str(state), 0) + 1
        return "run finished: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
