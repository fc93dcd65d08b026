"""`specloop review`, `review feedback` and `review stats` as users run them, with two
reviewer models (OpenAI and Anthropic wires) on the scripted model server over HTTP."""

from __future__ import annotations

import json
import sqlite3

from review_support import (
    AFTER,
    ANTHROPIC,
    BEFORE,
    ENV,
    KEY,
    OPENAI,
    change,
    finding,
    ledger_path,
    output,
    reply,
    request_texts,
    write_config,
)

from helpers import Repo, git, run_specloop
from specloop.ledger import Ledger
from specloop.testing import ScriptedModelServer

P0 = finding("[P0] Do not pass the path to a shell", priority=0)


def setup(repo: Repo, server: ScriptedModelServer, **config: object) -> tuple[str, str]:
    write_config(repo, server, **config)  # type: ignore[arg-type]
    repo.write("AGENTS.md", "# Rules\n\n## Review guidelines\n\n- Flag every shell call.\n")
    return change(repo, {"src/app.py": BEFORE}, {"src/app.py": AFTER})


def test_two_reviewers_a_blocking_p0_then_feedback_and_stats(repo: Repo) -> None:
    script = [
        reply(output(P0), reviewer=OPENAI),
        reply(
            output(
                finding(start=4, end=5),
                finding(
                    "[P3] Add a docstring", priority=3, start=1, end=1, category="maintainability"
                ),
            ),
            reviewer=ANTHROPIC,
        ),
    ]
    with ScriptedModelServer(script) as server:
        base, head = setup(repo, server)
        result = run_specloop("review", f"{base}..{head}", cwd=repo.root, env=ENV)
        texts = request_texts(server)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr and KEY not in result.stdout + result.stderr
    assert f"reviewing {base}..{head} with {OPENAI}, {ANTHROPIC}" in result.stderr
    first = result.stdout.splitlines()[1]
    assert first.startswith("- F1 [P0] Do not pass the path to a shell at src/app.py:4-5")
    assert "BLOCKING" in first and f"{ANTHROPIC}, {OPENAI}" in first
    assert "- F2 [P3] Add a docstring at src/app.py:1" in result.stdout
    assert all("Flag every shell call." in text for text in texts) and len(texts) == 2

    with Ledger.open(ledger_path(repo)) as ledger:
        assert ledger.review_finding(1) is not None and ledger.review_finding(3) is None
    assert KEY.encode() not in ledger_path(repo).read_bytes()

    up = run_specloop("review", "feedback", "F1", "up", "--why", "real injection", cwd=repo.root)
    assert (up.code, up.stdout.strip()) == (
        0,
        "F1: up recorded ([P0] Do not pass the path to a shell)",
    )
    assert run_specloop("review", "feedback", "f2", "down", cwd=repo.root).code == 0
    stats = run_specloop("review", "stats", "--json", cwd=repo.root)
    rows = {r["reviewer"]: r for r in json.loads(stats.stdout)["reviewers"]}
    assert rows[OPENAI] == {
        "reviewer": OPENAI,
        "findings": 1,
        "confirmed": 1,
        "rejected": 0,
        "precision": 1.0,
    }
    assert rows[ANTHROPIC]["findings"] == 2 and rows[ANTHROPIC]["precision"] == 0.5
    table = run_specloop("review", "stats", cwd=repo.root).stdout
    assert "precision" in table and "0.50" in table


def test_json_output_and_a_clean_review_exits_0(repo: Repo) -> None:
    script = [
        reply(output(correct=True), reviewer=OPENAI),
        reply(output(correct=True), reviewer=ANTHROPIC),
    ]
    with ScriptedModelServer(script) as server:
        setup(repo, server)
        result = run_specloop("review", "HEAD~1..HEAD", "--json", cwd=repo.root, env=ENV)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["blocking"] is False and data["findings"] == [] and data["range"] == "HEAD~1..HEAD"
    assert data["verdicts"] == {OPENAI: "patch is correct", ANTHROPIC: "patch is correct"}
    assert isinstance(data["review_id"], int) and result.stderr == ""


def test_unparseable_reviewer_output_exits_1_and_says_why(repo: Repo) -> None:
    script = [
        {
            "reply": "LGTM, ship it!",
            "repeat": True,
            "when": {"contains": f"You are reviewer {OPENAI};"},
        },
        reply(output(correct=True), reviewer=ANTHROPIC),
    ]
    with ScriptedModelServer(script) as server:
        base, head = setup(repo, server)
        result = run_specloop("review", f"{base}..{head}", cwd=repo.root, env=ENV)
    assert result.code == 1
    assert "Reviewers whose output was unusable" in result.stdout
    assert f"{OPENAI}, part 1 of 1:" in result.stdout and "BLOCKED" in result.stdout


