"""Terminal output rendered to an in-memory Rich console (no TTY needed)."""

from __future__ import annotations

import io

from rich.console import Console

from conftest import Repo
from specloop.artifacts import lint_project
from specloop.cli._render import render_graph, render_lint, render_next, render_status
from specloop.engine import open_project, project_status


def console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100, color_system=None, legacy_windows=False), buffer


def test_status_table_keeps_user_text_literal(repo: Repo) -> None:
    repo.task("0x01", title="Parse [bold]markup[/bold] & <tags>", scope=("src/a.py",))
    repo.task("0x02", depends_on="[0x01]", scope=("src/b.py",))
    out, buffer = console()
    render_status(out, project_status(open_project(repo.root, env={})))
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "No run yet."
    assert lines[1].split() == ["ID", "State", "Tries", "Title", "Why"]
    assert "Parse [bold]markup[/bold] & <tags>" in lines[2]
    assert lines[3].split()[:3] == ["0x02", "pending", "0"]
    assert lines[3].endswith("waiting for 0x01")
    assert lines[-1] == "2 tasks: 1 ready, 1 pending"


def test_next_explains_when_nothing_is_ready(repo: Repo) -> None:
    repo.task("0x01", depends_on="[0x02]")
    repo.task("0x02", depends_on="[0x01]", scope=("src/b.py",))
    out, buffer = console()
    render_next(out, project_status(open_project(repo.root, env={})))
    assert (
        buffer.getvalue()
        == "No task is ready now; `specloop status` shows what each is waiting for.\n"
    )


def test_graph_text_lists_waves_and_blocked_tasks(repo: Repo) -> None:
    repo.task("0x01", scope=("src/a.py",))
    repo.task("0x02", scope=("docs/x.md",))
    repo.task("0x03", depends_on="[0x01, 0x02]", scope=("src/c.py",))
    repo.task("0x04", depends_on="[0x09]", scope=("src/d.py",))
    out, buffer = console()
    render_graph(out, project_status(open_project(repo.root, env={})))
    text = buffer.getvalue()
    assert "  1. 0x01  0x02\n  2. 0x03\n" in text
    assert "blocked: 0x04 (depends on unknown task 0x09)" in text
    assert "0x03  pending          A task  <- 0x01, 0x02" in text


def test_lint_summary_counts(repo: Repo) -> None:
    repo.task("0x01", criteria=("vague",))
    out, buffer = console()
    render_lint(out, lint_project(repo.root))
    assert buffer.getvalue().splitlines()[-1] == "0 errors, 3 warnings, 1 note (1 task checked)"
