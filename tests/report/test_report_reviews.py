"""Reviews in the report: per attempt, every finding by priority, reviewer precision, proofs.

The shared fixture (report_support.add_reviews) records an attempt review with two
findings and a range review with one, votes (one changed), a failure, and a proof when
the ledger has the finding_proofs table; titles, bodies, reasons and output hold HTML.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from report_support import (
    CLAUDE,
    GEMINI,
    GPT,
    IMG,
    PROOF_OUTPUT,
    REVIEW_BODY,
    REVIEW_FAILURE,
    REVIEW_TITLE,
    SCRIPT,
    VOTE_WHY,
    add_reviews,
    built_project,
)

from specloop.artifacts import Task, TaskGraph, load_tasks
from specloop.ledger import LEDGER_RELPATH, Ledger
from specloop.report import ReportData, gather, render_html
from specloop.report._html import location, precision
from specloop.report._reviews import precision_of


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    project = built_project(tmp_path_factory)
    graph = TaskGraph(load_tasks(project.root).tasks)
    ledger = Ledger.open_existing(project.root / LEDGER_RELPATH)
    assert ledger is not None
    with ledger:
        return gather(ledger, graph, {}, project="p", spec_path="SPEC.md", spec_text=None)


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    project = built_project(tmp_path_factory)
    out = project.root.parent / "reviews.html"
    result = project.report("-o", str(out))
    assert result.code == 0, result.stderr
    return out.read_text(encoding="utf-8")


def test_each_attempt_carries_its_review_with_findings_most_urgent_first(
    data: ReportData,
) -> None:
    merged = next(t for t in data.tasks if t.id == "0x01").attempts[0]
    (review,) = merged.reviews
    assert (review.task_id, review.attempt_id, review.range) == (
        "0x01",
        merged.id,
        "0x01 attempt 1",
    )
    assert review.reviewers == (GPT, CLAUDE, GEMINI)
    assert dict(review.verdicts) == {GPT: "patch is incorrect", CLAUDE: "patch is correct"}
    assert review.blocking and review.dropped_outside_diff == 2
    assert review.failures == (REVIEW_FAILURE,)
    assert review.not_reviewed == ("src/huge.py: too large for one call",)
    xss, nit = review.findings
    assert (xss.priority, xss.title, xss.body, xss.blocking) == (0, REVIEW_TITLE, REVIEW_BODY, True)
    assert (xss.path, xss.line_start, xss.line_end) == ("src/new.py", 1, 2)
    assert xss.reviewers == (CLAUDE, GPT)  # from review_finding_reviewers, by name
    assert (xss.vote, xss.why) == ("up", VOTE_WHY)  # the latest vote, not the first
    assert (nit.priority, nit.vote, nit.reviewers) == (2, "down", (GPT,))
    assert all(not a.reviews for t in data.tasks if t.id != "0x01" for a in t.attempts)


def test_the_run_wide_list_has_range_reviews_too_sorted_by_priority(data: ReportData) -> None:
    rows = data.review.findings
    assert [row.finding.priority for row in rows] == [0, 1, 2]
    ranged = rows[1]
    assert ranged.review.task_id is None and ranged.review.attempt_id is None
    assert ranged.review.range == "main~1..main" and ranged.review.security
    assert ranged.finding.vote is None and ranged.finding.reviewers == (GEMINI, GPT)
    assert len(data.review.reviews) == 2


def test_a_proof_shows_its_latest_outcome_when_the_ledger_has_proofs(data: ReportData) -> None:
    xss = data.review.findings[0].finding
    if not data.review.proofs_known:
        pytest.skip("this ledger schema has no finding_proofs table yet")
    assert xss.proof is not None
    assert (xss.proof.outcome, xss.proof.test_path, xss.proof.exit_code) == (
        "reproduced",
        "tests/test_new.py",
        1,
    )
    assert xss.proof.output == PROOF_OUTPUT
    assert all(row.finding.proof is None for row in data.review.findings[1:])


def test_precision_per_reviewer_matches_review_stats(
    data: ReportData, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shown = {p.reviewer: (p.findings, p.confirmed, p.rejected) for p in data.review.precision}
    assert shown == {GPT: (3, 1, 1), CLAUDE: (1, 1, 0), GEMINI: (1, 0, 0)}
    ledger = Ledger.open_existing(built_project(tmp_path_factory).root / LEDGER_RELPATH)
    assert ledger is not None
    with ledger:  # the same counting as `specloop review stats`
        stats = {s.reviewer: (s.findings, s.confirmed, s.rejected) for s in ledger.reviewer_stats()}
    assert shown == stats
    by_name = {p.reviewer: p.precision for p in data.review.precision}
    assert by_name == {GPT: 0.5, CLAUDE: 1.0, GEMINI: None}
    assert [precision(by_name[n]) for n in (GPT, CLAUDE, GEMINI)] == ["0.50", "1.00", "—"]
    assert precision_of([]) == ()


def test_one_run_only_leaves_out_other_runs_reviews(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = built_project(tmp_path_factory)
    graph = TaskGraph(load_tasks(project.root).tasks)
    ledger = Ledger.open_existing(project.root / LEDGER_RELPATH)
    assert ledger is not None
    with ledger:
        other = gather(ledger, graph, {}, project="p", spec_path="S", spec_text=None, run_id=99)
        this = gather(ledger, graph, {}, project="p", spec_path="S", spec_text=None, run_id=1)
    assert other.review.reviews == () and other.review.precision == ()
    # The attempt review belongs to run 1 through its attempt; the range review to none.
    assert [r.range for r in this.review.reviews] == ["0x01 attempt 1"]


def test_a_ledger_without_finding_proofs_still_reports(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as ledger:
        run = ledger.start_run()
        ledger.upsert_task("0x01", title="t")
        attempt = ledger.start_attempt("0x01", run_id=run.id)
        # An older schema: drop the table from outside, as a pre-migration-3 ledger lacks it.
        with sqlite3.connect(path) as raw:
            raw.execute("DROP TABLE IF EXISTS finding_proofs")
        add_reviews(ledger, attempt.id, run.id)
        assert not ledger.has_table("finding_proofs")
        data = gather(
            ledger, TaskGraph([Task("0x01", "t")]), {}, project="p", spec_path="S", spec_text=None
        )
    assert not data.review.proofs_known
    assert all(row.finding.proof is None for row in data.review.findings)
    page = render_html(data)
    assert ">Proof</th>" not in page and "reproduced" not in page
    assert _escaped(REVIEW_TITLE) in page


def test_the_page_shows_every_review_field_escaped(html: str, data: ReportData) -> None:
    assert SCRIPT not in html and IMG not in html
    xss = data.review.findings[0].finding
    for text in (REVIEW_TITLE, REVIEW_BODY, VOTE_WHY, REVIEW_FAILURE):
        assert _escaped(text) in html
    card = html[html.index(f'id="finding-{xss.id}"') :]
    card = card[: card.index("</div>")]
    assert f"F{xss.id}" in card and "[P0]" in card and "BLOCKING" in card
    assert "src/new.py:1-2" in card and "security, confidence 0.90" in card
    assert f"{CLAUDE}, {GPT}" in card and "▲ up" in card
    assert "patch is incorrect" in html and "2 findings outside the diff" in html
    assert "src/huge.py: too large for one call" in html
    assert "main~1..main" in html  # the range review, with no task card of its own
    if data.review.proofs_known:
        assert "reproduced" in card and _escaped(PROOF_OUTPUT) in card
        assert ">Proof</th>" in html
    assert '<td class="num">—</td>' in html  # GEMINI: no vote yet


def test_the_run_wide_table_lists_findings_by_priority(html: str, data: ReportData) -> None:
    section = html[html.index('<section id="findings">') :]
    ids = [row.finding.id for row in data.review.findings]
    places = [section.index(f">F{i}<") for i in ids]
    assert places == sorted(places)


def test_location_formats_paths_and_line_ranges() -> None:
    assert location(None, None, None) == "–"
    assert location("a.py", None, None) == "a.py"
    assert location("a.py", 3, None) == "a.py:3" and location("a.py", 3, 3) == "a.py:3"
    assert location("a.py", 3, 9) == "a.py:3-9"
