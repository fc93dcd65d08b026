"""`specloop spec/agents/tasks/demo/fake-model` as users run them, against the scripted
model server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Repo
from helpers import run_specloop
from specloop.testing import ScriptedModelServer

DEMO = Path(str(resources.files("specloop.engine").joinpath("demo")))


def planner_env(server: ScriptedModelServer) -> dict[str, str]:
    return {
        "SPECLOOP_ROLES_PLANNER": "openai:scripted",
        "SPECLOOP_PROVIDERS_OPENAI_BASE_URL": server.openai_base_url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key-0123456789abcdef",
    }


@pytest.fixture
def demo_server() -> Iterator[ScriptedModelServer]:
    steps = yaml.safe_load((DEMO / "script.yaml").read_text())
    with ScriptedModelServer(steps) as server:
        yield server


def spec_step(**extra: Any) -> dict[str, Any]:
    steps = yaml.safe_load((DEMO / "script.yaml").read_text())
    final = next(s for s in steps if "answered" in s["when"]["contains"])
    return {"tool_call": final["tool_call"], **extra}


def test_no_model_configured_exits_3_and_says_how(repo: Repo) -> None:
    result = run_specloop(
        "spec",
        "a todo app",
        "--yes",
        cwd=repo.root,
        env={"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""},
    )
    assert result.code == 3
    message = result.stderr
    assert (
        "roles.planner" in message
        and "SPECLOOP_ROLES_PLANNER" in message
        and "specloop demo" in message
    )
    assert "Traceback" not in message
    assert not (repo.root / ".specloop").exists() and not (repo.root / "SPEC.md").exists()


def test_the_three_stages_over_http_produce_a_project_that_lints_clean(
    repo: Repo, demo_server: ScriptedModelServer
) -> None:
    env = planner_env(demo_server)
    spec = run_specloop(
        "spec",
        "--from",
        str(DEMO / "idea.md"),
        "--answers",
        str(DEMO / "answers.yaml"),
        "--yes",
        cwd=repo.root,
        env=env,
    )
    assert spec.code == 0, spec.stderr
    assert "the planner asks 2 questions" in spec.stdout and "wrote SPEC.md" in spec.stdout
    assert run_specloop("agents", "--yes", cwd=repo.root, env=env).code == 0
    tasks = run_specloop("tasks", "--yes", cwd=repo.root, env=env)
    assert tasks.code == 0, tasks.stderr
    assert "+1 repair round" in tasks.stdout
    lint = run_specloop("lint", "--strict", cwd=repo.root, env=env)
    assert lint.code == 0, lint.stdout
    assert len(list((repo.root / "tasks").glob("0x*.md"))) == 8
    assert [r.path for r in demo_server.requests] == ["/v1/chat/completions"] * 5
    ledger_text = (repo.root / ".specloop" / "state" / "ledger.db").read_bytes()
    assert env["OPENAI_API_KEY"].encode() not in ledger_text
    status = json.loads(run_specloop("status", "--json", cwd=repo.root).stdout)
    assert [t["state"] for t in status["tasks"]].count("ready") == 1


def test_429_then_success(repo: Repo) -> None:
    with ScriptedModelServer(
        [{"error": {"status": 429, "headers": {"Retry-After": "0"}}}, spec_step()]
    ) as server:
        result = run_specloop("spec", "readlog", "--yes", cwd=repo.root, env=planner_env(server))
        assert result.code == 0, result.stderr
        assert [r.status for r in server.requests] == [429, 200]


def test_500_forever_is_bounded_and_clear(repo: Repo) -> None:
    with ScriptedModelServer(
        [{"error": {"status": 500, "headers": {"Retry-After": "0"}}, "repeat": True}]
    ) as server:
        result = run_specloop("spec", "readlog", "--yes", cwd=repo.root, env=planner_env(server))
        assert result.code == 1
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "spec" in result.stderr and "500" in result.stderr
        assert "sk-test" not in result.stderr
        assert 2 <= len(server.requests) <= 6
    assert not (repo.root / "SPEC.md").exists()


def test_an_empty_idea_and_a_missing_gate_answer_exit_2(
    repo: Repo, demo_server: ScriptedModelServer
) -> None:
    env = planner_env(demo_server)
    empty = run_specloop("spec", "  ", "--yes", cwd=repo.root, env=env)
    assert (empty.code, empty.stderr.strip()) == (
        2,
        'specloop: the idea is empty: say what to build, e.g. specloop spec "a CLI that ..."',
    )
    no_tty = run_specloop("spec", "readlog", cwd=repo.root, env=env)
    assert no_tty.code == 2 and "pass --yes" in no_tty.stderr
    assert demo_server.requests == []


def test_ctrl_c_during_a_stage_leaves_nothing_half_written(repo: Repo) -> None:
    with ScriptedModelServer([{"delay": 30}, spec_step()]) as server:
        env = {**os.environ, **planner_env(server)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "specloop", "spec", "readlog", "--yes"],
            cwd=repo.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, "")
        assert any(
            line.startswith("spec: drafting SPEC.md") for line in lines
        )  # now waiting on the model
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "specloop: interrupted"
    assert not (repo.root / "SPEC.md").exists()
    assert not [p for p in repo.root.iterdir() if p.name.endswith(".tmp")]


def test_demo_runs_without_a_key_and_says_the_model_is_scripted(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = run_specloop(
        "demo",
        "--dir",
        str(target),
        cwd=tmp_path,
        env={"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""},
    )
    assert result.code == 0, result.stderr
    assert "the planner model is SCRIPTED" in result.stdout.replace("\n", " ")
    assert "0 errors, 0 warnings on the generated files" in result.stdout
    assert (target / "SPEC.md").exists() and (target / "AGENTS.md").exists()
    assert len(list((target / "tasks").glob("*.md"))) == 8
    assert "8 of 8 tasks verified and merged" in result.stdout
    log = (
        (target / ".specloop" / "state" / "scripted-model-requests.jsonl").read_text().splitlines()
    )
    assert len(log) == 5 + 2 * 8  # planning, then two turns of the builtin agent per task
    status = subprocess.run(
        ["git", "-C", str(target), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == ""
    tests = subprocess.run(
        [sys.executable, "-m", "unittest"], cwd=target, capture_output=True, text=True
    )
    assert tests.returncode == 0, tests.stderr
    again = run_specloop("demo", "--dir", str(target), cwd=tmp_path)
    assert again.code == 2 and "is not empty" in again.stderr


def test_fake_model_from_the_shell(tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    script.write_text("- reply: hello from the script\n")
    log = tmp_path / "requests.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specloop",
            "fake-model",
            "--script",
            str(script),
            "--log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
        request = urllib.request.Request(
            base + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.load(response)
        assert reply["choices"][0]["message"]["content"] == "hello from the script"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert len(log.read_text().splitlines()) == 1


def test_fake_model_with_a_bad_script_exits_2(tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    script.write_text("- reply: a\n  error: {status: 500}\n")
    result = run_specloop("fake-model", "--script", str(script), cwd=tmp_path)
    assert result.code == 2 and "step 1" in result.stderr and "Traceback" not in result.stderr


def test_a_hung_model_server_times_out_with_a_clear_error(repo: Repo) -> None:
    with ScriptedModelServer(
        [{"delay": 10, **spec_step()}, {"delay": 10, **spec_step()}]
    ) as server:
        env = {
            **planner_env(server),
            "SPECLOOP_MODELS_TIMEOUT": "1",
            "SPECLOOP_MODELS_MAX_RETRIES": "0",
        }
        started = time.monotonic()
        result = run_specloop("spec", "readlog", "--yes", cwd=repo.root, env=env)
        elapsed = time.monotonic() - started
    assert result.code == 1
    assert (
        "timed out" in result.stderr
        and "spec" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert elapsed < 8
    assert not (repo.root / "SPEC.md").exists()
