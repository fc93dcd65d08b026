"""What every planning stage shares: the context, the gate loop, ledger records."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from specloop.config import Config
from specloop.ledger import Ledger
from specloop.planning._files import read_optional, sha256, write_files
from specloop.planning._gate import Action, Change, Gate

if TYPE_CHECKING:
    from specloop.models import ModelClient, StructuredResult

#: How many times a human may ask for a regeneration before the stage stops.
MAX_REGENERATIONS = 5


class PlanningError(Exception):
    """Bad input to a stage (exit code 2): the message says what and where."""


class StageAborted(Exception):
    """The gate said no (exit code 1); nothing was written."""


@dataclass
class StageReport:
    """What a stage did, for the terminal and the demo's summary."""

    stage: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    calls: int = 0
    repairs: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    seconds: float = 0.0

    def add(self, result: StructuredResult[Any]) -> None:
        """Count one model call's usage (cost becomes unknown once any call's is)."""
        self.calls += 1
        self.repairs += result.repairs
        self.input_tokens += result.usage.input_tokens
        self.cached_tokens += result.usage.cached_tokens
        self.output_tokens += result.usage.output_tokens
        if self.cost_usd is not None and result.usage.cost_usd is not None:
            self.cost_usd += result.usage.cost_usd
        else:
            self.cost_usd = None


@dataclass
class PlanningContext:
    """Everything a stage needs; passed in so tests can swap any part."""

    root: Path
    config: Config
    client: ModelClient
    ledger: Ledger
    gate: Gate
    console: Console
    ask: Callable[[str], str] | None = None  # None: no terminal, questions stay open

    def path(self, relative: str) -> Path:
        """A project path from a config-relative one."""
        return self.root / relative

    def shown(self, path: Path) -> str:
        """A project path as users see it."""
        return (
            path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        )

    def say(self, message: str, style: str = "") -> None:
        """One progress line."""
        self.console.print(Text(message, style=style), soft_wrap=True)

    def event(self, kind: str, **data: Any) -> None:
        """Record a planning event in the ledger."""
        self.ledger.append_event(kind, data=data)

    def last_written(self, stage: str) -> dict[str, Any]:
        """The data of the latest `planning.written` event of `stage` (empty if none)."""
        for event in reversed(self.ledger.events()):
            if event.kind == "planning.written" and event.data and event.data.get("stage") == stage:
                return dict(event.data)
        return {}


def run_gated(
    ctx: PlanningContext,
    stage: str,
    propose: Callable[[str, StageReport], Mapping[Path, str]],
    *,
    extra: Callable[[Mapping[Path, str]], dict[str, Any]] | None = None,
) -> StageReport:
    """Propose (with feedback on regeneration), gate, and write what was approved.

    `propose(feedback, report)` makes the model calls (adding their usage to `report`)
    and returns the full new text of each file it wants written."""
    report = StageReport(stage)
    started = time.monotonic()
    feedback = ""
    for _ in range(MAX_REGENERATIONS + 1):
        proposal = propose(feedback, report)
        changes: list[Change] = []
        for path, text in proposal.items():
            old = read_optional(path)
            if old == text:
                report.unchanged.append(ctx.shown(path))
            else:
                changes.append(Change(path, ctx.shown(path), old, text))
        if not changes:
            ctx.say(f"{stage}: nothing to change")
            report.seconds = time.monotonic() - started
            return report
        decision = ctx.gate.decide(stage, changes)
        ctx.event(
            "planning.decision",
            stage=stage,
            decision=str(decision.action),
            actor=decision.actor,
            reason=decision.reason,
            feedback=decision.feedback or None,
            files=[c.shown for c in changes],
        )
        if decision.action is Action.ABORT:
            raise StageAborted(f"{stage}: aborted at the gate; nothing was written")
        if decision.action is Action.REGENERATE:
            feedback = decision.feedback
            ctx.say(f"{stage}: regenerating with your feedback")
            continue
        files = {c.path: c.new for c in decision.changes}
        write_files(files)
        report.written = [ctx.shown(p) for p in files]
        ctx.event(
            "planning.written",
            stage=stage,
            files={ctx.shown(p): sha256(t) for p, t in files.items()},
            **(extra(files) if extra else {}),
        )
        report.seconds = time.monotonic() - started
        return report
    raise StageAborted(
        f"{stage}: stopped after {MAX_REGENERATIONS} regenerations; nothing was written"
    )


def usage_line(report: StageReport) -> str:
    """`2 calls, 1,234 in / 567 out tokens, $0.0123, 3.4 s` for a stage."""
    cost = "cost unknown" if report.cost_usd is None else f"${report.cost_usd:.4f}"
    repairs = (
        f" (+{report.repairs} repair round{'s' if report.repairs != 1 else ''})"
        if report.repairs
        else ""
    )
    return (
        f"{report.calls} model call{'s' if report.calls != 1 else ''}{repairs}, "
        f"{report.input_tokens:,} in / {report.output_tokens:,} out tokens, {cost}, {report.seconds:.1f} s"
    )


def numbered(items: Sequence[str]) -> str:
    """A numbered list for prompts and messages."""
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, start=1))
