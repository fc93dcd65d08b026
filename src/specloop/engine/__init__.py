"""specloop.engine: the loop of DESIGN.md §4 — for now, projects, init, task states, demo."""

from typing import TYPE_CHECKING, Any

from specloop.engine._init import InitResult, init_project
from specloop.engine._project import Project, ProjectError, find_project_root, open_project
from specloop.engine._status import StatusReport, TaskRow, project_status

if TYPE_CHECKING:  # typed for mypy; loaded lazily by __getattr__ below
    from specloop.engine._doctor import Check, diagnose, doctor_json

__all__ = [
    "Check",
    "DemoResult",
    "InitResult",
    "Project",
    "ProjectError",
    "StatusReport",
    "TaskRow",
    "diagnose",
    "doctor_json",
    "find_project_root",
    "init_project",
    "open_project",
    "project_status",
    "run_demo",
]


def __getattr__(name: str) -> Any:
    # The demo pulls in the model and planning layers (pydantic); load it only when asked,
    # so `status` and friends stay fast.
    if name in ("DemoResult", "run_demo"):
        from specloop.engine import _demo

        return getattr(_demo, name)
    # Doctor reads the agent pins, which load the executors package; `status` needs neither.
    if name in ("Check", "diagnose", "doctor_json"):
        from specloop.engine import _doctor

        return getattr(_doctor, name)
    raise AttributeError(f"module 'specloop.engine' has no attribute {name!r}")
