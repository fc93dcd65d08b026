"""Task files: `tasks/0xNN-slug.md`, YAML front matter plus four sections.

`parse_task` keeps the line of everything it reads, so lint can point at it, and
`render_task` writes the canonical form: `parse_task(render_task(t)) == t`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from specloop.artifacts._criteria import Criterion, classify_criterion
from specloop.artifacts._diagnostics import Diagnostic, ParseError, Severity
from specloop.artifacts._markdown import Heading, list_items, normalize_title, split_blocks
from specloop.artifacts._scope import ScopeEntry, pattern_problem
from specloop.artifacts._text import read_text, relative_path
from specloop.artifacts._yaml import load_front_matter

OBJECTIVE = "Objective"
SCOPE = "Files to Modify"
STEPS = "Steps"
CRITERIA = "Completion Criteria"
REQUIRED_SECTIONS = (OBJECTIVE, SCOPE, STEPS, CRITERIA)
_SECTION_BY_KEY = {normalize_title(name): name for name in REQUIRED_SECTIONS}

AUTONOMY_LEVELS = ("gated", "verified", "full")
OPTIONAL_KEYS = ("executor", "timeout", "best_of", "autonomy")
_KNOWN_KEYS = ("id", "title", "depends_on", *OPTIONAL_KEYS)
_ID = re.compile(r"^0[xX]([0-9a-fA-F]{1,8})$")
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:")
_CHECKBOX = re.compile(r"^\[[ xX]\][ \t]+")
_PLAIN_PATTERN = re.compile(r"^[\w./*?@+-]+$")


def canonical_task_id(value: object) -> str | None:
    """`0x3`, `0X03` and `0x003` are all `0x03`; anything else is not a task id."""
    if not isinstance(value, str):
        return None
    match = _ID.match(value.strip())
    return f"0x{int(match.group(1), 16):02x}" if match else None


def task_sort_key(task_id: str) -> tuple[int, str]:
    """Numeric order of ids (0x02 before 0x10)."""
    match = _ID.match(task_id)
    return (int(match.group(1), 16), "") if match else (1 << 40, task_id)


@dataclass(frozen=True)
class Section:
    """A level-2 section that is not one of the four task sections (kept on rendering)."""

    title: str
    body: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class TaskLayout:
    """Where each part of a task file sits (1-based lines), for diagnostics."""

    key_lines: Mapping[str, int]
    section_lines: Mapping[str, int]
    body_line: int
    end_line: int
    headings: tuple[Heading, ...] = ()
    duplicate_sections: tuple[tuple[str, int], ...] = ()

    def line_of(self, key: str) -> int:
        """The line of a front-matter key, or of the front matter's start."""
        return self.key_lines.get(key, 1)


@dataclass(frozen=True)
class Task:
    """One task: a small, independently executable contract."""

    id: str
    title: str
    depends_on: tuple[str, ...] = ()
    objective: str = ""
    scope: tuple[ScopeEntry, ...] = ()
    steps: str = ""
    criteria: tuple[Criterion, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    extra_sections: tuple[Section, ...] = ()
    path: Path | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)
    layout: TaskLayout | None = field(default=None, compare=False)
    problems: tuple[Diagnostic, ...] = field(default=(), compare=False)

    @property
    def scope_patterns(self) -> tuple[str, ...]:
        """The scope as plain patterns."""
        return tuple(entry.pattern for entry in self.scope)


def _split_front_matter(lines: list[str]) -> tuple[list[str], int]:
    """Return the front matter lines and the index of the first body line."""
    if not lines or lines[0].rstrip() != "---":
        raise ParseError(
            "missing front matter: a task file starts with a line '---', then id, title and "
            "depends_on, then '---'",
            line=1,
            code="T001",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return lines[1:index], index + 1
    raise ParseError("front matter is not closed: no '---' line after line 1", line=1, code="T001")


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Diagnostic] = []

    def add(self, line: int, code: str, message: str, severity: Severity = Severity.ERROR) -> None:
        self.items.append(Diagnostic(self.source, line, 1, code, severity, message))


