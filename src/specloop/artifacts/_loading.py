"""Finding and parsing a project's task files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from specloop.artifacts._diagnostics import Diagnostic, ParseError, Severity
from specloop.artifacts._tasks import Task, load_task
from specloop.artifacts._text import relative_path


@dataclass(frozen=True)
class TaskSet:
    """The task files of a project: those that parsed, and diagnostics for the rest."""

    tasks: list[Task]
    diagnostics: list[Diagnostic] = field(default_factory=list)


def is_task_candidate(path: Path) -> bool:
    return (
        path.suffix == ".md" and not path.name.startswith(".") and path.name.lower() != "readme.md"
    )


def load_task_files(root: Path, files: Sequence[Path]) -> TaskSet:
    """Parse each file; a file that cannot be parsed becomes an error diagnostic."""
    tasks: list[Task] = []
    diagnostics: list[Diagnostic] = []
    for path in files:
        try:
            tasks.append(load_task(path, root=root))
        except ParseError as exc:
            diagnostics.append(exc.to_diagnostic(relative_path(path, root)))
    return TaskSet(tasks, diagnostics)


def load_tasks(root: Path, tasks_dir: str = "tasks") -> TaskSet:
    """Every task file in `root/tasks_dir` (sorted by name); other files are noted."""
    directory = root / tasks_dir
    shown = tasks_dir.rstrip("/") + "/"
    if not directory.is_dir():
        message = f"{shown} does not exist: run `specloop init` or set paths.tasks"
        return TaskSet([], [Diagnostic(shown, 1, 1, "T020", Severity.WARNING, message)])
    entries = sorted(p for p in directory.iterdir() if p.is_file())
    files = [p for p in entries if is_task_candidate(p)]
    result = load_task_files(root, files)
    for path in entries:
        if path.suffix != ".md" and not path.name.startswith("."):
            message = "not a task file (only *.md files in the tasks directory are read)"
            result.diagnostics.append(
                Diagnostic(relative_path(path, root), 1, 1, "T021", Severity.INFO, message)
            )
    if not files:
        message = f"no task files in {shown} (write {shown}0x01-slug.md)"
        result.diagnostics.append(Diagnostic(shown, 1, 1, "T020", Severity.WARNING, message))
    return result
