"""specloop.planning: idea -> SPEC.md -> AGENTS.md -> task files, each stage gated.

Each stage asks the planner model for structured output (`SpecDraft`, `AgentsDraft`,
`TaskPlan`), renders the Markdown itself, shows it at a gate, and writes it atomically.
Prompts are the Markdown templates in `specloop/planning/prompts/`.
"""

from specloop.planning._agents_stage import run_agents_stage
from specloop.planning._gate import Action, AutoApprove, Change, Decision, Gate, TerminalGate
from specloop.planning._render import render_spec, render_task_draft, slugify
from specloop.planning._runner import (
    PlanningContext,
    PlanningError,
    StageAborted,
    StageReport,
    usage_line,
)
from specloop.planning._schemas import AgentsDraft, SpecDraft, TaskDraft, TaskPlan
from specloop.planning._spec_stage import load_answers, match_answers, run_spec_stage
from specloop.planning._tasks_stage import plan_problems, run_tasks_stage

__all__ = [
    "Action",
    "AgentsDraft",
    "AutoApprove",
    "Change",
    "Decision",
    "Gate",
    "PlanningContext",
    "PlanningError",
    "SpecDraft",
    "StageAborted",
    "StageReport",
    "TaskDraft",
    "TaskPlan",
    "TerminalGate",
    "load_answers",
    "match_answers",
    "plan_problems",
    "render_spec",
    "render_task_draft",
    "run_agents_stage",
    "run_spec_stage",
    "run_tasks_stage",
    "slugify",
    "usage_line",
]