def _read_ids(value: Any, line: int, problems: _Problems) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for item in values:
        canonical = canonical_task_id(item)
        if canonical is None:
            problems.add(line, "T003", f"depends_on: {item!r} is not a task id like 0x03")
        elif canonical in ids:
            problems.add(line, "T015", f"depends_on lists {canonical} twice", Severity.WARNING)
        else:
            ids.append(canonical)
    return tuple(ids)


def _read_options(
    data: Mapping[str, Any], layout_lines: Mapping[str, int], problems: _Problems
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in data.items():
        line = layout_lines.get(str(key), 1)
        if key in ("id", "title", "depends_on"):
            continue
        if key not in OPTIONAL_KEYS:
            known = ", ".join(_KNOWN_KEYS)
            problems.add(
                line, "T004", f"unknown front-matter key {key!r} (known: {known})", Severity.WARNING
            )
            options[str(key)] = value
            continue
        problem = _option_problem(key, value)
        if problem:
            problems.add(line, "T003", problem)
        else:
            options[key] = value
    return options


def _option_problem(key: str, value: Any) -> str | None:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if key == "executor" and not (isinstance(value, str) and value.strip()):
        return "executor must be a name such as builtin, codex, claude, aider or cmd:COMMAND"
    if key == "timeout" and not (is_int and value > 0):
        return f"timeout must be a whole number of seconds above 0 (got {value!r})"
    if key == "best_of" and not (is_int and 1 <= value <= 16):
        return f"best_of must be a whole number from 1 to 16 (got {value!r})"
    if key == "autonomy" and value not in AUTONOMY_LEVELS:
        return f"autonomy must be one of {', '.join(AUTONOMY_LEVELS)} (got {value!r})"
    return None


def _scope_entry(text: str, line: int, problems: _Problems) -> ScopeEntry | None:
    text = _CHECKBOX.sub("", text.strip())
    quoted = re.match(r"^(`+)(.+?)\1(.*)$", text)
    if quoted:
        pattern, note = quoted.group(2).strip(), quoted.group(3).strip()
    else:
        pattern, _, note = text.partition(" ")
        note = note.strip()
    problem = pattern_problem(pattern)
    if problem:
        problems.add(line, "T008", f"invalid scope entry: {problem}")
        return None
    return ScopeEntry(pattern, note, line)


def parse_task(text: str, *, source: str = "<task>", path: Path | None = None) -> Task:
    """Parse a task file's text; raise ParseError (with a line) when it cannot be a task.

    Problems that still leave a usable task (a bad optional key, a malformed scope
    entry) are kept in `Task.problems`; missing sections are lint's business.
    """
    lines = text.splitlines()
    problems = _Problems(source)
    front, body_index = _split_front_matter(lines)
    key_lines = {
        match.group(1): number
        for number, raw in enumerate(front, start=2)
        if (match := _KEY_LINE.match(raw))
    }
    try:
        data = load_front_matter("\n".join(front), first_line=2)
    except RecursionError:
        raise ParseError("front matter is nested too deeply", line=2, code="T002") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParseError(
            f"front matter must be a mapping of keys (id, title, depends_on), got {type(data).__name__}",
            line=2,
            code="T003",
        )
    if "id" not in data:
        raise ParseError("front matter has no id (e.g. id: 0x03)", line=1, code="T003")
    task_id = canonical_task_id(data["id"])
    if task_id is None:
        raise ParseError(
            f"id must be a hex task id like 0x03 (got {data['id']!r})",
            line=key_lines.get("id", 2),
            code="T003",
        )
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(
            key_lines.get("title", 1), "T003", "front matter needs a title (a short sentence)"
        )
        title = "" if not isinstance(title, str) else title
    depends_on = _read_ids(data.get("depends_on"), key_lines.get("depends_on", 1), problems)
    options = _read_options(data, key_lines, problems)

    headings, blocks = split_blocks(lines[body_index:], first_line=body_index + 1)
    found: dict[str, tuple[str, int]] = {}
    section_lines: dict[str, int] = {}
    extra: list[Section] = []
    duplicates: list[tuple[str, int]] = []
    for block in blocks:
        name = _SECTION_BY_KEY.get(normalize_title(block.title))
        if name is None:
            extra.append(Section(block.title, block.text, block.line))
        elif name in found:
            duplicates.append((name, block.line))
        else:
            found[name] = (block.text, block.line)
            section_lines[name] = block.line

    scope: list[ScopeEntry] = []
    criteria: list[Criterion] = []
    for block in blocks:
        name = _SECTION_BY_KEY.get(normalize_title(block.title))
        if name == SCOPE and section_lines.get(SCOPE) == block.line:
            items, loose = list_items(block.lines)
            for number, raw in loose:
                problems.add(
                    number, "T008", f"not a list item: {raw!r}; list each path as '- path'"
                )
            for item in items:
                entry = _scope_entry(item.text, item.line, problems)
                if entry:
                    scope.append(entry)
        elif name == CRITERIA and section_lines.get(CRITERIA) == block.line:
            items, loose = list_items(block.lines)
            entries = [(item.line, item.text) for item in items] + loose
            for number, raw in sorted(entries):
                criteria.append(classify_criterion(_CHECKBOX.sub("", raw), number))

    layout = TaskLayout(
        key_lines=key_lines,
        section_lines=section_lines,
        body_line=body_index + 1,
        end_line=max(len(lines), 1),
        headings=tuple(headings),
        duplicate_sections=tuple(duplicates),
    )
    return Task(
        id=task_id,
        title=title.strip(),
        depends_on=depends_on,
        objective=found.get(OBJECTIVE, ("", 0))[0],
        scope=tuple(scope),
        steps=found.get(STEPS, ("", 0))[0],
        criteria=tuple(criteria),
        options=options,
        extra_sections=tuple(extra),
        path=path,
        source=source,
        layout=layout,
        problems=tuple(problems.items),
    )


def load_task(path: Path, *, root: Path | None = None) -> Task:
    """Read and parse a task file; ParseError carries the line, the caller knows the path."""
    return parse_task(read_text(path), source=relative_path(path, root), path=path)


def _yaml_scalar(value: str) -> str:
    """A plain scalar when it reads back unchanged, otherwise a double-quoted one."""
    if value and value == value.strip() and "\n" not in value:
        try:
            if load_front_matter(f"v: {value}", 1) == {"v": value}:
                return value
        except ParseError:
            pass
    # PyYAML's own double-quoted style escapes what YAML forbids raw (control characters).
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1 << 20).strip()


