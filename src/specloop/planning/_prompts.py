"""Prompt templates: one Markdown file per stage in `specloop/planning/prompts/`.

They are package data so users can read them (and edit an installed copy); Jinja2 with
StrictUndefined so a missing variable is an error, not a silently empty prompt."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown prompts for a model, not HTML
    )


def _load(name: str) -> str:
    return (
        resources.files("specloop.planning")
        .joinpath("prompts")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


def system_prompt() -> str:
    """The planner's system prompt."""
    return _load("system.md")


def render_prompt(stage: str, **values: Any) -> str:
    """The user prompt of `stage` (spec, agents, tasks) with `values` filled in."""
    return _environment().get_template(f"{stage}.md").render(**values).strip() + "\n"
