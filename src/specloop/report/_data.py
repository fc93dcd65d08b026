"""Everything the report shows, gathered into plain typed records before any HTML is made.

The report package may read only the ledger and the files (DESIGN.md §7), so what needs
other packages comes in as data from the caller: each task's state as ``specloop status``
derives it, and each attempt's diff text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from specloop.artifacts import TaskGraph
from specloop.ledger import EventRecord, Ledger, RunRecord, UsageTotals
from specloop.ledger._reads import DecisionRecord, FindingRecord, ReviewRecord, TaskUsage
from specloop.report._layout import GraphLayout, layout_graph
from specloop.report._reviews import NO_REVIEWS, ReviewsPart, gather_reviews

#: A diff longer than this is cut: a report must stay openable on a phone.
MAX_DIFF_CHARS = 300_000
#: Check output is already bounded by verify; this keeps a pathological row in check too.
MAX_OUTPUT_CHARS = 50_000

#: (state, reason) of a task, as `specloop status` shows it.
StateOf = tuple[str, str | None]


@dataclass(frozen=True)
class CheckView:
    """One check after the change, with its status on the base (the before/after evidence)."""

    name: str
    kind: str
    command: str | None
    status: str
    before: str | None
    exit_code: int | None
    output: str
    duration_ms: int | None


@dataclass(frozen=True)
class AttemptView:
    """One attempt at a task: who ran it, how it ended, its checks, diff, reviews, findings.

    ``findings`` are the older per-attempt findings table's; ``reviews`` the reviews
    (with their findings) that `specloop run --review` recorded for this attempt.
    """

    id: int
    number: int
    run_id: int | None
    executor: str | None
    model: str | None
    outcome: str | None
    started_at: str
    duration_s: float | None
    summary: str | None
    checks: tuple[CheckView, ...]
    diff: str | None
    diff_truncated: bool
    findings: tuple[FindingRecord, ...]
    reviews: tuple[ReviewRecord, ...] = ()


@dataclass(frozen=True)
class TaskView:
    """One task: its contract, its current state, every attempt and every decision."""

    id: str
    title: str
    state: str
    reason: str | None
    depends_on: tuple[str, ...]
    objective: str
    source: str
    attempts: tuple[AttemptView, ...]
    decisions: tuple[DecisionRecord, ...]
    usage: TaskUsage | None
    duration_s: float | None

    @property
    def executor(self) -> str | None:
        """The executor of the latest attempt."""
        return self.attempts[-1].executor if self.attempts else None


@dataclass(frozen=True)
class Totals:
    """Sums over the whole report; ``cost_usd`` None when any call's cost is unknown."""

    tasks: int
    by_state: dict[str, int]
    attempts: int
    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float | None
    duration_s: float


@dataclass(frozen=True)
class ReportData:
    """The whole page's content; ``run`` is the run asked for, else the latest one.

    ``findings`` are the older per-attempt findings; ``review`` holds reviews.
    """

    project: str
    generated_at: str
    run: RunRecord | None
    only_run: bool
    runs: tuple[RunRecord, ...]
    idea: str | None
    spec_path: str
    spec_text: str | None
    tasks: tuple[TaskView, ...]
    graph: GraphLayout
    decisions: tuple[DecisionRecord, ...]
    findings: tuple[FindingRecord, ...]
    review: ReviewsPart
    usage: tuple[UsageTotals, ...]
    totals: Totals


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds from one ledger timestamp to another; None when either is missing or bad."""
    if not start or not end:
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None
    return max(delta.total_seconds(), 0.0)


def _latest_idea(events: Sequence[EventRecord]) -> str | None:
    for event in reversed(events):
        if event.kind == "planning.idea" and event.data and isinstance(event.data.get("idea"), str):
            return str(event.data["idea"])
    return None


def _summaries(events: Sequence[EventRecord]) -> dict[int, str]:
    """The executor's own summary per attempt id (model output: shown, never trusted)."""
    out: dict[int, str] = {}
    for event in events:
        if event.kind == "attempt.executed" and event.attempt_id is not None and event.data:
            summary = event.data.get("summary")
            if isinstance(summary, str) and summary:
                out[event.attempt_id] = summary
    return out


