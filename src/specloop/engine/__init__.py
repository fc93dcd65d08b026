"""specloop.engine: the loop of DESIGN.md §4 — for now, projects, init and task states."""

from specloop.engine._init import InitResult, init_project
from specloop.engine._project import Project, ProjectError, find_project_root, open_project
from specloop.engine._status import StatusReport, TaskRow, project_status

__all__ = [
    "InitResult",
    "Project",
    "ProjectError",
    "StatusReport",
    "TaskRow",
    "find_project_root",
    "init_project",
    "open_project",
    "project_status",
]
