"""Lint: every check on SPEC.md, AGENTS.md and the task files, with stable codes.

Codes are stable (tests and users rely on them); see `CODES` for the full list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from specloop.artifacts._agents import AGENTS_NAMES, DEFAULT_MAX_BYTES, resolve_agents_chain
from specloop.artifacts._diagnostics import Diagnostic, ParseError, Severity
from specloop.artifacts._execplan import lint_execplan, looks_like_execplan
from specloop.artifacts._loading import (
    TaskSet,
    is_task_candidate,
    load_task_files,
    load_tasks,
)
from specloop.artifacts._spec import lint_spec, parse_spec
from specloop.artifacts._task_lint import lint_graph, lint_task
from specloop.artifacts._tasks import Task
from specloop.artifacts._text import read_text, relative_path

CODES: dict[str, str] = {
    "F001": "file cannot be read as UTF-8 Markdown (binary, too large, bad encoding)",
    "T001": "missing or unclosed front matter",
    "T002": "invalid YAML in front matter",
    "T003": "invalid front-matter value (id, title, depends_on, executor, timeout, ...)",
    "T004": "unknown front-matter key",
    "T005": "missing required section",
    "T006": "empty section",
    "T007": "empty scope (Files to Modify lists nothing)",
    "T008": "invalid scope entry",
    "T009": "completion criterion specloop cannot check",
    "T010": "file name does not match the task id",
    "T011": "section appears twice",
    "T012": "unfilled placeholder",
    "T014": "no command among the completion criteria",
    "T015": "dependency listed twice",
    "T020": "no task files",
    "T021": "file in the tasks directory is not a task file",
    "G001": "duplicate task id",
    "G002": "dependency on an unknown task",
    "G003": "task depends on itself",
    "G004": "dependency cycle",
    "G005": "scopes overlap without a dependency (the tasks will not run in parallel)",
    "S001": "no SPEC.md",
    "S002": "SPEC.md is missing a required section",
    "S003": "SPEC.md sections out of order",
    "S004": "open question left in SPEC.md",
    "S005": "SPEC.md section is empty",
    "A001": "AGENTS file shadowed by another in the same directory",
    "A002": "AGENTS file is empty",
    "A003": "AGENTS chain passes the byte cap",
    "A004": "no review guidelines in the AGENTS chain",
    "A005": "no AGENTS.md at the repository root",
    "P001": "ExecPlan is missing a living section (Progress, Surprises & Discoveries, Decision Log, Outcomes & Retrospective)",
    "P002": "ExecPlan is missing a profile section (Purpose, Context, Plan of Work, ...)",
    "P003": "ExecPlan checkboxes missing from Progress, or used outside it",
    "P004": "completed Progress item without a timestamp",
    "P005": "ExecPlan wrapped in a code fence",
    "P006": "Decision Log or Surprises entry without its labels",
    "P007": "ExecPlan introduction lacks the living-document sentence",
    "P008": "no blank line after a heading",
    "P009": "external link in an ExecPlan",
    "P010": "Validation and Acceptance has no command",
}


@dataclass(frozen=True)
class LintOptions:
    """What lint needs to know about the project (the caller reads the config)."""

    spec_path: str = "SPEC.md"
    tasks_dir: str = "tasks"
    plans_dir: str = "plans"
    test_command: str | None = None
    agents_dirs: Sequence[str] = ()
    agents_max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class LintReport:
    """Every diagnostic, sorted, and the tasks that parsed."""

    diagnostics: list[Diagnostic]
    tasks: list[Task]

    def count(self, severity: Severity) -> int:
        """How many diagnostics have this severity."""
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def strict(self) -> LintReport:
        """The same report with warnings promoted to errors (`--strict`)."""
        promoted = [
            Diagnostic(d.path, d.line, d.column, d.code, Severity.ERROR, d.message)
            if d.severity == Severity.WARNING
            else d
            for d in self.diagnostics
        ]
        return LintReport(promoted, self.tasks)


def _lint_spec_file(root: Path, spec_path: str) -> list[Diagnostic]:
    path = root / spec_path
    if not path.is_file():
        return [
            Diagnostic(
                spec_path,
                1,
                1,
                "S001",
                Severity.WARNING,
                f"no {spec_path}: write one with the required sections (or set paths.spec)",
            )
        ]
    try:
        text = read_text(path)
    except ParseError as exc:
        return [exc.to_diagnostic(spec_path)]
    return lint_spec(parse_spec(text, source=spec_path))


def _lint_agents(root: Path, options: LintOptions) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    root_chain = resolve_agents_chain(root, max_bytes=options.agents_max_bytes)
    if not any((root / name).is_file() for name in AGENTS_NAMES):
        out.append(
            Diagnostic(
                "AGENTS.md",
                1,
                1,
                "A005",
                Severity.INFO,
                "no AGENTS.md: agents get no repository rules",
            )
        )
    elif not root_chain.has_review_section:
        shown = (
            next(relative_path(f.path, root) for f in root_chain.files)
            if root_chain.files
            else "AGENTS.md"
        )
        out.append(
            Diagnostic(
                shown,
                1,
                1,
                "A004",
                Severity.INFO,
                'no "## Review guidelines" (or "## Code Review Rules") section for reviewers',
            )
        )
    out.extend(root_chain.diagnostics)
    for directory in options.agents_dirs:
        chain = resolve_agents_chain(root, root / directory, max_bytes=options.agents_max_bytes)
        out.extend(chain.diagnostics)
    return list(dict.fromkeys(out))


def _lint_plan_file(root: Path, path: Path) -> list[Diagnostic]:
    source = relative_path(path, root)
    try:
        text = read_text(path)
    except ParseError as exc:
        return [exc.to_diagnostic(source)]
    return lint_execplan(text, source=source)


def _lint_plans(root: Path, plans_dir: str) -> list[Diagnostic]:
    directory = root / plans_dir
    if not directory.is_dir():
        return []
    out: list[Diagnostic] = []
    for path in sorted(p for p in directory.glob("*.md") if p.is_file()):
        out += _lint_plan_file(root, path)
    return out


def lint_project(
    root: Path, options: LintOptions | None = None, paths: Sequence[Path] | None = None
) -> LintReport:
    """Lint the whole project, or only `paths` (files or directories, absolute)."""
    options = options or LintOptions()
    root = root.resolve()
    project = load_tasks(root, options.tasks_dir)
    if paths is None:
        diagnostics = list(project.diagnostics)
        diagnostics += _lint_spec_file(root, options.spec_path)
        diagnostics += _lint_agents(root, options)
        diagnostics += _lint_plans(root, options.plans_dir)
        tasks = project.tasks
        wanted: set[str] | None = None
    else:
        diagnostics, tasks, wanted = _lint_paths(root, options, project, paths)
    for task in tasks:
        if wanted is None or task.source in wanted:
            diagnostics += lint_task(task, test_command=options.test_command)
    graph_diagnostics = lint_graph(tasks)
    diagnostics += [d for d in graph_diagnostics if wanted is None or d.path in wanted]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    diagnostics.sort(key=lambda d: (d.path, d.line, order[d.severity], d.code))
    return LintReport(diagnostics, tasks)


def _is_plan(path: Path) -> bool:
    try:
        return looks_like_execplan(read_text(path))
    except ParseError:
        return False


def _lint_paths(
    root: Path, options: LintOptions, project: TaskSet, paths: Sequence[Path]
) -> tuple[list[Diagnostic], list[Task], set[str]]:
    diagnostics: list[Diagnostic] = []
    task_files: list[Path] = []
    spec = (root / options.spec_path).resolve()
    plans = (root / options.plans_dir).resolve()
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            task_files += sorted(p for p in path.iterdir() if p.is_file() and is_task_candidate(p))
        elif path == spec:
            diagnostics += _lint_spec_file(root, options.spec_path)
        elif path.name in AGENTS_NAMES and path.is_relative_to(root):
            chain = resolve_agents_chain(root, path.parent, max_bytes=options.agents_max_bytes)
            diagnostics += chain.diagnostics
        elif path.is_relative_to(plans) or _is_plan(path):
            diagnostics += _lint_plan_file(root, path)
        else:
            task_files.append(path)
    chosen = load_task_files(root, task_files)
    diagnostics += chosen.diagnostics
    wanted = {relative_path(p, root) for p in task_files}
    by_source = {t.source: t for t in project.tasks}
    by_source.update({t.source: t for t in chosen.tasks})
    return diagnostics, list(by_source.values()), wanted
