"""`specloop review --security --prove`: a blocking security finding's reviewer proposes a
failing test; specloop runs it in the sandbox on a pool worktree of the change's head.

Through the real CLI with the scripted model server over HTTP, like test_review_cli.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from review_support import (
    AFTER,
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
from specloop.engine._proving import ERROR, NOT_REPRODUCED, REPRODUCED, judge, write_new_file
from specloop.review import ProofOutput, path_problems, proof_problems
from specloop.sandbox import ProcessResult
from specloop.testing import ScriptedModelServer

P0 = finding(
    "[P0] Do not pass the path to a shell",
    priority=0,
    attack_vector="an attacker names a file 'x; touch pwned' and load runs the command",
    mitigation="read the file with open() only; never call os.system",
)
PROOF_REQUEST = f"This is a proof request for reviewer {OPENAI}."
TEST_PATH = "tests/test_exploit_shell.py"
COMMAND = f"python3 -m unittest {TEST_PATH}"

# Fails on the vulnerable head: load() runs `touch` through the shell.
EXPLOIT = """\
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
from app import load


class ShellInjection(unittest.TestCase):
    def test_a_file_name_cannot_run_a_command(self):
        marker = os.path.join(tempfile.mkdtemp(), "pwned")
        try:
            load("x; touch " + marker)
        except OSError:
            pass
        self.assertFalse(os.path.exists(marker), "the file name ran a shell command")


if __name__ == "__main__":
    unittest.main()
"""

# Passes on the head: it never attacks anything.
HARMLESS = """\
import unittest


class Nothing(unittest.TestCase):
    def test_nothing(self):
        self.assertTrue(True)