def test_the_default_range_is_the_runs_base_to_the_base_branch(repo: Repo) -> None:
    with ScriptedModelServer([reply(output(correct=True), repeat=True)]) as server:
        base, _ = setup(repo, server)
        branch = git(repo.root, "branch", "--show-current").strip()
        with Ledger.open(ledger_path(repo)) as ledger:
            ledger.start_run(base_ref=branch, base_sha=base)
        result = run_specloop("review", "--json", cwd=repo.root, env=ENV)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["range"] == f"{base[:12]}..{branch}"
    assert "src/app.py" in request_texts(server)[0]
    conn = sqlite3.connect(ledger_path(repo))
    assert conn.execute("SELECT run_id, attempt_id FROM reviews").fetchall() == [(1, None)]
    assert conn.execute(
        "SELECT count(*) FROM usage WHERE stage = 'review' AND run_id = 1"
    ).fetchone() == (2,)


def test_security_mode_sends_the_spec_threat_model(repo: Repo) -> None:
    fixed = finding(attack_vector="a path with ; in it", mitigation="pass an argument list")
    with ScriptedModelServer([reply(output(fixed), repeat=True)]) as server:
        base, head = setup(repo, server, reviewers=(OPENAI,))
        repo.write(
            "SPEC.md",
            "# X\n\n## Threat model\n\nFile names come from strangers.\n\n## Non-goals\n\n- none\n",
        )
        result = run_specloop("review", f"{base}..{head}", "--security", cwd=repo.root, env=ENV)
        (text,) = request_texts(server)
    assert "File names come from strangers." in text and "SECURITY review" in text
    assert "Attack vector: a path with ; in it" in result.stdout
    assert result.code == 1  # a single reviewer's P1 blocks


def test_an_empty_range_says_nothing_to_review_without_a_model_call(repo: Repo) -> None:
    with ScriptedModelServer([]) as server:
        _, head = setup(repo, server)
        result = run_specloop("review", f"{head}..{head}", cwd=repo.root, env=ENV)
        assert server.requests == []
    assert result.code == 0 and "nothing to review (the diff is empty)" in result.stdout


def test_bad_ranges_exit_2_naming_the_range(repo: Repo) -> None:
    with ScriptedModelServer([]) as server:
        setup(repo, server)
        for bad in ("main", "nope..HEAD", "a..b..c"):
            result = run_specloop("review", bad, cwd=repo.root, env=ENV)
            assert result.code == 2, bad
            assert f"bad range {bad!r}" in result.stderr and "Traceback" not in result.stderr
        no_run = run_specloop("review", cwd=repo.root, env=ENV)
        assert no_run.code == 2 and "give one, e.g. main..HEAD" in no_run.stderr
        assert server.requests == []


def test_no_reviewer_configured_exits_3_naming_the_setting(repo: Repo) -> None:
    result = run_specloop("review", "HEAD~1..HEAD", cwd=repo.root, env={"OPENAI_API_KEY": ""})
    assert result.code == 3
    assert "roles.reviewers" in result.stderr and "SPECLOOP_ROLES_REVIEWERS" in result.stderr
    with ScriptedModelServer([]) as server:
        setup(repo, server)
        missing_key = run_specloop(
            "review",
            "HEAD~1..HEAD",
            cwd=repo.root,
            env={"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""},
        )
    assert missing_key.code == 3 and "OPENAI_API_KEY" in missing_key.stderr


def test_feedback_bad_input_exits_2(repo: Repo) -> None:
    cases = [
        (("review", "feedback", "X1", "up"), "bad finding id 'X1'"),
        (("review", "feedback", "F1", "maybe"), "bad vote 'maybe' for F1"),
        (("review", "feedback", "F9", "up"), "unknown finding F9"),
    ]
    for args, message in cases:
        result = run_specloop(*args, cwd=repo.root)
        assert result.code == 2 and message in result.stderr, args
        assert "Traceback" not in result.stderr
    empty = run_specloop("review", "stats", cwd=repo.root)
    assert (empty.code, empty.stdout.strip()) == (0, "no review findings recorded yet")
