"""Reads and writes through the Ledger: runs, attempts, events, state, usage, evidence."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from specloop.ledger import (
    LEDGER_RELPATH,
    TASK_STATE_EVENT,
    AttemptRecord,
    Ledger,
    LedgerError,
    TaskState,
    UsageTotals,
)

ISO_MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / LEDGER_RELPATH) as opened:
        yield opened


def _raw(ledger: Ledger) -> sqlite3.Connection:
    return sqlite3.connect(ledger.path, isolation_level=None)


def _attempt(ledger: Ledger, task_id: str = "0x01") -> AttemptRecord:
    ledger.upsert_task(task_id, title=f"task {task_id}")
    return ledger.start_attempt(task_id)


def test_task_state_values_match_the_status_contract() -> None:
    assert [s.value for s in TaskState] == [
        "pending",
        "ready",
        "running",
        "verifying",
        "awaiting_approval",
        "merged",
        "failed",
        "blocked",
    ]


def test_runs_start_finish_and_latest(ledger: Ledger) -> None:
    assert ledger.latest_run() is None
    first = ledger.start_run(base_ref="main", base_sha="abc", autonomy="review", config={"k": 1})
    second = ledger.start_run()
    assert second.id > first.id
    assert first.status == "running"
    assert ISO_MS_UTC.match(first.started_at)
    ledger.finish_run(second.id, "completed")

    latest = ledger.latest_run()
    assert latest is not None
    assert (latest.id, latest.status) == (second.id, "completed")
    assert latest.finished_at is not None and ISO_MS_UTC.match(latest.finished_at)
    conn = _raw(ledger)
    assert conn.execute("SELECT config FROM runs WHERE id = ?", (first.id,)).fetchone() == (
        '{"k":1}',
    )
    conn.close()


def test_finishing_twice_or_unknown_is_refused(ledger: Ledger) -> None:
    run = ledger.start_run()
    ledger.finish_run(run.id, "completed")
    with pytest.raises(ValueError, match="already finished"):
        ledger.finish_run(run.id, "failed")
    with pytest.raises(ValueError, match="unknown run 999"):
        ledger.finish_run(999, "failed")
    attempt = _attempt(ledger)
    ledger.finish_attempt(attempt.id, outcome="passed", head_sha="def")
    with pytest.raises(ValueError, match="already finished"):
        ledger.finish_attempt(attempt.id, outcome="failed")
    latest = ledger.latest_run()
    assert latest is not None and latest.status == "completed"


def test_upsert_task_updates_title_and_path(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="old", path="tasks/0x01-old.md")
    ledger.upsert_task("0x01", title="new", path="tasks/0x01-new.md")
    conn = _raw(ledger)
    assert conn.execute("SELECT id, title, path FROM tasks").fetchall() == [
        ("0x01", "new", "tasks/0x01-new.md")
    ]
    conn.close()


def test_attempt_numbers_count_per_task(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="a")
    ledger.upsert_task("0x02", title="b")
    run = ledger.start_run()
    numbers = [ledger.start_attempt("0x01", run_id=run.id).number for _ in range(3)]
    other = ledger.start_attempt("0x02", executor="codex")
    assert numbers == [1, 2, 3]
    assert (other.number, other.executor, other.run_id) == (1, "codex", None)


def test_attempt_for_unknown_task_or_run_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match=r"unknown task '0x09'.*upsert_task"):
        ledger.start_attempt("0x09")
    ledger.upsert_task("0x09", title="t")
    with pytest.raises(ValueError, match="unknown run 42"):
        ledger.start_attempt("0x09", run_id=42)


def test_state_is_derived_from_the_latest_state_event(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="a")
    ledger.upsert_task("0x02", title="b")
    ledger.upsert_task("0x03", title="never touched")
    first = ledger.start_attempt("0x01")
    ledger.start_attempt("0x01")
    ledger.set_task_state("0x01", TaskState.RUNNING, reason="started")
    ledger.append_event("agent.message", task_id="0x01", data={"text": "hi"})
    ledger.set_task_state("0x01", TaskState.MERGED, reason="checks passed", attempt_id=first.id)
    ledger.set_task_state("0x02", TaskState.BLOCKED, reason="scope violation")

    statuses = ledger.task_statuses()
    assert set(statuses) == {"0x01", "0x02"}
    merged = statuses["0x01"]
    assert (merged.state, merged.reason, merged.attempts) == (
        TaskState.MERGED,
        "checks passed",
        2,
    )
    assert ISO_MS_UTC.match(merged.changed_at)
    assert (statuses["0x02"].state, statuses["0x02"].attempts) == (TaskState.BLOCKED, 0)


def test_state_can_go_back_and_reason_follows(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="a")
    ledger.set_task_state("0x01", TaskState.FAILED, reason="tests failed")
    ledger.set_task_state("0x01", TaskState.READY)
    status = ledger.task_statuses()["0x01"]
    assert (status.state, status.reason) == (TaskState.READY, None)


def test_events_filter_follow_and_round_trip_data(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="a")
    ledger.upsert_task("0x02", title="b")
    run = ledger.start_run()
    e1 = ledger.append_event("run.started", run_id=run.id, data={"n": [1, 2], "s": "é"})
    e2 = ledger.set_task_state("0x01", TaskState.RUNNING, run_id=run.id)
    e3 = ledger.append_event("note", task_id="0x02")

    every = ledger.events()
    assert [e.id for e in every] == [e1, e2, e3]
    assert every[0].data == {"n": [1, 2], "s": "é"}
    assert every[1].kind == TASK_STATE_EVENT
    assert every[1].state is TaskState.RUNNING
    assert every[2].state is None and every[2].data is None
    assert [e.id for e in ledger.events(task_id="0x01")] == [e2]
    assert [e.id for e in ledger.events(run_id=run.id)] == [e1, e2]
    assert [e.id for e in ledger.events(after_id=e1)] == [e2, e3]
    assert ledger.events(after_id=e3) == []


def test_events_are_append_only(ledger: Ledger) -> None:
    event_id = ledger.append_event("something")
    conn = _raw(ledger)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE events SET kind = 'rewritten' WHERE id = ?", (event_id,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM events WHERE id = ?", (event_id,))
    finally:
        conn.close()
    assert [e.kind for e in ledger.events()] == ["something"]


def test_decisions_are_append_only_and_need_a_reason(ledger: Ledger) -> None:
    attempt = _attempt(ledger)
    ledger.record_decision(
        "0x01", decision="approve", actor="human:alice", reason="looks right", attempt_id=attempt.id
    )
    for reason in ("", "   "):
        with pytest.raises(ValueError, match="reason must be a non-empty string"):
            ledger.record_decision("0x01", decision="approve", actor="human:alice", reason=reason)
    with pytest.raises(ValueError, match="actor must be a non-empty string"):
        ledger.record_decision("0x01", decision="approve", actor="", reason="why")
    conn = _raw(ledger)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE decisions SET decision = 'reject'")
        rows = conn.execute("SELECT task_id, decision, actor, reason FROM decisions").fetchall()
    finally:
        conn.close()
    assert rows == [("0x01", "approve", "human:alice", "looks right")]


def test_usage_totals_unknown_cost_makes_group_cost_unknown(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="a")
    run = ledger.start_run()
    ledger.record_usage(
        role="coder",
        model="m1",
        input_tokens=100,
        output_tokens=10,
        cost_usd=0.25,
        run_id=run.id,
        task_id="0x01",
    )
    ledger.record_usage(  # cost unknown
        role="coder",
        model="m1",
        input_tokens=50,
        output_tokens=5,
        cached_tokens=20,
        run_id=run.id,
        task_id="0x01",
    )
    ledger.record_usage(role="reviewer", model="m2", input_tokens=10, output_tokens=1, cost_usd=0.5)
    ledger.record_usage(role="reviewer", model="m2", input_tokens=10, output_tokens=1, cost_usd=0.0)

    assert ledger.usage_totals() == [
        UsageTotals("coder", "m1", 2, 150, 20, 15, None),
        UsageTotals("reviewer", "m2", 2, 20, 0, 2, 0.5),
    ]
    assert ledger.usage_totals(run_id=run.id) == [UsageTotals("coder", "m1", 2, 150, 20, 15, None)]
    assert ledger.usage_totals(task_id="0x02") == []


def test_checks_and_findings_are_stored(ledger: Ledger) -> None:
    attempt = _attempt(ledger)
    ledger.record_check(
        attempt.id,
        name="pytest",
        kind="command",
        status="failed",
        phase="before",
        command="pytest -q",
        exit_code=1,
        output="1 failed",
        duration_ms=1200,
    )
    ledger.record_finding(
        attempt.id,
        reviewer="openai:gpt-5",
        priority=0,
        title="SQL injection",
        body="user input in query",
        path="src/app.py",
        line_start=3,
        line_end=4,
        category="security",
        confidence=0.9,
        blocking=True,
    )
    conn = _raw(ledger)
    try:
        checks = conn.execute("SELECT name, phase, status, exit_code, output FROM checks")
        assert checks.fetchall() == [("pytest", "before", "failed", 1, "1 failed")]
        findings = conn.execute("SELECT reviewer, priority, line_start, blocking FROM findings")
        assert findings.fetchall() == [("openai:gpt-5", 0, 3, 1)]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda lg, a: lg.record_check(a, name="x", kind="c", status="ok"), "status must be one"),
        (
            lambda lg, a: lg.record_check(a, name="x", kind="c", status="passed", phase="during"),
            "phase must be one",
        ),
        (
            lambda lg, a: lg.record_usage(role="r", model="m", input_tokens=-1, output_tokens=0),
            "input_tokens must be a whole number >= 0",
        ),
        (
            lambda lg, a: lg.record_usage(
                role="r", model="m", input_tokens=1, output_tokens=1, cost_usd=-0.1
            ),
            "cost_usd must be",
        ),
        (lambda lg, a: lg.append_event(""), "kind must be a non-empty string"),
        (
            lambda lg, a: lg.append_event("x", state=TaskState.READY),
            "needs a task_id",
        ),
        (
            lambda lg, a: lg.append_event("x", task_id="0x01", state="done"),
            "unknown task state 'done'",
        ),
        (
            lambda lg, a: lg.append_event("x", data={"when": object()}),
            "data cannot be stored as JSON",
        ),
        (lambda lg, a: lg.append_event("x", attempt_id=999), "unknown attempt 999"),
        (
            lambda lg, a: lg.record_decision("0x02", decision="d", actor="a", reason="r"),
            "unknown task '0x02'",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    ledger: Ledger, call: Callable[[Ledger, int], object], message: str
) -> None:
    attempt = _attempt(ledger)
    before = len(ledger.events())
    with pytest.raises(ValueError, match=message):
        call(ledger, attempt.id)
    assert len(ledger.events()) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"priority": 4}, "priority must be an integer from 0 to 3, got 4"),
        ({"priority": -1}, "priority must be an integer from 0 to 3"),
        ({"confidence": 1.5}, "confidence must be a number from 0 to 1"),
        ({"line_start": 10, "line_end": 2}, "line_end .* is before line_start"),
        ({"line_start": 0}, "line_start must be a line number >= 1"),
        ({"blocking": "yes"}, "blocking must be True or False"),
        ({"title": ""}, "title must be a non-empty string"),
    ],
)
def test_bad_finding_is_refused(ledger: Ledger, overrides: dict[str, object], message: str) -> None:
    attempt = _attempt(ledger)
    finding: dict[str, object] = {
        "reviewer": "m",
        "priority": 1,
        "title": "t",
        "body": "b",
        "path": None,
        "line_start": None,
        "line_end": None,
        "category": "bug",
        "confidence": None,
        "blocking": False,
    }
    with pytest.raises(ValueError, match=message):
        ledger.record_finding(attempt.id, **{**finding, **overrides})  # type: ignore[arg-type]


def test_event_attempt_must_belong_to_the_task(ledger: Ledger) -> None:
    attempt = _attempt(ledger, "0x01")
    ledger.upsert_task("0x02", title="b")
    with pytest.raises(ValueError, match="belongs to task '0x01', not '0x02'"):
        ledger.set_task_state("0x02", TaskState.RUNNING, attempt_id=attempt.id)


def test_read_only_and_closed_ledgers_refuse_use(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_RELPATH
    Ledger.open(path).close()
    reader = Ledger.open_existing(path)
    assert reader is not None
    with reader, pytest.raises(LedgerError, match="opened read-only") as info:
        reader.upsert_task("0x01", title="t")
    assert str(path) in str(info.value)
    with pytest.raises(LedgerError, match="is closed"):
        reader.task_statuses()


def test_one_ledger_can_be_shared_by_threads(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="a")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                ledger.start_attempt("0x01")
                ledger.append_event("tick", task_id="0x01")
        except BaseException as exc:  # reported below, so the test fails with it
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ledger.events(task_id="0x01")) == 100
    conn = _raw(ledger)
    numbers = [n for (n,) in conn.execute("SELECT number FROM attempts ORDER BY number")]
    conn.close()
    assert numbers == list(range(1, 101))


def test_lock_held_too_long_is_a_ledger_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from specloop.ledger import _db

    monkeypatch.setattr(_db, "BUSY_TIMEOUT_S", 0.2)  # instead of waiting 10 s
    path = tmp_path / LEDGER_RELPATH
    with Ledger.open(path) as ledger:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        try:
            with pytest.raises(LedgerError, match="is locked by another process") as info:
                ledger.append_event("blocked")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert str(path) in str(info.value)
        assert ledger.append_event("after") > 0  # usable again once the lock is gone