"""


def proof(code: str = EXPLOIT, path: str = TEST_PATH, command: str = COMMAND) -> dict[str, Any]:
    return {"test_path": path, "test_code": code, "command": command, "expected": "fails"}


def prove_reply(answer: dict[str, Any]) -> dict[str, Any]:
    step = reply(answer)
    step["when"] = {"contains": PROOF_REQUEST}
    return step


def setup(repo: Repo, server: ScriptedModelServer) -> tuple[str, str]:
    write_config(repo, server, reviewers=(OPENAI,))
    repo.write("SPEC.md", "# X\n\n## Threat model\n\nFile names come from strangers.\n")
    return change(repo, {"src/app.py": BEFORE}, {"src/app.py": AFTER})


def review(repo: Repo, base: str, head: str, *extra: str) -> Any:
    return run_specloop(
        "review", f"{base}..{head}", "--security", "--prove", *extra, cwd=repo.root, env=ENV
    )


def proofs(repo: Repo) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(ledger_path(repo))
    try:
        return conn.execute(
            "SELECT finding_id, reviewer, test_path, command, exit_code, outcome FROM finding_proofs"
        ).fetchall()
    finally:
        conn.close()


def assert_user_checkout_untouched(repo: Repo, head: str) -> None:
    assert git(repo.root, "rev-parse", "HEAD").strip() == head
    assert git(repo.root, "status", "--porcelain").strip() == ""
    assert not (repo.root / TEST_PATH).exists() and not (repo.root / "tests").exists()
    assert git(repo.root, "branch", "--list", "specloop/*").strip() == ""


def test_a_test_that_fails_on_the_change_marks_the_finding_reproduced(repo: Repo) -> None:
    script = [reply(output(P0), reviewer=OPENAI), prove_reply(proof())]
    with ScriptedModelServer(script) as server:
        base, head = setup(repo, server)
        result = review(repo, base, head)
        texts = request_texts(server)
    assert result.code == 1, result.stderr  # still blocking: a proof is evidence, not a gate
    assert "Traceback" not in result.stderr and KEY not in result.stdout + result.stderr
    assert "proving 1 blocking security finding with a test" in result.stderr
    assert "- F1 REPRODUCED: the test failed on the change as predicted (exit 1)" in result.stdout
    assert f"test {TEST_PATH} by {OPENAI}, run as: {COMMAND}" in result.stdout
    assert "the file name ran a shell command" in result.stdout  # the test's own output
    prove_text = texts[1]
    assert "File names come from strangers." in prove_text
    assert "os.system('cat ' + path)" in prove_text and "- src/app.py" in prove_text
    (row,) = proofs(repo)
    assert row == (1, OPENAI, TEST_PATH, COMMAND, 1, REPRODUCED)
    assert_user_checkout_untouched(repo, head)
    conn = sqlite3.connect(ledger_path(repo))
    stages = conn.execute("SELECT stage FROM usage ORDER BY id").fetchall()
    assert stages == [("review",), ("review.prove",)]


def test_json_output_and_a_passing_test_is_not_reproduced(repo: Repo) -> None:
    script = [reply(output(P0), reviewer=OPENAI), prove_reply(proof(HARMLESS))]
    with ScriptedModelServer(script) as server:
        base, head = setup(repo, server)
        result = review(repo, base, head, "--json")
    assert result.code == 1 and result.stderr == "", result.stderr
    (data,) = json.loads(result.stdout)["findings"]
    assert data["blocking"] is True and data["reproduced"] is False
    assert data["proof"]["outcome"] == NOT_REPRODUCED and data["proof"]["exit_code"] == 0
    assert data["proof"]["test_path"] == TEST_PATH
    assert proofs(repo) == [(1, OPENAI, TEST_PATH, COMMAND, 0, NOT_REPRODUCED)]
    assert_user_checkout_untouched(repo, head)


def test_an_unparseable_proof_answer_is_an_error_and_the_finding_keeps_blocking(
    repo: Repo,
) -> None:
    script = [
        reply(output(P0), reviewer=OPENAI),
        {
            "reply": "I would rather not write a test.",
            "repeat": True,
            "when": {"contains": PROOF_REQUEST},
        },
    ]
    with ScriptedModelServer(script) as server:
        base, head = setup(repo, server)
        result = review(repo, base, head, "--json")
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    (found,) = data["findings"]
    assert data["blocking"] is True and found["blocking"] is True
    assert found["reproduced"] is False and found["proof"]["outcome"] == ERROR
    assert found["proof"]["reason"].startswith(f"no usable test from {OPENAI}:")
    assert proofs(repo) == [(1, OPENAI, None, None, None, ERROR)]
    assert_user_checkout_untouched(repo, head)


def test_a_path_outside_the_repo_or_an_existing_file_is_sent_back_for_repair(
    repo: Repo,
) -> None:
    script = [
        reply(output(P0), reviewer=OPENAI),
        prove_reply(proof(path="../escape.py", command="python3 -m unittest ../escape.py")),
        prove_reply(proof(path="src/app.py", command="python3 -m unittest src/app.py")),
        prove_reply(proof()),
    ]
    with ScriptedModelServer(script) as server:
        base, head = setup(repo, server)
        result = review(repo, base, head)
        texts = request_texts(server)
    assert result.code == 1, result.stderr
    assert "- F1 REPRODUCED:" in result.stdout
    assert any("no '..'" in text for text in texts)
    assert any("'src/app.py' already exists" in text for text in texts)
    assert not (repo.root.parent / "escape.py").exists()
    assert git(repo.root, "show", "HEAD:src/app.py") == AFTER  # never overwritten
    assert [row[-1] for row in proofs(repo)] == [REPRODUCED]
    assert_user_checkout_untouched(repo, head)


def test_only_blocking_security_findings_are_proven(repo: Repo) -> None:
    minor = finding(
        "[P3] Name the helper better", priority=3, start=1, end=1, category="maintainability"
    )
    with ScriptedModelServer([reply(output(minor), reviewer=OPENAI)]) as server:
        base, head = setup(repo, server)
        result = review(repo, base, head)
        assert len(server.requests) == 1  # no proof request
    assert result.code == 0, result.stderr
    assert "Proofs: no blocking security finding to prove." in result.stdout
    assert proofs(repo) == []


def test_prove_without_security_exits_2(repo: Repo) -> None:
    with ScriptedModelServer([]) as server:
        base, head = setup(repo, server)
        result = run_specloop("review", f"{base}..{head}", "--prove", cwd=repo.root, env=ENV)
        assert server.requests == []
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "--prove needs --security" in result.stderr


# -- the pieces, directly ------------------------------------------------------------------

EXISTING = frozenset({"src/app.py", "tests/test_app.py", "README.md"})


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../x.py", "no '..'"),
        ("tests/../../x.py", "no '..'"),
        ("/tmp/x.py", "not absolute"),
        ("C:/x.py", "not absolute"),
        ("tests\\x.py", "not absolute"),
        ("src/app.py", "already exists"),
        ("src", "existing directory"),
        ("src/app.py/x.py", "which is a file"),
        (".git/hooks/pre-commit", "inside .git"),
        ("tests/x y.py", "may only use"),
        ("", "empty"),
        ("./x.py", "no '..'"),
    ],
)
def test_bad_test_paths_are_rejected(path: str, why: str) -> None:
    (problem,) = path_problems(path, EXISTING)
    assert why in problem


def test_a_good_proof_has_no_problems_and_the_command_must_run_the_test() -> None:
    good = ProofOutput.model_validate(proof())
    assert proof_problems(good, EXISTING) == []
    module = ProofOutput.model_validate(
        proof(command="python3 -m unittest tests.test_exploit_shell")
    )
    assert proof_problems(module, EXISTING) == []
    unrelated = ProofOutput.model_validate(proof(command="false"))
    (problem,) = proof_problems(unrelated, EXISTING)
    assert "must run the test file" in problem
    empty = ProofOutput.model_validate(proof(code="  "))
    assert proof_problems(empty, EXISTING) == ["test_code is empty: give the whole test file"]


def test_write_new_file_refuses_symlinks_and_existing_files(tmp_path: Path) -> None:
    root, outside = tmp_path / "wt", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(ValueError, match="symlink"):
        write_new_file(root, "link/x.py", "x")
    assert list(outside.iterdir()) == []
    write_new_file(root, "a/b/t.py", "t")
    assert (root / "a/b/t.py").read_text() == "t"
    with pytest.raises(FileExistsError):
        write_new_file(root, "a/b/t.py", "again")
    (root / "dangling").symlink_to(outside / "made.py")
    with pytest.raises(ValueError, match="outside the worktree"):
        write_new_file(root, "dangling", "x")
    assert not (outside / "made.py").exists()


def _ran(exit_code: int | None, timed_out: bool = False) -> ProcessResult:
    return ProcessResult(exit_code, "", timed_out, 5, False, 0)


def test_judge_fails_closed_on_anything_but_a_clean_exit_code() -> None:
    assert judge(_ran(1), 120)[0] == REPRODUCED
    assert judge(_ran(0), 120)[0] == NOT_REPRODUCED
    assert judge(_ran(None, timed_out=True), 120) == (
        ERROR,
        "the test did not finish within 120 s",
    )
    assert judge(_ran(127), 120)[0] == ERROR
    assert judge(_ran(126), 120)[0] == ERROR
    assert judge(_ran(-9), 120)[0] == ERROR
