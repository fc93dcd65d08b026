"""`specloop run --review`: each attempt that passed its checks is reviewed before its
gate, through the real CLI, with one reviewer model on the scripted server over HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from review_support import KEY, OPENAI, finding, output, reply
from run_project import RunProject, git, new_project

from specloop.testing import ScriptedModelServer

SHELL_CALL = "import os\n\n\ndef hello():\n    os.system('echo hi')\n    return 'hi'\n"
P0 = finding("[P0] Do not run a shell for a greeting", priority=0, start=5, end=5)


def _project(tmp_path: Path, server: ScriptedModelServer, autonomy: str = "verified") -> RunProject:
    p = new_project(tmp_path, autonomy)
    config = p.root / ".specloop" / "config.toml"
    config.write_text(
        config.read_text()
        + f'\n[roles]\nreviewers = ["{OPENAI}"]\n\n'
        + f'[providers.openai]\nbase_url = "{server.openai_base_url}"\n\n'
        + "[models]\nmax_retries = 0\n"
    )
    p.task("0x01", files=("src/app.py",), criteria=("`grep -q os.system src/app.py` passes",))
    p.commit("task and reviewers")
    return p


def _agent(p: RunProject) -> str:
    return p.agent("shell", f"cat > src/app.py <<'EOF'\n{SHELL_CALL}EOF\n")


def _reviews(p: RunProject) -> list[tuple[object, ...]]:
    uri = f"file:{p.root / '.specloop' / 'state' / 'ledger.db'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        return conn.execute(
            "SELECT task_id, attempt_id, blocking, range FROM reviews ORDER BY id"
        ).fetchall()


def test_a_blocking_finding_stops_the_merge_under_verified(tmp_path: Path) -> None:
    with ScriptedModelServer([reply(output(P0))]) as server:
        p = _project(tmp_path, server)
        result = p.specloop("run", "--executor", _agent(p), "--review", env={"OPENAI_API_KEY": KEY})
        requests = len(server.requests)

    assert result.code == 1, result.stderr
    status = p.status()["0x01"]
    assert status["state"] == "failed"
    assert "review" in status["reason"]
    assert "os.system" not in p.show("src/app.py")  # nothing merged
    assert requests == 1
    assert _reviews(p) == [("0x01", 1, 1, "0x01 attempt 1")]
    assert "[P0] Do not run a shell for a greeting" in result.stdout


def test_a_clean_review_lets_the_attempt_merge(tmp_path: Path) -> None:
    with ScriptedModelServer([reply(output())]) as server:
        p = _project(tmp_path, server)
        result = p.specloop("run", "--executor", _agent(p), "--review", env={"OPENAI_API_KEY": KEY})

    assert result.code == 0, result.stderr
    assert p.status()["0x01"]["state"] == "merged"
    assert "os.system" in p.show("src/app.py")
    assert _reviews(p) == [("0x01", 1, 0, "0x01 attempt 1")]


def test_under_full_the_findings_are_the_next_attempts_feedback(tmp_path: Path) -> None:
    # Attempt 1 is reviewed with a P0; attempt 2 (handed the finding) passes review.
    script = [reply(output(P0)), reply(output())]
    with ScriptedModelServer(script) as server:
        p = _project(tmp_path, server, autonomy="full")
        config = p.root / ".specloop" / "config.toml"
        config.write_text(config.read_text().replace("max_attempts = 1", "max_attempts = 2"))
        p.commit("two attempts")
        result = p.specloop("run", "--executor", _agent(p), "--review", env={"OPENAI_API_KEY": KEY})

    assert result.code == 0, result.stderr
    assert p.status()["0x01"]["state"] == "merged"
    handover = p.root / ".specloop" / "state" / "handovers" / "0x01-attempt-2.md"
    assert "[P0] Do not run a shell for a greeting" in handover.read_text()
    assert [row[2] for row in _reviews(p)] == [1, 0]


def test_an_unusable_reviewer_blocks_fail_closed(tmp_path: Path) -> None:
    prose = {"reply": "Looks fine to me!", "repeat": True}
    with ScriptedModelServer([prose]) as server:
        p = _project(tmp_path, server)
        result = p.specloop("run", "--executor", _agent(p), "--review", env={"OPENAI_API_KEY": KEY})

    assert result.code == 1, result.stderr
    assert p.status()["0x01"]["state"] == "failed"
    assert "os.system" not in p.show("src/app.py")


def test_review_without_a_reviewer_exits_3_before_running(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=("src/app.py",), criteria=("`grep -q os.system src/app.py` passes",))
    p.commit("task")
    result = p.specloop("run", "--executor", _agent(p), "--review")

    assert result.code == 3
    assert "roles.reviewers" in result.stderr or "SPECLOOP_ROLES_REVIEWERS" in result.stderr
    assert git(p.root, "branch", "--list", "specloop/*") == ""


def test_best_of_prefers_the_attempt_without_blocking_findings(tmp_path: Path) -> None:
    # Attempt 1 has the smaller diff but a P0; attempt 2 is bigger and reviewed clean.
    script = [
        {
            **reply(
                output(
                    {
                        **P0,
                        "code_location": {
                            "file_path": "src/app.py",
                            "line_range": {"start": 2, "end": 2},
                        },
                    }
                )
            ),
            "when": {"contains": "echo one"},
        },
        {**reply(output()), "when": {"contains": "echo two"}},
    ]
    with ScriptedModelServer(script) as server:
        p = _project(tmp_path, server)
        agent = p.agent(
            "two-ways",
            'if [ "$SPECLOOP_ATTEMPT" = 1 ]; then\n'
            "  printf 'import os\\nos.system(\"echo one\")\\n' > src/app.py\n"
            "else\n"
            '  printf \'import os\\n\\n\\ndef hello():\\n    os.system("echo two")\\n'
            '    return "hi"\\n\' > src/app.py\n'
            "fi\n",
        )
        result = p.specloop(
            "run", "--executor", agent, "--review", "--best-of", "2", env={"OPENAI_API_KEY": KEY}
        )

    assert result.code == 0, result.stdout + result.stderr
    assert "echo two" in p.show("src/app.py"), result.stdout
    assert "fewer blocking review findings" in result.stdout
    assert sorted(row[1] for row in _reviews(p)) == [1, 2]