def _render_option(key: str, value: Any) -> str:
    if isinstance(value, str):
        return f"{key}: {_yaml_scalar(value)}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{key}: {value}"
    dumped = yaml.safe_dump(
        {key: value}, default_flow_style=True, allow_unicode=True, width=1 << 20
    )
    return dumped.strip()[1:-1]


def _render_scope(entry: ScopeEntry) -> str:
    pattern = entry.pattern if _PLAIN_PATTERN.match(entry.pattern) else f"`{entry.pattern}`"
    return f"- {pattern} {entry.note}".rstrip()


def render_task(task: Task) -> str:
    """The canonical text of a task file."""
    lines = ["---", f"id: {task.id}", f"title: {_yaml_scalar(task.title)}"]
    lines.append(f"depends_on: [{', '.join(task.depends_on)}]")
    lines.extend(_render_option(key, value) for key, value in task.options.items())
    lines.append("---")
    sections = [
        (OBJECTIVE, task.objective),
        (SCOPE, "\n".join(_render_scope(entry) for entry in task.scope)),
        (STEPS, task.steps),
        (CRITERIA, "\n".join(f"- {criterion.text}" for criterion in task.criteria)),
        *((section.title, section.body) for section in task.extra_sections),
    ]
    for title, body in sections:
        lines.extend(["", f"## {title}", ""])
        if body:
            lines.append(body)
    return "\n".join(lines) + "\n"
