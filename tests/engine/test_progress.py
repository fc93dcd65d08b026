"""The live board on a terminal, rendered to memory; plain lines and JSON otherwise."""

from __future__ import annotations

import io
import json

from rich.console import Console

from specloop.engine._progress import Progress


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100, color_system=None), out


def test_the_live_board_shows_each_task_with_state_attempt_tokens_and_cost() -> None:
    console, out = terminal()
    progress = Progress(console, live=True)
    progress.emit("attempt.started", "0x01", "attempt 1")
    progress.emit(
        "attempt.verified",
        "0x01",
        "checks passed",
        passed=True,
        tokens_in=1200,
        tokens_out=340,
        cost=0.0123,
    )
    progress.emit("task.merged", "0x01", "merged")
    progress.emit("attempt.started", "0x02", "attempt 1")
    progress.emit(
        "attempt.verified", "0x02", "failed", passed=False, tokens_in=10, tokens_out=5, cost=None
    )
    progress.emit("task.failed", "0x02", "scope")
    progress.emit("run.finished", None, "run finished: 1 merged, 1 failed")
    text = out.getvalue()
    final = text[text.rindex("Task") :]  # the board as it was left on screen
    rows = [line.split() for line in final.splitlines()]
    assert (
        rows[1][:3] == ["0x01", "merged", "1"] and "1,200/340" in rows[1] and "$0.0123" in rows[1]
    )
    assert rows[2][:3] == ["0x02", "failed", "1"] and "unknown" in rows[2]
    assert "0x02: scope" in text and "run finished: 1 merged, 1 failed" in text


def test_without_live_only_lines_are_printed() -> None:
    console, out = terminal()
    Progress(console, live=False).emit("task.merged", "0x01", "merged into main")
    assert out.getvalue().strip() == "0x01: merged into main"


def test_json_lines_carry_the_event_data() -> None:
    console, _ = terminal()
    stream = io.StringIO()
    Progress(console, json_lines=True, stream=stream).emit(
        "attempt.verified", "0x01", "ok", passed=True
    )
    record = json.loads(stream.getvalue())
    assert (record["event"], record["task"], record["passed"]) == ("attempt.verified", "0x01", True)
