"""`specloop spec`: idea -> SPEC.md draft -> open questions answered -> redraft -> gate."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml

from specloop.planning._files import read_optional
from specloop.planning._prompts import render_prompt, system_prompt
from specloop.planning._render import render_spec
from specloop.planning._runner import PlanningContext, PlanningError, StageReport, run_gated
from specloop.planning._schemas import SpecDraft


def _normalize(question: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", question.casefold()).strip()


def load_answers(path: Path) -> dict[str, str]:
    """An answers file: a YAML mapping of question -> answer (PlanningError if not)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanningError(f"cannot read answers file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise PlanningError(f"{path}{where}: invalid YAML in answers file") from None
    except UnicodeDecodeError:
        raise PlanningError(f"{path}: answers file is not UTF-8 text") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise PlanningError(f"{path}: an answers file is a YAML mapping of question: answer")
    return {key: "" if value is None else str(value) for key, value in data.items()}


def match_answers(
    questions: list[str], given: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Answers keyed by the planner's exact questions, and the given keys that match none.

    A key matches a question when they agree ignoring case and punctuation, or when
    the key is the question's number (1-based)."""
    by_text = {_normalize(q): q for q in questions}
    answers: dict[str, str] = {}
    unknown: list[str] = []
    for key, answer in given.items():
        question = by_text.get(_normalize(key))
        if question is None and key.strip().isdigit() and 1 <= int(key) <= len(questions):
            question = questions[int(key) - 1]
        if question is None:
            unknown.append(key)
        elif answer.strip():
            answers[question] = answer.strip()
    return answers, unknown


def run_spec_stage(
    ctx: PlanningContext, idea: str, *, answers_file: Path | None = None
) -> StageReport:
    """Draft or revise SPEC.md. An empty idea is allowed only when SPEC.md exists."""
    spec_path = ctx.path(ctx.config.spec_path)
    existing = read_optional(spec_path)
    idea = idea.strip()
    if not idea and existing is None:
        raise PlanningError(
            'the idea is empty: say what to build, e.g. specloop spec "a CLI that ..."'
        )
    if not idea:
        idea = "(no new idea: revise the existing SPEC.md)"
    given = load_answers(answers_file) if answers_file else {}
    ctx.event("planning.idea", stage="spec", idea=idea)
    answered: dict[str, str] = {}

    def propose(feedback: str, report: StageReport) -> dict[Path, str]:
        ctx.say(f"spec: drafting {ctx.shown(spec_path)} with {ctx.client.spec.label}")
        prompt = render_prompt(
            "spec", idea=idea, existing=existing or "", answers=answered, feedback=feedback
        )
        draft = ctx.client.structured(
            stage="spec", system=system_prompt(), prompt=prompt, output_type=SpecDraft
        )
        report.add(draft)
        questions = [q for q in draft.output.open_questions if q.strip() and q not in answered]
        if questions:
            new = _answer(ctx, questions, given)
            if new:
                answered.update(new)
                ctx.say(f"spec: redrafting with {len(new)} answer{'s' if len(new) != 1 else ''}")
                prompt = render_prompt(
                    "spec",
                    idea=idea,
                    existing=render_spec(draft.output),
                    answers=answered,
                    feedback=feedback,
                )
                draft = ctx.client.structured(
                    stage="spec.redraft",
                    system=system_prompt(),
                    prompt=prompt,
                    output_type=SpecDraft,
                )
                report.add(draft)
        still_open = [q for q in draft.output.open_questions if q not in answered]
        if still_open:
            ctx.say(f"spec: {len(still_open)} question(s) left open in the spec", style="yellow")
        return {spec_path: render_spec(draft.output, answered)}

    return run_gated(ctx, "spec", propose)


def _answer(ctx: PlanningContext, questions: list[str], given: Mapping[str, str]) -> dict[str, str]:
    """Answers from the file first, then (on a terminal) from the human, one by one."""
    ctx.say(
        f"spec: the planner asks {len(questions)} question{'s' if len(questions) != 1 else ''}:"
    )
    for number, question in enumerate(questions, start=1):
        ctx.say(f"  {number}. {question}")
    answers, unknown = match_answers(questions, given)
    if unknown:
        ctx.say(
            f"spec: warning: the answers file has {len(unknown)} question(s) the planner did not ask "
            f"(ignored): {'; '.join(unknown)}",
            style="yellow",
        )
    for question, answer in answers.items():
        ctx.event(
            "planning.answer", stage="spec", question=question, answer=answer, source="answers file"
        )
    if ctx.ask is not None:
        for question in questions:
            if question in answers:
                continue
            answer = ctx.ask(f"{question}\n> ").strip()
            if answer:
                answers[question] = answer
                ctx.event(
                    "planning.answer",
                    stage="spec",
                    question=question,
                    answer=answer,
                    source="terminal",
                )
    return answers