def _clip(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def gather(
    ledger: Ledger | None,
    graph: TaskGraph,
    states: Mapping[str, StateOf],
    *,
    project: str,
    spec_path: str,
    spec_text: str | None,
    diffs: Mapping[int, str] | None = None,
    run_id: int | None = None,
) -> ReportData:
    """Read the ledger (if there is one) and the parsed task files into a ReportData.

    ``states`` maps task ids to (state, reason); ``diffs`` maps attempt ids to diff text.
    With ``run_id`` only that run's attempts, checks, findings, decisions and usage count.
    """
    diffs = diffs or {}
    runs: list[RunRecord] = []
    attempts_of: dict[str, list[AttemptView]] = defaultdict(list)
    decisions: list[DecisionRecord] = []
    findings: list[FindingRecord] = []
    usage: list[UsageTotals] = []
    task_usage: dict[str, TaskUsage] = {}
    review = NO_REVIEWS
    idea = None
    if ledger is not None:
        runs = ledger.runs()
        events = ledger.events()
        idea = _latest_idea(events)
        summaries = _summaries(events)
        checks_of: dict[int, list[CheckView]] = defaultdict(list)
        before_of: dict[tuple[int, str, str], str] = {}
        records = ledger.checks(run_id=run_id)
        for check in records:
            if check.phase == "before":
                before_of[(check.attempt_id, check.name, check.kind)] = check.status
        for check in records:
            if check.phase == "after":
                output, _ = _clip(check.output, MAX_OUTPUT_CHARS)
                checks_of[check.attempt_id].append(
                    CheckView(
                        check.name,
                        check.kind,
                        check.command,
                        check.status,
                        before_of.get((check.attempt_id, check.name, check.kind)),
                        check.exit_code,
                        output,
                        check.duration_ms,
                    )
                )
        findings = ledger.findings(run_id=run_id)
        review = gather_reviews(ledger, run_id)
        findings_of: dict[int, list[FindingRecord]] = defaultdict(list)
        for finding in findings:
            findings_of[finding.attempt_id].append(finding)
        for attempt in ledger.attempt_details(run_id=run_id):
            diff, cut = (
                _clip(diffs[attempt.id], MAX_DIFF_CHARS) if attempt.id in diffs else ("", False)
            )
            attempts_of[attempt.task_id].append(
                AttemptView(
                    attempt.id,
                    attempt.number,
                    attempt.run_id,
                    attempt.executor,
                    attempt.model,
                    attempt.outcome,
                    attempt.started_at,
                    seconds_between(attempt.started_at, attempt.finished_at),
                    summaries.get(attempt.id),
                    tuple(checks_of.get(attempt.id, ())),
                    diff if attempt.id in diffs else None,
                    cut,
                    tuple(findings_of.get(attempt.id, ())),
                    review.of_attempt(attempt.id),
                )
            )
        decisions = ledger.decisions(run_id=run_id)
        usage = ledger.usage_totals(run_id=run_id)
        task_usage = ledger.usage_per_task(run_id=run_id)
    decisions_of: dict[str, list[DecisionRecord]] = defaultdict(list)
    for decision in decisions:
        decisions_of[decision.task_id].append(decision)
    tasks = []
    for task_id in graph.ids:
        task = graph.tasks[task_id]
        state, reason = states.get(task_id, ("pending", None))
        attempts = tuple(attempts_of.get(task_id, ()))
        spent = [a.duration_s for a in attempts if a.duration_s is not None]
        tasks.append(
            TaskView(
                task_id,
                task.title,
                state,
                reason,
                task.depends_on,
                task.objective,
                task.source,
                attempts,
                tuple(decisions_of.get(task_id, ())),
                task_usage.get(task_id),
                sum(spent) if spent else None,
            )
        )
    selected = next((r for r in runs if r.id == run_id), None) if run_id else None
    return ReportData(
        project=project,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        run=selected or (runs[-1] if runs else None),
        only_run=run_id is not None,
        runs=tuple(runs),
        idea=idea,
        spec_path=spec_path,
        spec_text=spec_text,
        tasks=tuple(tasks),
        graph=layout_graph(graph, {t.id: t.state for t in tasks}),
        decisions=tuple(decisions),
        findings=tuple(findings),
        review=review,
        usage=tuple(usage),
        totals=_totals(tasks, usage),
    )


def _totals(tasks: Sequence[TaskView], usage: Sequence[UsageTotals]) -> Totals:
    by_state: dict[str, int] = defaultdict(int)
    for task in tasks:
        by_state[task.state] += 1
    costs = [u.cost_usd for u in usage]
    return Totals(
        tasks=len(tasks),
        by_state=dict(sorted(by_state.items())),
        attempts=sum(len(t.attempts) for t in tasks),
        calls=sum(u.calls for u in usage),
        input_tokens=sum(u.input_tokens for u in usage),
        cached_tokens=sum(u.cached_tokens for u in usage),
        output_tokens=sum(u.output_tokens for u in usage),
        # An unknown cost is never counted as zero (see UsageTotals).
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        duration_s=sum(t.duration_s or 0.0 for t in tasks),
    )
