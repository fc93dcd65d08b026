"""What the planner model returns for each stage (validated by pydantic, shown to the
model as JSON schema; the field descriptions are part of the prompt)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SpecDraft(BaseModel):
    """A SPEC.md as fields: specloop renders the required sections itself, in order."""

    title: str = Field(description="Short name of the product, e.g. 'readlog'.")
    problem_statement: str = Field(
        description="Who has which problem, and what this builds. Markdown prose."
    )
    architecture: str = Field(description="Components, modules and data flow. Markdown.")
    data_models: str = Field(description="Entities, fields, types, storage. Markdown.")
    entrypoints: str = Field(
        description="Commands, endpoints or functions users call, with arguments. Markdown."
    )
    threat_model: str = Field(
        description="Assets, adversaries, attack vectors and mitigations. Markdown."
    )
    non_goals: list[str] = Field(description="What this deliberately does not do, one per item.")
    constraints: list[str] = Field(
        default_factory=list, description="Hard constraints (language, dependencies, platforms)."
    )
    open_questions: list[str] = Field(
        default_factory=list,
        description="Questions only the user can answer and that change the design; each ends with '?'. Empty when none.",
    )
    success_criteria: list[str] = Field(description="Observable, checkable outcomes, one per item.")


class AgentsDraft(BaseModel):
    """AGENTS.md: short, concrete rules for coding agents in this repository."""

    general_rules: list[str] = Field(
        description="How to work here: scope, one task at a time, stop conditions."
    )
    code_style: list[str] = Field(
        description="Language version, formatting, naming, typing, dependencies."
    )
    testing: list[str] = Field(
        description="Test commands to run (in backticks) and what tests must cover."
    )
    security: list[str] = Field(
        description="Secrets, input validation, dangerous operations, from the threat model."
    )
    output_rules: list[str] = Field(
        description="What the agent reports at the end: changed files, assumptions, results."
    )
    review_guidelines: list[str] = Field(
        description="What reviewers must flag as P0/P1 in this repository."
    )


class TaskDraft(BaseModel):
    """One small, independently executable task."""

    id: str = Field(
        pattern=r"^0x[0-9a-f]{2,}$", description="Hex id: 0x01, 0x02, ... in build order."
    )
    title: str = Field(min_length=3, description="Imperative, e.g. 'Add the storage layer'.")
    depends_on: list[str] = Field(
        default_factory=list, description="Ids of tasks that must be merged first."
    )
    objective: str = Field(description="The one outcome this task delivers (1-3 sentences).")
    files: list[str] = Field(
        min_length=1,
        description="Every repo-relative path or glob the task may create or change (tests too).",
    )
    steps: list[str] = Field(min_length=1, description="Ordered implementation steps.")
    completion_criteria: list[str] = Field(
        min_length=1,
        description=(
            "Checkable lines: a backticked command that exits 0 when the task is done "
            "(e.g. '`python -m pytest -q tests/test_store.py` passes'), or exactly "
            "'No TODOs left in code' / 'No unused imports' / 'All tests pass'."
        ),
    )


class TaskPlan(BaseModel):
    """The whole decomposition of the spec."""

    tasks: list[TaskDraft] = Field(
        min_length=1, description="Small tasks that build on each other."
    )
