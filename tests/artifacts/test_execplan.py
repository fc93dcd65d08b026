"""ExecPlan lint: our own plans are clean, and each rule catches its violation."""

from __future__ import annotations

import pytest

from conftest import Repo
from helpers import REPO_ROOT
from specloop.artifacts import LintOptions, lint_execplan, lint_project, looks_like_execplan

PLANS = sorted((REPO_ROOT / "docs" / "plans").glob("*.md"))
GOOD = (REPO_ROOT / "docs" / "plans" / "002-foundation.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_every_plan_in_this_repository_lints_clean(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert [d.format() for d in lint_execplan(text, source="plan.md")] == []


def codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in lint_execplan(text, source="plan.md")]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("## Decision Log", "## Decisions", "P001"),
        ("## Concrete Steps", "## Steps we took", "P002"),
        ("This ExecPlan is a living document.", "This ExecPlan is a plan.", "P007"),
    ],
)
def test_section_rules(old: str, new: str, code: str) -> None:
    assert (code, 1) in codes(GOOD.replace(old, new))


def test_checkboxes_only_in_progress_and_timestamps_on_completed_items() -> None:
    text = GOOD.replace(
        "## Surprises & Discoveries\n\n", "## Surprises & Discoveries\n\n- [ ] stray\n"
    )
    text = text.replace("- [x] (2026-11-22 04:24Z) Read", "- [x] Read")
    found = codes(text)
    assert ("P003", line_of(text, "- [ ] stray")) in found
    assert ("P004", line_of(text, "- [x] Read")) in found
    progress_empty = (
        GOOD.split("## Progress")[0]
        + "## Progress\n\nNothing yet.\n\n## Surprises"
        + GOOD.split("## Surprises", 1)[1]
    )
    assert ("P003", line_of(progress_empty, "## Progress")) in codes(progress_empty)


def test_decision_and_surprise_entries_need_their_labels() -> None:
    text = GOOD.replace(
        "## Decision Log\n\n", "## Decision Log\n\n- Decision: keep it.\n  Rationale: simple.\n"
    )
    text = text.replace(
        "## Surprises & Discoveries\n\n", "## Surprises & Discoveries\n\n- Observation: odd.\n"
    )
    found = sorted((c, n) for c, n in codes(text) if c == "P006")
    assert found == [
        ("P006", line_of(text, "- Observation: odd.")),
        ("P006", line_of(text, "- Decision: keep it.")),
    ]


def test_fence_heading_spacing_links_and_validation_command() -> None:
    assert ("P005", 1) in codes("```md\n" + GOOD + "```\n")
    cramped = GOOD.replace("## Plan of Work\n\n", "## Plan of Work\nDone in order.\n")
    assert ("P008", line_of(cramped, "## Plan of Work")) in codes(cramped)
    linked = GOOD + "\nRead https://example.com/guide first.\n"
    assert ("P009", line_of(linked, "https://")) in codes(linked)
    start = GOOD.index("## Validation and Acceptance")
    end = GOOD.index("## Idempotence")
    no_command = GOOD[:start] + "## Validation and Acceptance\n\nIt should work.\n\n" + GOOD[end:]
    assert ("P010", line_of(no_command, "## Validation and Acceptance")) in codes(no_command)


def test_plans_are_linted_with_the_project_and_recognised_by_content(repo: Repo) -> None:
    repo.task("0x01")
    repo.write("plans/001-x.md", GOOD.replace("## Decision Log", "## Decisions"))
    report = lint_project(repo.root, LintOptions())
    assert [d.code for d in report.diagnostics if d.path == "plans/001-x.md"] == ["P001"]
    elsewhere = repo.write("notes/plan.md", GOOD.replace("## Concrete Steps", "## Steps"))
    assert looks_like_execplan(elsewhere.read_text())
    only = lint_project(repo.root, LintOptions(), paths=[elsewhere])
    assert [(d.path, d.code) for d in only.diagnostics] == [("notes/plan.md", "P002")]
