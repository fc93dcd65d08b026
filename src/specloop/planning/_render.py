"""Turning planner output into the Markdown files users own: SPEC.md, AGENTS.md, tasks."""

from __future__ import annotations

import re
from collections.abc import Mapping

from specloop.artifacts import ScopeEntry, Task, classify_criterion, render_task
from specloop.planning._schemas import AgentsDraft, SpecDraft, TaskDraft

AGENTS_SECTIONS = (
    ("General rules", "general_rules"),
    ("Code style", "code_style"),
    ("Testing", "testing"),
    ("Security", "security"),
    ("Output rules", "output_rules"),
    ("Review guidelines", "review_guidelines"),
)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item.strip()}" for item in items if item.strip())


def render_spec(draft: SpecDraft, answered: Mapping[str, str] | None = None) -> str:
    """SPEC.md with the required sections in order; answered questions marked Resolved."""
    answered = answered or {}
    open_lines = [f"- {q.strip()}" for q in draft.open_questions if q.strip() not in answered]
    resolved = [f"- Resolved: {q} — {a.strip()}" for q, a in answered.items()]
    questions = "\n".join(open_lines + resolved) or "None open."
    sections = [
        ("Problem statement", draft.problem_statement.strip()),
        ("Architecture", draft.architecture.strip()),
        ("Data models", draft.data_models.strip()),
        ("Entrypoints", draft.entrypoints.strip()),
        ("Threat model", draft.threat_model.strip()),
        ("Non-goals", _bullets(draft.non_goals)),
    ]
    if draft.constraints:
        sections.append(("Constraints", _bullets(draft.constraints)))
    sections += [
        ("Open questions", questions),
        ("Success criteria", _bullets(draft.success_criteria)),
    ]
    body = "\n\n".join(f"## {title}\n\n{text}" for title, text in sections)
    return f"# {draft.title.strip()}\n\n{body}\n"


def render_agents_section(draft: AgentsDraft, attribute: str) -> str:
    """The bullet body of one AGENTS.md section."""
    items: list[str] = getattr(draft, attribute)
    return _bullets(items)


def slugify(title: str) -> str:
    """`Add the storage layer` -> `add-the-storage-layer` (at most 48 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
    return slug[:48].rstrip("-") or "task"


def draft_to_task(draft: TaskDraft) -> Task:
    """The Task a draft describes (validated later by lint)."""
    return Task(
        id=draft.id,
        title=draft.title.strip(),
        depends_on=tuple(draft.depends_on),
        objective=draft.objective.strip(),
        scope=tuple(ScopeEntry(path.strip()) for path in draft.files if path.strip()),
        steps="\n".join(f"{n}. {step.strip()}" for n, step in enumerate(draft.steps, start=1)),
        criteria=tuple(
            classify_criterion(c.strip()) for c in draft.completion_criteria if c.strip()
        ),
    )


def render_task_draft(draft: TaskDraft) -> str:
    """The task file text for a draft."""
    return render_task(draft_to_task(draft))
