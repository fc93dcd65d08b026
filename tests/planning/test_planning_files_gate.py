"""Atomic writes (Ctrl-C never leaves half a file) and the terminal gate."""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path

import pytest
from rich.console import Console

from specloop.planning import Action, Change, TerminalGate
from specloop.planning._files import write_files


def test_ctrl_c_during_the_renames_is_delivered_after_all_files_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = Path.replace
    calls: list[Path] = []

    def replace_then_interrupt(self: Path, target: Path) -> Path:  # type: ignore[override]
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives mid-way
        calls.append(target)
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace_then_interrupt)
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("old a")
    with pytest.raises(KeyboardInterrupt):
        write_files({a: "new a", b: "new b"})
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]  # no temp files left


def test_a_failed_write_replaces_nothing(tmp_path: Path) -> None:
    a = tmp_path / "a.md"
    a.write_text("old a")
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(OSError):
        write_files({a: "new a", blocked / "b.md": "new b"})
    assert a.read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "file"]


def gate(answers: list[str], editor: str = "false") -> tuple[TerminalGate, io.StringIO]:
    out = io.StringIO()
    replies = iter(answers)
    return TerminalGate(
        Console(file=out, width=100, color_system=None),
        ask=lambda _: next(replies),
        actor="human:test",
        editor=editor,
    ), out


def test_the_gate_shows_a_diff_and_approves(tmp_path: Path) -> None:
    terminal, out = gate(["x", "a"])
    change = Change(tmp_path / "SPEC.md", "SPEC.md", "# A\nold line\n", "# A\nnew line\n")
    decision = terminal.decide("spec", [change])
    assert decision.action is Action.APPROVE and decision.actor == "human:test"
    text = out.getvalue()
    assert "-old line" in text and "+new line" in text and "Please answer a, e, r or q." in text


def test_the_gate_regenerates_only_with_feedback_and_aborts(tmp_path: Path) -> None:
    change = Change(tmp_path / "x.md", "x.md", None, "new\n")
    terminal, out = gate(["r", "", "r", "shorter please"])
    decision = terminal.decide("tasks", [change])
    assert (decision.action, decision.feedback) == (Action.REGENERATE, "shorter please")
    assert "No feedback given" in out.getvalue()
    terminal, _ = gate(["q"])
    assert terminal.decide("tasks", [change]).action is Action.ABORT


def test_edit_opens_the_editor_and_approves_the_edited_text(tmp_path: Path) -> None:
    editor = f"{sys.executable} -c \"import sys; p=sys.argv[1]; open(p, 'a').write('edited by hand\\n')\""
    terminal, out = gate(["e", "a"], editor=editor)
    change = Change(tmp_path / "AGENTS.md", "AGENTS.md", None, "# Rules\n")
    decision = terminal.decide("agents", [change])
    assert decision.action is Action.APPROVE
    assert decision.changes[0].new == "# Rules\nedited by hand\n"
    assert "edited by hand" in out.getvalue()


def test_a_failing_editor_changes_nothing(tmp_path: Path) -> None:
    terminal, out = gate(["e", "a"], editor="false")
    change = Change(tmp_path / "x.md", "x.md", None, "text\n")
    decision = terminal.decide("spec", [change])
    assert decision.changes[0].new == "text\n"
    assert "The editor failed" in out.getvalue()
