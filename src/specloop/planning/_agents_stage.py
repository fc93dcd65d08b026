"""`specloop agents`: draft or update AGENTS.md from the spec, keeping user-written sections.

A section counts as the user's when its text is not exactly what specloop last wrote
for it (the ledger keeps a hash per section), so hand-written and hand-edited sections
survive every re-run; sections specloop wrote and nobody touched are redrafted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specloop.artifacts import normalize_title, split_blocks
from specloop.planning._files import read_optional, sha256
from specloop.planning._prompts import render_prompt, system_prompt
from specloop.planning._render import AGENTS_SECTIONS, render_agents_section
from specloop.planning._runner import PlanningContext, PlanningError, StageReport, run_gated
from specloop.planning._schemas import AgentsDraft

_PREAMBLE = "# AGENTS.md\n\nRules for coding agents working in this repository. specloop puts them in every task's handover.\n"


@dataclass(frozen=True)
class _Section:
    title: str
    body: str


def _split(text: str) -> tuple[str, list[_Section]]:
    """The text before the first `##` heading, and each level-2 section."""
    lines = text.splitlines()
    _, blocks = split_blocks(lines)
    preamble = "\n".join(lines[: blocks[0].line - 1]) if blocks else text
    return preamble.strip() + "\n", [_Section(b.title, b.text) for b in blocks]


def _join(preamble: str, sections: list[_Section]) -> str:
    parts = [preamble.strip()] + [f"## {s.title}\n\n{s.body.strip()}".rstrip() for s in sections]
    return "\n\n".join(p for p in parts if p) + "\n"


def run_agents_stage(ctx: PlanningContext) -> StageReport:
    """Draft AGENTS.md, or update the sections specloop owns in an existing one."""
    spec = read_optional(ctx.path(ctx.config.spec_path))
    if spec is None:
        raise PlanningError(f'no {ctx.config.spec_path}: run `specloop spec "IDEA"` first')
    path = ctx.root / "AGENTS.md"
    existing = read_optional(path)
    preamble, sections = _split(existing) if existing else (_PREAMBLE, [])
    ours: dict[str, str] = ctx.last_written("agents").get("sections", {})
    user_titles = {
        normalize_title(s.title)
        for s in sections
        if ours.get(normalize_title(s.title)) != sha256(s.body.strip())
    }
    kept = "\n\n".join(
        f"## {s.title}\n\n{s.body}" for s in sections if normalize_title(s.title) in user_titles
    )

    def propose(feedback: str, report: StageReport) -> dict[Path, str]:
        ctx.say(f"agents: drafting AGENTS.md with {ctx.client.spec.label}")
        prompt = render_prompt("agents", spec=spec, existing=kept, feedback=feedback)
        draft = ctx.client.structured(
            stage="agents", system=system_prompt(), prompt=prompt, output_type=AgentsDraft
        )
        report.add(draft)
        generated = {
            normalize_title(title): (title, render_agents_section(draft.output, attr))
            for title, attr in AGENTS_SECTIONS
        }
        merged: list[_Section] = []
        for section in sections:
            key = normalize_title(section.title)
            if key in generated and key not in user_titles:
                merged.append(_Section(section.title, generated.pop(key)[1]))
            else:
                generated.pop(key, None)
                merged.append(section)
        merged += [_Section(title, body) for title, body in generated.values()]
        return {path: _join(preamble, merged)}

    def sections_written(files: Mapping[Path, str]) -> dict[str, Any]:
        _, written = _split(files[path])
        return {
            "sections": {
                normalize_title(s.title): sha256(s.body.strip())
                for s in written
                if normalize_title(s.title) not in user_titles
            }
        }

    if user_titles:
        ctx.say(f"agents: keeping {len(user_titles)} section(s) you wrote or edited")
    return run_gated(ctx, "agents", propose, extra=sections_written)
