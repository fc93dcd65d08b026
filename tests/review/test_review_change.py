"""`review_change` with reviewer models over real HTTP (the scripted model server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from review_support import (
    AFTER,
    ANTHROPIC,
    BEFORE,
    OPENAI,
    change,
    client,
    finding,
    output,
    reply,
    request_texts,
)

from helpers import Repo
from specloop.review import NO_VERDICT, ReviewBudget, ReviewResult, review_change
from specloop.testing import ScriptedModelServer

NUMBERED = "".join(f"line_{n} = {n}\n" for n in range(1, 31))


def review(
    repo: Repo,
    base: str,
    head: str,
    server: ScriptedModelServer,
    labels: tuple[str, ...] = (OPENAI,),
    **options: Any,
) -> ReviewResult:
    values: dict[str, Any] = {
        "task_text": None,
        "agents_text": "## Review guidelines\n\n- Never shell out with user input.",
        "spec_text": None,
        "security": False,
    }
    values.update(options)
    return review_change(
        repo=repo.root,
        base=base,
        head=head,
        reviewers=[client(server, label) for label in labels],
        **values,
    )


def simple_change(repo: Repo) -> tuple[str, str]:
    return change(repo, {"src/app.py": BEFORE}, {"src/app.py": AFTER})


def test_a_finding_in_the_diff_is_kept_with_the_prompt_holding_everything(repo: Repo) -> None:
    base, head = simple_change(repo)
    with ScriptedModelServer(
        [reply(output(finding(priority=0, title="[P0] Quote the path")))]
    ) as server:
        result = review(repo, base, head, server, task_text="## Objective\n\nLoad files.")
    (only,) = result.findings
    assert (only.path, only.line_start, only.priority, only.blocking) == ("src/app.py", 5, 0, True)
    assert only.reviewers == (OPENAI,) and result.blocking
    assert result.verdicts == {OPENAI: "patch is incorrect"}
    (text,) = request_texts(server)
    assert "Never shell out with user input." in text and "Load files." in text
    assert "     5 |+    os.system('cat ' + path)" in text
    assert "You are reviewer openai:gpt-4.1;" in text and "SECURITY review" not in text
    assert "[P0] Quote the path" in result.report([7]) and "F7" in result.report([7])


def test_prose_instead_of_json_is_repaired_then_blocks(repo: Repo) -> None:
    base, head = simple_change(repo)
    with ScriptedModelServer([{"reply": "The patch looks fine to me.", "repeat": True}]) as server:
        result = review(repo, base, head, server)
    assert len(server.requests) == 3  # the first answer and two repair rounds
    assert result.blocking and result.findings == []
    (failure,) = result.failures
    assert failure.startswith(f"{OPENAI}, part 1 of 1:") and "invalid output" in failure
    assert result.verdicts == {OPENAI: NO_VERDICT}
    assert "BLOCKED" in result.summary()


def test_a_failing_model_server_blocks_too(repo: Repo) -> None:
    base, head = simple_change(repo)
    with ScriptedModelServer([{"error": {"status": 500}, "repeat": True}]) as server:
        result = review(repo, base, head, server)
    assert result.blocking and "HTTP 500" in result.failures[0]


def test_findings_outside_the_diff_are_dropped_and_counted(repo: Repo) -> None:
    base, head = change(
        repo,
        {"src/app.py": NUMBERED},
        {"src/app.py": NUMBERED.replace("line_15 = 15", "line_15 = 0")},
    )
    answer = output(
        finding(start=15, end=16, category="correctness"),
        finding("[P2] Rename line_2", priority=2, start=2, end=3, category="maintainability"),
        finding("[P1] Fix other.py", path="src/other.py", start=1, end=2),
    )
    with ScriptedModelServer([reply(answer)]) as server:
        result = review(repo, base, head, server)
    assert [(f.path, f.line_start) for f in result.findings] == [("src/app.py", 15)]
    assert result.dropped_outside_diff == 2
    assert "2 dropped outside the diff" in result.summary()


def test_a_p0_with_an_empty_body_is_sent_back_and_the_repair_is_kept(repo: Repo) -> None:
    base, head = simple_change(repo)
    empty = finding("[P0] Quote the path", priority=0, body="")
    fixed = finding("[P0] Quote the path", priority=0, path=f"{repo.root}/src/app.py")
    with ScriptedModelServer([reply(output(empty)), reply(output(fixed))]) as server:
        result = review(repo, base, head, server)
    assert len(server.requests) == 2
    assert "body must explain" in request_texts(server)[1]
    (kept,) = result.findings
    assert kept.blocking and kept.path == "src/app.py"  # an absolute path is matched too


def test_two_reviewers_disagree_and_the_p1_rule_decides(repo: Repo) -> None:
    base, head = simple_change(repo)
    script = [
        reply(output(correct=True), reviewer=ANTHROPIC),
        reply(output(finding()), reviewer=OPENAI),
    ]
    with ScriptedModelServer(script) as server:
        result = review(repo, base, head, server, labels=(OPENAI, ANTHROPIC))
    assert result.verdicts == {OPENAI: "patch is incorrect", ANTHROPIC: "patch is correct"}
    (lonely,) = result.findings
    assert lonely.priority == 1 and not lonely.blocking and not result.blocking
    assert sorted(r.path for r in server.requests) == ["/v1/chat/completions", "/v1/messages"]


def test_two_reviewers_agreeing_on_a_p1_block(repo: Repo) -> None:
    base, head = simple_change(repo)
    script = [
        reply(output(finding(start=5, end=6)), reviewer=ANTHROPIC),
        reply(output(finding(start=4, end=5, title="[P1] Avoid os.system")), reviewer=OPENAI),
    ]
    with ScriptedModelServer(script) as server:
        result = review(repo, base, head, server, labels=(OPENAI, ANTHROPIC))
    (merged,) = result.findings
    assert merged.blocking and set(merged.reviewers) == {OPENAI, ANTHROPIC}
    assert (merged.line_start, merged.line_end) == (4, 6)


def test_an_empty_diff_makes_no_model_call(repo: Repo) -> None:
    base, _ = simple_change(repo)
    with ScriptedModelServer([]) as server:
        result = review(repo, base, base, server)
    assert server.requests == [] and not result.blocking and result.nothing_to_review
    assert result.summary().endswith("nothing to review (the diff is empty)")


def test_a_binary_file_is_listed_as_not_reviewed(repo: Repo) -> None:
    base, head = change(
        repo, {"src/app.py": BEFORE}, {"src/app.py": AFTER, "logo.png": b"\x89PNG\x00\x01"}
    )
    with ScriptedModelServer([reply(output())]) as server:
        result = review(repo, base, head, server)
    assert result.not_reviewed == ["logo.png: binary file, not reviewed"]
    assert result.reviewed_files == ["src/app.py"] and not result.blocking
    assert "logo.png" not in request_texts(server)[0]


def test_only_binary_files_is_nothing_to_review(repo: Repo) -> None:
    base, head = change(repo, {"a.txt": "a\n"}, {"logo.png": b"\x89PNG\x00"})
    with ScriptedModelServer([]) as server:
        result = review(repo, base, head, server)
    assert server.requests == [] and "only binary files changed" in result.summary()


def test_twenty_thousand_lines_are_chunked_and_the_rest_named(repo: Repo) -> None:
    big = "".join(f"value_{n:05d} = {n}\n" for n in range(1, 20_001))
    base, head = change(repo, {"README": "x\n"}, {"src/big.py": big})
    with ScriptedModelServer([reply(output(correct=True), repeat=True)]) as server:
        result = review(
            repo, base, head, server, budget=ReviewBudget(max_chunk_chars=60_000, max_chunks=8)
        )
    texts = request_texts(server)
    assert len(texts) == 8 == result.chunks
    assert all("(part " in t and " of 10)" in t for t in texts)
    assert not result.blocking and result.not_reviewed
    assert all("past the review budget of 8 calls" in item for item in result.not_reviewed)
    assert result.not_reviewed[-1].startswith("src/big.py lines ")
    assert result.not_reviewed[-1].split(":")[0].endswith("-20000")
    assert "not reviewed" in result.summary()


def test_security_mode_sends_the_threat_model_and_asks_for_mitigations(repo: Repo) -> None:
    base, head = simple_change(repo)
    bare = finding()
    complete = finding(attack_vector="path = 'x; rm -rf ~'", mitigation="subprocess.run([...])")
    with ScriptedModelServer([reply(output(bare)), reply(output(complete))]) as server:
        result = review(repo, base, head, server, security=True, spec_text="Users are hostile.")
    first = request_texts(server)[0]
    assert "SECURITY review" in first and "Users are hostile." in first
    assert "a security finding needs a non-empty attack_vector" in request_texts(server)[1]
    (only,) = result.findings
    assert "Attack vector: path = 'x; rm -rf ~'" in only.body and "Mitigation:" in only.body
    assert result.security


def test_no_reviewer_fails_closed(repo: Repo) -> None:
    base, head = simple_change(repo)
    result = review_change(
        repo=repo.root,
        base=base,
        head=head,
        reviewers=[],
        task_text=None,
        agents_text="",
        spec_text=None,
        security=False,
    )
    assert result.blocking and "roles.reviewers" in result.failures[0]


def test_review_result_json_is_complete(tmp_path: Path) -> None:
    result = ReviewResult(diff_range="a..b", security=False)
    data = result.as_json()
    assert data["blocking"] is False and data["findings"] == [] and data["range"] == "a..b"
