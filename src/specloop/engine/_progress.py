"""Progress of a run: plain lines on a terminal or in a log, JSON lines with --json."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text


@dataclass
class Progress:
    """Where run events go. `json_lines` writes one JSON object per event on `stream`."""

    console: Console
    json_lines: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stdout)

    def emit(self, event: str, task_id: str | None = None, message: str = "", **data: Any) -> None:
        """One event: a line for humans, or a JSON object."""
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
        prefix = f"{task_id}: " if task_id else ""
        style = (
            "red"
            if event.endswith(("failed", "blocked", "conflict"))
            else "green"
            if event.endswith("merged")
            else ""
        )
        self.console.print(Text(prefix + message, style=style), soft_wrap=True)
