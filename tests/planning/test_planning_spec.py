"""The spec stage: draft, open questions answered, redraft, gate, SPEC.md on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from planner_double import ScriptedPlanner, context, spec_output

from conftest import Repo
from specloop.artifacts import lint_spec, parse_spec
from specloop.planning import (
    Action,
    Change,
    Decision,
    PlanningError,
    StageAborted,
    match_answers,
    run_spec_stage,
)

QUESTIONS = ["Count hyphenated words as one?", "Support stdin?"]


def test_a_draft_without_questions_is_written_with_every_required_section(repo: Repo) -> None:
    planner = ScriptedPlanner([spec_output()])
    ctx, ledger, _ = context(repo.root, planner)
    report = run_spec_stage(ctx, "count words in files")
    assert report.written == ["SPEC.md"]
    text = (repo.root / "SPEC.md").read_text()
    assert text.startswith("# tally: count words\n")
    assert lint_spec(parse_spec(text)) == []
    assert "count words in files" in planner.prompts[0]
    assert report.calls == 1 and report.input_tokens > 0
    kinds = [e.kind for e in ledger.events()]
    assert kinds.count("planning.decision") == 1 and kinds.count("planning.written") == 1
    assert ledger.usage_totals()[0].role == "planner"


def test_open_questions_are_answered_from_a_file_then_redrafted(repo: Repo, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        '"count hyphenated words as one": "Yes"\n"2": "No, files only."\n"Use Rust?": "no"\n'
    )
    planner = ScriptedPlanner([spec_output(open_questions=QUESTIONS), spec_output()])
    ctx, ledger, out = context(repo.root, planner)
    report = run_spec_stage(ctx, "count words", answers_file=answers)
    assert report.calls == 2
    assert "Q: Count hyphenated words as one?\n  A: Yes" in planner.prompts[1]
    text = (repo.root / "SPEC.md").read_text()
    assert "- Resolved: Count hyphenated words as one? — Yes" in text
    assert "- Resolved: Support stdin? — No, files only." in text
    assert parse_spec(text).open_questions() == []
    assert "did not ask (ignored): Use Rust?" in out.getvalue()
    answers_recorded = [e.data for e in ledger.events() if e.kind == "planning.answer"]
    assert {a["question"] for a in answers_recorded if a} == set(QUESTIONS)


def test_questions_are_asked_one_by_one_on_a_terminal(repo: Repo) -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "" if "stdin" in prompt else "Yes"

    planner = ScriptedPlanner(
        [spec_output(open_questions=QUESTIONS), spec_output(open_questions=["Support stdin?"])]
    )
    ctx, _, _ = context(repo.root, planner, ask=ask)
    run_spec_stage(ctx, "count words")
    assert [p.splitlines()[0] for p in asked] == QUESTIONS
    text = (repo.root / "SPEC.md").read_text()
    assert "- Support stdin?" in text  # unanswered: still open, and lint will say so
    assert [q for _, q in parse_spec(text).open_questions()] == ["Support stdin?"]


def test_an_empty_idea_is_refused_before_any_model_call(repo: Repo) -> None:
    planner = ScriptedPlanner([])
    ctx, _, _ = context(repo.root, planner)
    with pytest.raises(PlanningError, match="the idea is empty"):
        run_spec_stage(ctx, "   \n")
    assert planner.prompts == []


def test_rerunning_revises_the_existing_spec_and_shows_a_diff(repo: Repo) -> None:
    repo.write("SPEC.md", "# tally\n\n## Problem statement\n\nMy own words.\n")
    seen: list[list[Change]] = []

    class Recording:
        def decide(self, stage: str, changes: list[Change]) -> Decision:  # type: ignore[override]
            seen.append(list(changes))
            return Decision(Action.APPROVE, "test", "ok", tuple(changes))

    planner = ScriptedPlanner([spec_output()])
    ctx, _, _ = context(repo.root, planner, gate=Recording())
    run_spec_stage(ctx, "")
    assert "My own words." in planner.prompts[0]  # the model revises what is there
    (change,) = seen[0]
    assert change.old is not None and "-My own words." in change.diff()


def test_abort_writes_nothing(repo: Repo) -> None:
    class No:
        def decide(self, stage: str, changes: list[Change]) -> Decision:  # type: ignore[override]
            return Decision(Action.ABORT, "test", "no")

    ctx, ledger, _ = context(repo.root, ScriptedPlanner([spec_output()]), gate=No())
    with pytest.raises(StageAborted, match="nothing was written"):
        run_spec_stage(ctx, "count words")
    assert not (repo.root / "SPEC.md").exists()
    assert [
        e.data["decision"] for e in ledger.events() if e.kind == "planning.decision" and e.data
    ] == ["abort"]


def test_regenerate_sends_the_feedback_to_the_model(repo: Repo) -> None:
    decisions = iter(
        [Decision(Action.REGENERATE, "test", "again", feedback="Mention CSV output."), None]
    )

    class Twice:
        def decide(self, stage: str, changes: list[Change]) -> Decision:  # type: ignore[override]
            decision = next(decisions)
            return decision or Decision(Action.APPROVE, "test", "ok", tuple(changes))

    planner = ScriptedPlanner([spec_output(), spec_output(title="tally with CSV")])
    ctx, _, _ = context(repo.root, planner, gate=Twice())
    run_spec_stage(ctx, "count words")
    assert "Mention CSV output." in planner.prompts[1]
    assert (repo.root / "SPEC.md").read_text().startswith("# tally with CSV")


def test_match_answers_by_text_or_number() -> None:
    answers, unknown = match_answers(
        QUESTIONS, {"SUPPORT STDIN": "no", "1": "yes", "x?": "y", "2 ": ""}
    )
    assert answers == {"Support stdin?": "no", "Count hyphenated words as one?": "yes"}
    assert unknown == ["x?"]


def test_a_malformed_answers_file_names_its_line(repo: Repo, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text('"a": "b"\n"c": [unclosed\n')
    ctx, _, _ = context(repo.root, ScriptedPlanner([spec_output(open_questions=QUESTIONS)]))
    with pytest.raises(PlanningError, match=r"answers.yaml:\d+: invalid YAML"):
        run_spec_stage(ctx, "count words", answers_file=answers)
