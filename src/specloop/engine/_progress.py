"""Progress of a run: a live table on a terminal, plain lines in a log, JSON with --json.

The live board (task, state, attempt, elapsed, tokens, cost) is drawn by Rich and
rebuilt at each refresh, so elapsed time moves even while an agent works; event lines
still print above it. It is off for `--json`, when stdout is not a terminal, and when a
gated run may stop to ask a human (a live display and a prompt fight over the screen).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

_STATE_STYLE = {
    "merged": "green",
    "failed": "red",
    "blocked": "red",
    "awaiting_approval": "magenta",
}


@dataclass
class _Row:
    state: str = "pending"
    attempt: int = 0
    started: float | None = None
    finished: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float | None = 0.0


@dataclass
class Board:
    """The live table's data, rendered fresh on every refresh."""

    rows: dict[str, _Row] = field(default_factory=dict)

    def update(self, event: str, task_id: str, data: dict[str, Any]) -> None:
        """Apply one event to its task's row."""
        row = self.rows.setdefault(task_id, _Row())
        if event == "attempt.started":
            row.state, row.attempt, row.finished = "running", row.attempt + 1, None
            row.started = row.started or time.monotonic()
        elif event == "attempt.verified":
            row.state = "verified" if data.get("passed") else "checks failed"
            row.tokens_in = int(data.get("tokens_in", row.tokens_in))
            row.tokens_out = int(data.get("tokens_out", row.tokens_out))
            row.cost = data.get("cost", row.cost)
        elif event.startswith("task."):
            row.state = event.removeprefix("task.")
            row.finished = time.monotonic()

    def __rich__(self) -> RenderableType:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column, justify in (
            ("Task", "left"),
            ("State", "left"),
            ("Attempt", "right"),
            ("Elapsed", "right"),
            ("Tokens in/out", "right"),
            ("Cost", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        now = time.monotonic()
        for task_id, row in self.rows.items():
            elapsed = "" if row.started is None else f"{(row.finished or now) - row.started:.1f} s"
            tokens = (
                f"{row.tokens_in:,}/{row.tokens_out:,}" if row.tokens_in or row.tokens_out else "-"
            )
            cost = "unknown" if row.cost is None else (f"${row.cost:.4f}" if row.cost else "-")
            table.add_row(
                task_id,
                Text(row.state, style=_STATE_STYLE.get(row.state, "yellow")),
                str(row.attempt),
                elapsed,
                tokens,
                cost,
            )
        return table


@dataclass
class Progress:
    """Where run events go. `json_lines` writes one JSON object per event on `stream`;
    `live` draws the board on a terminal console."""

    console: Console
    json_lines: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    live: bool = False
    board: Board = field(default_factory=Board)
    _live: Live | None = None

    def disable_live(self) -> None:
        """Plain lines only from now on (the run may prompt a human)."""
        self.stop()
        self.live = False

    def stop(self) -> None:
        """Leave the final board on screen and stop refreshing."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def emit(self, event: str, task_id: str | None = None, message: str = "", **data: Any) -> None:
        """One event: a line for humans (and the board), or a JSON object."""
        if self.json_lines:
            record = {
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "event": event,
                "task": task_id,
                "message": message,
                **data,
            }
            self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.stream.flush()
            return
        if task_id is not None:
            self.board.update(event, task_id, data)
        if self.live and self._live is None and task_id is not None:
            self._live = Live(
                self.board, console=self.console, refresh_per_second=4, transient=False
            )
            self._live.start()
        prefix = f"{task_id}: " if task_id else ""
        style = (
            "red"
            if event.endswith(("failed", "blocked", "conflict"))
            else "green"
            if event.endswith("merged")
            else ""
        )
        self.console.print(Text(prefix + message, style=style), soft_wrap=True)
        if event == "run.finished":
            self.stop()
