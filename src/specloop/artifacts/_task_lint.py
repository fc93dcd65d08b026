"""The checks on task files: each task on its own, then the tasks as a graph."""

from __future__ import annotations

import re
from collections.abc import Sequence

from specloop.artifacts._criteria import CANONICAL_PHRASES, BuiltinCheck, CriterionKind
from specloop.artifacts._diagnostics import Diagnostic, Severity
from specloop.artifacts._graph import TaskGraph
from specloop.artifacts._markdown import normalize_title
from specloop.artifacts._tasks import (
    CRITERIA,
    OBJECTIVE,
    REQUIRED_SECTIONS,
    SCOPE,
    STEPS,
    Task,
    task_sort_key,
)

_PLACEHOLDER = re.compile(r"\{\{|\[PLACEHOLDER\]")
_FILE_ID = re.compile(r"^0[xX]([0-9a-fA-F]+)(?:-|\.md$)")


def _missing_section(task: Task, name: str) -> Diagnostic:
    assert task.layout is not None
    message = f'missing section "## {name}"'
    for heading in task.layout.headings:
        if normalize_title(heading.title) == normalize_title(name):
            message += f"; found a level-{heading.level} heading at line {heading.line} (use ##)"
            break
    return Diagnostic(task.source, task.layout.body_line, 1, "T005", Severity.ERROR, message)


def lint_task(task: Task, *, test_command: str | None = None) -> list[Diagnostic]:
    """The checks that need only this one task."""
    assert task.layout is not None
    layout = task.layout
    out = list(task.problems)

    def add(line: int, code: str, severity: Severity, message: str) -> None:
        out.append(Diagnostic(task.source, line, 1, code, severity, message))

    bodies = {OBJECTIVE: task.objective, STEPS: task.steps}
    for name in REQUIRED_SECTIONS:
        line = layout.section_lines.get(name)
        if line is None:
            out.append(_missing_section(task, name))
        elif name in bodies and not bodies[name].strip():
            add(line, "T006", Severity.ERROR, f'section "{name}" is empty')
    if SCOPE in layout.section_lines and not task.scope:
        add(
            layout.section_lines[SCOPE],
            "T007",
            Severity.ERROR,
            "empty scope: list every file this task may change (new files too) under Files to Modify",
        )
    if CRITERIA in layout.section_lines and not task.criteria:
        add(
            layout.section_lines[CRITERIA],
            "T006",
            Severity.ERROR,
            "no completion criteria: add a backticked command that must pass",
        )
    for criterion in task.criteria:
        if criterion.kind == CriterionKind.UNCHECKABLE:
            phrases = ", ".join(f'"{p}"' for p in CANONICAL_PHRASES.values())
            add(
                criterion.line,
                "T009",
                Severity.WARNING,
                f"specloop cannot check {criterion.text!r}: put the command in backticks, or use one of {phrases}",
            )
        elif criterion.builtin == BuiltinCheck.ALL_TESTS_PASS and not test_command:
            add(
                criterion.line,
                "T009",
                Severity.WARNING,
                '"All tests pass" needs a test command: set checks.test_command in .specloop/config.toml',
            )
    if task.criteria and not any(c.kind == CriterionKind.COMMAND for c in task.criteria):
        add(
            layout.section_lines.get(CRITERIA, 1),
            "T014",
            Severity.WARNING,
            "no command check: without one there is no evidence the task did anything",
        )
    for title, line in layout.duplicate_sections:
        add(
            line,
            "T011",
            Severity.WARNING,
            f'section "{title}" appears twice; only the first is read',
        )
    if task.path is not None:
        match = _FILE_ID.match(task.path.name)
        if match is None or int(match.group(1), 16) != int(task.id, 16):
            add(
                layout.line_of("id"),
                "T010",
                Severity.WARNING,
                f"file name {task.path.name} does not match id {task.id}: name it {task.id}-<slug>.md",
            )
    texts = [
        task.title,
        task.objective,
        task.steps,
        *task.scope_patterns,
        *(c.text for c in task.criteria),
    ]
    if any(_PLACEHOLDER.search(text) for text in texts):
        add(
            layout.body_line,
            "T012",
            Severity.ERROR,
            "unfilled placeholder ({{...}} or [PLACEHOLDER]) left in the task",
        )
    return out


def lint_graph(tasks: Sequence[Task]) -> list[Diagnostic]:
    """Checks across tasks: duplicate ids, unknown or self dependencies, cycles, overlaps."""
    out: list[Diagnostic] = []
    first: dict[str, Task] = {}
    for task in sorted(tasks, key=lambda t: (task_sort_key(t.id), t.source)):
        line = task.layout.line_of("id") if task.layout else 1
        if task.id in first:
            other = first[task.id].source
            out.append(
                Diagnostic(
                    task.source,
                    line,
                    1,
                    "G001",
                    Severity.ERROR,
                    f"duplicate id {task.id}: also in {other}",
                )
            )
        else:
            first[task.id] = task
    graph = TaskGraph(first.values())

    def dep_line(task_id: str) -> tuple[str, int]:
        task = graph.tasks[task_id]
        return task.source, task.layout.line_of("depends_on") if task.layout else 1

    for task_id in graph.ids:
        source, line = dep_line(task_id)
        for dep in graph.unknown_dependencies(task_id):
            out.append(
                Diagnostic(
                    source,
                    line,
                    1,
                    "G002",
                    Severity.ERROR,
                    f"depends on {dep}, but no task has that id",
                )
            )
    for cycle in graph.cycles():
        if len(cycle) == 1 or cycle[0] == cycle[1]:
            source, line = dep_line(cycle[0])
            out.append(
                Diagnostic(source, line, 1, "G003", Severity.ERROR, f"{cycle[0]} depends on itself")
            )
            continue
        text = " -> ".join(cycle)
        for member in cycle[:-1]:
            source, line = dep_line(member)
            out.append(
                Diagnostic(source, line, 1, "G004", Severity.ERROR, f"dependency cycle: {text}")
            )
    for a, b, pattern_a, pattern_b in graph.overlapping_unordered_pairs():
        task = graph.tasks[a]
        line = next((e.line for e in task.scope if e.pattern == pattern_a), 1)
        detail = pattern_a if pattern_a == pattern_b else f"{pattern_a} ~ {pattern_b}"
        out.append(
            Diagnostic(
                task.source,
                line,
                1,
                "G005",
                Severity.INFO,
                f"scope overlaps {b} ({detail}) and neither depends on the other: "
                "they will not run in parallel",
            )
        )
    return out
