"""The reviewer's prompts: Markdown Jinja2 templates in ``specloop/review/prompts/``.

Package data, so users can read (and edit an installed copy of) exactly what reviewers
are told. StrictUndefined: a missing value is an error, not a silently empty prompt.
The stable parts (rules, AGENTS.md, threat model, task) come before the diff so
providers' prompt caches hit across the chunks of one review.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2


def _load(name: str) -> str:
    return (
        resources.files("specloop.review")
        .joinpath("prompts")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown for a model, not HTML
    )


def system_prompt(*, security: bool) -> str:
    """The reviewer's rules; the security variant adds the attacker's view."""
    return _environment().get_template("system.md").render(security=security).strip() + "\n"


def review_prompt(
    *,
    reviewer: str,
    diff_range: str,
    diff: str,
    chunk: int,
    chunks: int,
    task_text: str | None,
    agents_text: str,
    spec_text: str | None,
    security: bool,
) -> str:
    """The user prompt for one reviewer and one chunk of the diff."""
    template = _environment().get_template("review.md")
    return (
        template.render(
            reviewer=reviewer,
            range=diff_range,
            diff=diff,
            chunk=chunk,
            chunks=chunks,
            task_text=(task_text or "").strip(),
            agents_text=agents_text.strip(),
            spec_text=(spec_text or "").strip(),
            security=security,
        ).strip()
        + "\n"
    )
