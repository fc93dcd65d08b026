"""A real `specloop run` with one merged, one failed, one blocked and one waiting task,
whose titles, diffs, check output and model output hold HTML that must stay text.

Built once per test session (a run takes seconds) and shared read-only by the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import Result, git, make_task, run_specloop
from specloop.ledger import LEDGER_RELPATH, Ledger

#: Sets window.__pwned if it ever runs; every injection below uses it.
SCRIPT = "<script>window.__pwned = 1</script>"
IMG = "<img src=x onerror=window.__pwned=2>"
TITLE_MERGED = f"Add {SCRIPT} & \"quotes\" 'too'"
TITLE_FAILED = f"Break {IMG} & more"
#: What the merged task's agent writes, so the diff holds it.
NEW_FILE = f'# {SCRIPT}\nVALUE = "a & b < c"  # {IMG}\n'
#: Printed by the failed task's completion check, so the check output holds it.
CHECK_NOISE = f"{SCRIPT} {IMG} &amp; done"
SUMMARY = f"Model says: {SCRIPT} all done & dusted"
FINDING = f"Reviewer saw {SCRIPT} in the diff"
DECISION = f"human said {IMG} is fine"
#: A reviewer's finding as `specloop run --review` records it (title and body from a model).
REVIEW_TITLE = f"Unsafe {SCRIPT} in new.py"
REVIEW_BODY = f"The file writes {SCRIPT} and {IMG} straight into the page."
VOTE_WHY = f"confirmed: {IMG} really runs"
REVIEW_FAILURE = f"google:gemini-test: timed out {SCRIPT}"
#: Proof output (migration 3, when the ledger has it): test output, untrusted too.
PROOF_OUTPUT = f"FAILED tests/test_new.py::test_xss - {SCRIPT}"
GPT, CLAUDE, GEMINI = "openai:gpt-test", "anthropic:claude-test", "google:gemini-test"

_AGENT = f"""set -e
case "$SPECLOOP_TASK_ID" in
  0x01) cat > src/new.py <<'PY'
{NEW_FILE}PY
  ;;
  0x02) echo 'nothing useful' > src/two.txt ;;
