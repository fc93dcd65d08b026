"""`specloop run`: ready tasks through the loop of DESIGN.md §4, one after another.

For each ready task: attempts (fresh session each, bounded by `run.max_attempts`),
each verified by specloop; then the gate of the autonomy level decides; a merge is
checked for conflicts first and never happens for an attempt with a failed check."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specloop.artifacts import Task, TaskGraph, load_tasks
from specloop.engine._gates import Asker
from specloop.engine._gating import GateSteps
from specloop.engine._parallel import ParallelLoop
from specloop.engine._progress import Progress
from specloop.engine._project import Project, ProjectError
from specloop.engine._steps import (
    MAX_SLOTS,
    AttemptRunner,
    checks_summary,
)
from specloop.executors import Executor, make_executor
from specloop.gitops import (
    WorktreePool,
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


@dataclass
class Engine(GateSteps):
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
