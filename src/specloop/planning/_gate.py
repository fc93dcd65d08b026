"""The gate at the end of each planning stage: approve, edit, regenerate, or abort.

A gate is given the proposed changes (old text or None, new text, per file) and
returns a decision. `AutoApprove` is `--yes`; `TerminalGate` asks a human, showing a
unified diff when a file already existed."""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.syntax import Syntax
from rich.text import Text


class Action(StrEnum):
    """What the gate decided."""

    APPROVE = "approve"
    REGENERATE = "regenerate"
    ABORT = "abort"


@dataclass(frozen=True)
class Change:
    """One file a stage wants to write."""

    path: Path
    shown: str
    old: str | None
    new: str

    def diff(self) -> str:
        """Unified diff from the current file (empty for a new file)."""
        if self.old is None:
            return ""
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"a/{self.shown}",
            tofile=f"b/{self.shown}",
        )
        return "".join(lines)


@dataclass(frozen=True)
class Decision:
    """The gate's answer; `changes` may carry the human's edits."""

    action: Action
    actor: str
    reason: str
    changes: Sequence[Change] = field(default_factory=tuple)
    feedback: str = ""


class Gate(Protocol):
    """Anything that can decide on a stage's proposed changes."""

    def decide(self, stage: str, changes: Sequence[Change]) -> Decision: ...


def show_changes(console: Console, changes: Sequence[Change]) -> None:
    """New files in full, existing files as a diff."""
    for change in changes:
        if change.old is None:
            console.print(Text(f"── new file {change.shown} ──", style="bold green"))
            console.print(Syntax(change.new, "markdown", word_wrap=True))
        else:
            console.print(Text(f"── changes to {change.shown} ──", style="bold yellow"))
            console.print(Syntax(change.diff() or "(no textual change)\n", "diff", word_wrap=True))


@dataclass
class AutoApprove:
    """`--yes`: approve every stage, saying so; still prints what is written."""

    console: Console | None = None

    def decide(self, stage: str, changes: Sequence[Change]) -> Decision:
        if self.console is not None:
            show_changes(self.console, changes)
        return Decision(
            Action.APPROVE, "flag:--yes", "approved non-interactively with --yes", tuple(changes)
        )


def _edit(path: Path, text: str, editor: str) -> str:
    with tempfile.TemporaryDirectory(prefix="specloop-edit-") as directory:
        scratch = Path(directory) / path.name
        scratch.write_text(text, encoding="utf-8")
        subprocess.run([*shlex.split(editor), str(scratch)], check=True)
        return scratch.read_text(encoding="utf-8")


@dataclass
class TerminalGate:
    """Ask a human on the terminal. `ask` reads one answer (injectable for tests)."""

    console: Console
    ask: Callable[[str], str]
    actor: str = field(default_factory=lambda: "human:" + (os.environ.get("USER") or "unknown"))
    editor: str = field(
        default_factory=lambda: os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    )

    def decide(self, stage: str, changes: Sequence[Change]) -> Decision:
        current = list(changes)
        show_changes(self.console, current)
        while True:
            answer = (
                self.ask(f"{stage}: [a]pprove, [e]dit, [r]egenerate with feedback, [q] abort? ")
                .strip()
                .lower()
            )
            if answer in ("a", "approve", "y", "yes"):
                return Decision(
                    Action.APPROVE, self.actor, "approved on the terminal", tuple(current)
                )
            if answer in ("q", "abort", "quit"):
                return Decision(Action.ABORT, self.actor, "aborted on the terminal")
            if answer in ("r", "regenerate"):
                feedback = self.ask("What should change? ").strip()
                if feedback:
                    return Decision(
                        Action.REGENERATE, self.actor, "asked to regenerate", feedback=feedback
                    )
                self.console.print(Text("No feedback given; nothing to regenerate with."))
            elif answer in ("e", "edit"):
                try:
                    current = [
                        Change(c.path, c.shown, c.old, _edit(c.path, c.new, self.editor))
                        for c in current
                    ]
                except (OSError, subprocess.CalledProcessError) as exc:
                    self.console.print(
                        Text(f"The editor failed ({exc}); nothing changed.", style="red")
                    )
                    continue
                show_changes(self.console, current)
            else:
                self.console.print(Text("Please answer a, e, r or q."))