esac
"""


@dataclass(frozen=True)
class ReportProject:
    """The project after its run; ``run`` is the result of `specloop run`."""

    root: Path
    run: Result

    def report(self, *args: str) -> Result:
        return run_specloop("report", *args, cwd=self.root)


def _write_task(root: Path, task_id: str, title: str, **parts: object) -> None:
    text = make_task(task_id, title=title, **parts)  # type: ignore[arg-type]
    (root / "tasks" / f"{task_id}-task.md").write_text(text, encoding="utf-8")


def _build(base: Path) -> ReportProject:
    root = base / "project"
    (root / "tasks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / ".specloop").mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.invalid")
    (root / ".specloop" / "config.toml").write_text(
        '[run]\nautonomy = "verified"\nmax_attempts = 1\ntimeout = 60\nsandbox = "optional"\n'
    )
    (root / ".gitignore").write_text(".specloop/state/\n")
    (root / "src" / "app.py").write_text("def hello():\n    return 'hi'\n")
    (root / "SPEC.md").write_text(
        f'# Spec\n\n## Problem statement\n\nShow {SCRIPT} as text & keep "quotes".\n\n'
        "## Architecture\n\n- one `module`\n- ![tracker](https://example.invalid/x.png)\n",
        encoding="utf-8",
    )
    _write_task(
        root,
        "0x01",
        TITLE_MERGED,
        scope=("src/new.py",),
        criteria=("`test -f src/new.py` passes", "No TODOs left in code"),
    )
    noisy = f"`sh -c 'echo \"{CHECK_NOISE}\"; test -f src/two.py'` passes"
    _write_task(root, "0x02", TITLE_FAILED, scope=("src/two.txt", "src/two.py"), criteria=(noisy,))
    _write_task(root, "0x03", "Blocked by a missing task", depends_on="[0x09]")
    _write_task(root, "0x04", "Waits for the failed one", depends_on="[0x02]")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    agent = base / "agent.sh"
    agent.write_text(_AGENT)
    run = run_specloop("run", "--executor", f"cmd:sh {agent}", cwd=root)
    _add_model_output(root)
    return ReportProject(root, run)


def _add_model_output(root: Path) -> None:
    """What a builtin agent and a reviewer would have recorded: text written by a model."""
    with Ledger.open(root / LEDGER_RELPATH) as ledger:
        attempt = ledger.attempt_details()[0]
        assert attempt.task_id == "0x01"
        ledger.append_event(
            "attempt.executed",
            task_id="0x01",
            attempt_id=attempt.id,
            data={"summary": SUMMARY, "ok": True},
        )
        ledger.record_finding(
            attempt.id,
            reviewer="openai:gpt-test",
            priority=1,
            title=f"Title {SCRIPT}",
            body=FINDING,
            path="src/new.py",
            line_start=1,
            line_end=2,
            category="security",
            confidence=0.9,
            blocking=False,
        )
        ledger.record_decision("0x01", decision="note", actor="human:test", reason=DECISION)
        ledger.record_usage(
            role="executor",
            model="openai:gpt-test",
            input_tokens=1200,
            output_tokens=340,
            cached_tokens=100,
            cost_usd=0.0123,
            task_id="0x01",
            attempt_id=attempt.id,
        )
        add_reviews(ledger, attempt.id, attempt.run_id)


@dataclass(frozen=True)
class ReviewFinding:
    """What Ledger.record_review reads of a finding (specloop.review.Finding's shape)."""

    priority: int
    title: str
    body: str
    path: str | None
    line_start: int | None
    line_end: int | None
    category: str
    confidence: float | None
    blocking: bool
    priorities: Sequence[tuple[str, int]]


@dataclass(frozen=True)
class RecordedReview:
    """The ids the fixture's reviews got: the attempt review's findings, the range's one."""

    attempt_review: int
    range_review: int
    xss: int  # F<xss>: P0, blocking, raised by two, voted down then up, proved
    nit: int  # P2, voted down
    ranged: int  # P1, from `specloop review A..B`: no task; nobody voted


def add_reviews(ledger: Ledger, attempt_id: int, run_id: int | None) -> RecordedReview:
    """Two reviews with findings, reviewers, votes and (if the ledger has them) a proof."""
    xss = ReviewFinding(
        0, REVIEW_TITLE, REVIEW_BODY, "src/new.py", 1, 2, "security", 0.9, True,
        ((GPT, 0), (CLAUDE, 1)),
    )  # fmt: skip
    nit = ReviewFinding(
        2, "Name could be clearer", "VALUE says little.", "src/new.py", 2, None, "style", None,
        False, ((GPT, 2),),
    )  # fmt: skip
    review, (nit_id, xss_id) = ledger.record_review(
        diff_range="0x01 attempt 1",
        security=False,
        reviewers=[GPT, CLAUDE, GEMINI],
        verdicts={GPT: "patch is incorrect", CLAUDE: "patch is correct"},
        blocking=True,
        findings=[nit, xss],
        run_id=run_id,
        task_id="0x01",
        attempt_id=attempt_id,
        dropped_outside_diff=2,
        failures=[REVIEW_FAILURE],
        not_reviewed=["src/huge.py: too large for one call"],
    )
    ranged = ReviewFinding(
        1, "Missing test for the & case", "No test covers 'a & b'.", None, None, None,
        "testing", 0.5, False, ((GPT, 1), (GEMINI, 2)),
    )  # fmt: skip
    range_review, (ranged_id,) = ledger.record_review(
        diff_range="main~1..main",
        security=True,
        reviewers=[GPT, GEMINI],
        verdicts={GPT: "patch is correct", GEMINI: "patch is correct"},
        blocking=False,
        findings=[ranged],
    )
    ledger.record_finding_feedback(xss_id, vote="down", why="looked harmless at first")
    ledger.record_finding_feedback(xss_id, vote="up", why=VOTE_WHY)  # the latest counts
    ledger.record_finding_feedback(nit_id, vote="down", why="false positive")
    if ledger.has_table("finding_proofs"):  # migration 3; older schemas have no proofs
        ledger.record_finding_proof(
            xss_id,
            reviewer=GPT,
            outcome="reproduced",
            test_path="tests/test_new.py",
            command="pytest -q tests/test_new.py",
            exit_code=1,
            output=PROOF_OUTPUT,
        )
    return RecordedReview(review, range_review, xss_id, nit_id, ranged_id)


_BUILT: dict[str, ReportProject] = {}


def built_project(factory: pytest.TempPathFactory) -> ReportProject:
    """The shared project (built on first use)."""
    if "project" not in _BUILT:
        _BUILT["project"] = _build(factory.mktemp("report"))
    return _BUILT["project"]
