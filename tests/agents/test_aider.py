"""The aider executor: its reading of Aider's output, its command line, and real runs.

The unit tests read text captured from aider-chat 0.86.2 and need nothing installed.
The integration tests run the real `specloop run --executor aider` on a committed
project, with the real Aider talking to the scripted model server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aider_support import (
    BANNER,
    EMPTY_REPLY_OUTPUT,
    HTTP_400_OUTPUT,
    HTTP_500_OUTPUT,
    KEY,
    MODEL,
    NO_MATCH_OUTPUT,
    RETRIED_OUTPUT,
    SUCCESS_ANALYTICS,
    SUCCESS_LLM_HISTORY,
    SUCCESS_OUTPUT,
    SUCCESS_REPLY,
    aider_project,
    git,
    openai_provider,
)

from agents_support import path_with_agents, require_agent
from helpers import Repo, make_task
from specloop.artifacts import parse_task
from specloop.config import load_config
from specloop.executors import ExecutorUnavailable
from specloop.executors._agentcli import AGENT_FILE_EVENT, AGENT_MESSAGE_EVENT
from specloop.executors._aider import (
    _LAUNCHER,
    AiderExecutor,
    _launcher,
    _write_home,
    aider_args,
    aider_env,
    editable_files,
    read_trace,
)
from specloop.models import ModelSpec, NoModelConfigured, PriceTable
from specloop.testing import ScriptedModelServer

# --- reading captured output -------------------------------------------------------------


def test_a_successful_run_gives_the_reply_the_edit_and_exact_usage() -> None:
    trace = read_trace(SUCCESS_OUTPUT, llm_history=SUCCESS_LLM_HISTORY, usage_log=SUCCESS_ANALYTICS)
    assert trace.error is None
    # The prompt's example exchange (ASSISTANT lines under TO LLM) is not a reply.
    assert trace.events == [
        (AGENT_MESSAGE_EVENT, {"text": SUCCESS_REPLY}),
        (AGENT_FILE_EVENT, {"path": "src/hello.py", "kind": "add"}),
    ]
    assert trace.final_message == SUCCESS_REPLY
    # The analytics log's numbers, not the console's rounded "1.9k".
    assert (trace.input_tokens, trace.cached_tokens, trace.output_tokens) == (1918, 0, 33)
    assert trace.cost_usd == pytest.approx(0.0041)


def test_without_the_logs_the_console_lines_give_the_usage() -> None:
    trace = read_trace(SUCCESS_OUTPUT, existing={"src/hello.py"})
    assert trace.error is None  # the Tokens line shows a reply came
    assert trace.events == [(AGENT_FILE_EVENT, {"path": "src/hello.py", "kind": "update"})]
    assert (trace.input_tokens, trace.output_tokens) == (1900, 33)
    assert trace.cost_usd == pytest.approx(0.0041)


def test_k_and_m_counts_and_cache_hits_add_up_over_messages() -> None:
    # The shapes of aider/coders/base_coder.py's usage report, with cache and big counts.
    output = (
        "Tokens: 12k sent, 8.2k cache hit, 1.1k received. Cost: $0.03 message, $0.03 session.\n"
        "Tokens: 1.5M sent, 2.0k cache write, 950 received. Cost: $1.20 message, $1.23 session.\n"
    )
    trace = read_trace(output)
    assert trace.error is None
    assert trace.input_tokens == 12_000 + 1_500_000
    assert trace.cached_tokens == 8_200
    assert trace.output_tokens == 1_100 + 950
    assert trace.cost_usd == pytest.approx(1.23)


def test_without_a_cost_line_the_cost_is_unknown_not_free() -> None:
    # No price in the model metadata: Aider prints no Cost, and logs a cost of 0.
    output = SUCCESS_OUTPUT.replace(" Cost: $0.0041 message, $0.0041 session.", "")
    trace = read_trace(output, usage_log=SUCCESS_ANALYTICS.replace('"cost": 0.0041', '"cost": 0'))
    assert trace.cost_usd is None
    assert trace.input_tokens == 1918


def test_http_500_after_the_last_retry_fails_although_aider_exited_0() -> None:
    trace = read_trace(HTTP_500_OUTPUT)
    assert trace.error is not None
    assert trace.error.startswith("the model API failed: litellm.InternalServerError:")
    assert "scripted HTTP 500 error" in trace.error
    assert trace.input_tokens == 0 and trace.events == []


def test_an_error_followed_by_a_successful_retry_is_no_failure() -> None:
    trace = read_trace(RETRIED_OUTPUT)
    assert trace.error is None
    assert trace.events == [(AGENT_FILE_EVENT, {"path": "src/hello.py", "kind": "add"})]
    assert (trace.input_tokens, trace.output_tokens) == (1900, 22)


def test_a_bad_request_fails() -> None:
    trace = read_trace(HTTP_400_OUTPUT)
    assert trace.error is not None and "litellm.BadRequestError" in trace.error


def test_an_empty_reply_fails() -> None:
    trace = read_trace(EMPTY_REPLY_OUTPUT)
    assert trace.error == "the model's reply was empty"
    assert trace.input_tokens == 1900  # the prompt was still paid for


def test_a_token_limit_fails() -> None:
    output = BANNER + (
        "\n\nModel openai/gpt-4.1 has hit a token limit!\nToken counts below are approximate.\n"
        "\nInput tokens: ~1,048,000 of 1,047,576 -- possibly exhausted context window!\n"
        "Tokens: 1048k sent, 0 received. Cost: $2.10 message, $2.10 session.\n"
    )
    trace = read_trace(output)
    assert trace.error == "Model openai/gpt-4.1 has hit a token limit!"


def test_no_reply_at_all_fails_only_when_aider_says_it_finished() -> None:
    trace = read_trace(BANNER)
    assert trace.error is not None
    assert trace.error.startswith("Aider got no reply from the model")
    assert "Added src/hello.py to the chat." in trace.error  # its last words, for a human
    # A timeout or a crash is reported as such by `result`, not as a missing reply.
    assert read_trace(BANNER, expect_reply=False).error is None


def test_edits_that_do_not_apply_are_left_to_verification() -> None:
    trace = read_trace(NO_MATCH_OUTPUT)
    assert trace.error is None
    assert [kind for kind, _ in trace.events] == []
    assert (trace.input_tokens, trace.output_tokens) == (1900 + 2300, 48)
    assert trace.cost_usd == pytest.approx(0.0087)


def test_replies_come_from_the_llm_history_and_empty_ones_are_skipped() -> None:
    history = (
        "TO LLM 2026-11-22T07:24:53\nASSISTANT an example reply in the prompt\n"
        "LLM RESPONSE 2026-11-22T07:24:53\n"  # a failed call logs an empty response
        "TO LLM 2026-11-22T07:24:54\nUSER again\n"
        "LLM RESPONSE 2026-11-22T07:24:55\nASSISTANT first line\nASSISTANT \nASSISTANT third\n"
    )
    trace = read_trace("Tokens: 10 sent, 3 received.\n", llm_history=history)
    assert trace.events == [(AGENT_MESSAGE_EVENT, {"text": "first line\n\nthird"})]


# --- command line, environment and home ----------------------------------------------------


def test_the_command_line_is_non_interactive_offline_and_commits_nothing(tmp_path: Path) -> None:
    spec = ModelSpec("openai", MODEL, "http://127.0.0.1:9/v1")
    args = aider_args(spec, tmp_path, tmp_path / "handover.md", 120)
    assert args[:7] == [
        "--model",
        f"openai/{MODEL}",
        "--weak-model",
        f"openai/{MODEL}",
        "--editor-model",
        f"openai/{MODEL}",
        "--openai-api-base",
    ]
    assert args[7] == "http://127.0.0.1:9/v1"
    for flag in (
        "--yes-always",
        "--no-pretty",
        "--no-fancy-input",
        "--no-auto-commits",
        "--no-dirty-commits",
        "--no-gitignore",
        "--no-check-update",
        "--analytics-disable",
        "--no-show-model-warnings",
        "--no-detect-urls",
        "--no-auto-lint",
        "--no-auto-test",
    ):
        assert flag in args
    assert args[args.index("--edit-format") + 1] == "diff"
    assert args[args.index("--map-tokens") + 1] == "0"
    assert args[args.index("--timeout") + 1] == "120"
    assert args[args.index("--message-file") + 1] == str(tmp_path / "handover.md")
    for flag in ("--chat-history-file", "--input-history-file", "--llm-history-file"):
        assert Path(args[args.index(flag) + 1]).parent == tmp_path  # the home, not the worktree
    assert not any("sk-" in arg for arg in args)  # keys travel in the environment only

    default = aider_args(ModelSpec("openai", MODEL), tmp_path, tmp_path / "h.md", 120)
    assert default[default.index("--openai-api-base") + 1] == "https://api.openai.com/v1"
    anthropic = aider_args(ModelSpec("anthropic", "claude-x"), tmp_path, tmp_path / "h.md", 9)
    assert anthropic[1] == "anthropic/claude-x" and "--openai-api-base" not in anthropic


def test_only_the_models_own_key_passes_and_foreign_settings_are_dropped(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENAI_API_KEY": KEY,
        "ANTHROPIC_API_KEY": "sk-ant-other",
        "GITHUB_TOKEN": "ghp_secret",
        "OPENAI_API_BASE": "https://elsewhere.example/v1",
        "AIDER_AUTO_COMMITS": "true",
        "LITELLM_LOG": "DEBUG",
    }
    env = aider_env(base, ModelSpec("openai", MODEL, "http://127.0.0.1:9/v1"), tmp_path)
    assert env["OPENAI_API_KEY"] == KEY
    assert env["HOME"] == str(tmp_path)
    assert env["GIT_CONFIG_GLOBAL"] == str(tmp_path / ".gitconfig")
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert env["PATH"] == "/usr/bin:/bin" and env["LANG"] == "C.UTF-8"
    for name in ("ANTHROPIC_API_KEY", "GITHUB_TOKEN", "OPENAI_API_BASE", "AIDER_AUTO_COMMITS"):
        assert name not in env

    spec = ModelSpec("anthropic", "claude-x", "http://127.0.0.1:9")
    env = aider_env({**base, "ANTHROPIC_BASE_URL": "https://elsewhere"}, spec, tmp_path)
    assert env["ANTHROPIC_API_KEY"] == "sk-ant-other"
    assert env["ANTHROPIC_API_BASE"] == "http://127.0.0.1:9"
    assert "OPENAI_API_KEY" not in env and "ANTHROPIC_BASE_URL" not in env

    compatible = ModelSpec("openai-compatible", "m", "http://127.0.0.1:9/v1")
    env = aider_env({**base, "OPENAI_COMPATIBLE_API_KEY": "sk-compat"}, compatible, tmp_path)
    assert env["OPENAI_API_KEY"] == "sk-compat"
    env = aider_env({"PATH": "/bin"}, ModelSpec("ollama", "qwen", "http://x/v1"), tmp_path)
    assert env["OPENAI_API_KEY"] == "no-key-needed"  # litellm's OpenAI client insists on one


def test_the_editable_files_are_the_existing_ones_in_scope_and_literal_new_paths(
    repo: Repo,
) -> None:
    repo.write("src/app.py", "x = 1\n")
    repo.write("src/util.py", "y = 1\n")
    repo.write("docs/a.md", "a\n")
    repo.write("README.md", "r\n")
    git(repo.root, "add", "-A")
    scope = ("src/app.py", "src/new.py", "./lib//fresh.py", "docs/*.md", "build/", "src/app.py")
    task = parse_task(make_task("0x01", scope=scope))
    assert editable_files(repo.root, task) == [
        "docs/a.md",
        "src/app.py",
        "src/new.py",
        "lib/fresh.py",
    ]


def test_the_home_holds_the_prices_settings_and_a_git_identity(tmp_path: Path) -> None:
    priced = tmp_path / "priced"
    priced.mkdir()
    _write_home(priced, ModelSpec("openai", MODEL), PriceTable.default())
    metadata = json.loads((priced / "model-metadata.json").read_text())
    entry = metadata[f"openai/{MODEL}"]
    assert entry["input_cost_per_token"] == pytest.approx(2.0e-6)
    assert entry["output_cost_per_token"] == pytest.approx(8.0e-6)
    assert entry["litellm_provider"] == "openai"
    cache = priced / ".aider" / "caches" / "model_prices_and_context_window.json"
    assert json.loads(cache.read_text()) == metadata  # non-empty: Aider downloads nothing
    assert "max_retries: 0" in (priced / "model-settings.yml").read_text()
    assert "email = " in (priced / ".gitconfig").read_text()

    unknown = tmp_path / "unknown"
    unknown.mkdir()
    _write_home(unknown, ModelSpec("ollama", "qwen"), PriceTable.default())
    entry = json.loads((unknown / "model-metadata.json").read_text())["openai/qwen"]
    assert (entry["input_cost_per_token"], entry["output_cost_per_token"]) == (0.0, 0.0)


def test_a_python_script_is_launched_with_the_retry_bound_anything_else_as_it_is(
    tmp_path: Path,
) -> None:
    script = tmp_path / "aider"
    script.write_text(f"#!{sys.executable}\nfrom aider.main import main\n")
    assert _launcher(str(script), 3) == [sys.executable, "-c", _LAUNCHER, "1"]
    assert _launcher(str(script), 0)[-1] == "0.125"  # the first retry's 0.25 s is over it
    script.write_text("#!/usr/bin/env python3\n")  # which python3? maybe one without Aider
    assert _launcher(str(script), 3) == [str(script)]
    script.write_text('#!/bin/sh\nexec aider-real "$@"\n')
    assert _launcher(str(script), 3) == [str(script)]
    assert _launcher(str(tmp_path / "missing"), 3) == [str(tmp_path / "missing")]


def test_a_missing_binary_or_model_stops_before_anything_runs(repo: Repo, tmp_path: Path) -> None:
    config = load_config(repo.root, {"SPECLOOP_ROLES_EXECUTOR": f"openai:{MODEL}"})
    with pytest.raises(ExecutorUnavailable, match=r"pipx install aider-chat==0\.86\.2"):
        AiderExecutor(config=config, env={"PATH": str(tmp_path)}, ledger=None)

    fake = tmp_path / "aider"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(NoModelConfigured, match="OPENAI_API_KEY"):
        AiderExecutor(config=config, env={"PATH": str(tmp_path)}, ledger=None)
    unset = load_config(repo.root, {})
    with pytest.raises(NoModelConfigured, match=r"roles\.executor"):
        AiderExecutor(config=unset, env={"PATH": str(tmp_path), "OPENAI_API_KEY": KEY}, ledger=None)


# --- the real Aider through `specloop run` ---------------------------------------------------

EDIT = """\
I will make hello() say hello, world.

src/app.py
```python
<<<<<<< SEARCH
    return 'hi'
=======
    return 'hello, world'
>>>>>>> REPLACE
```
"""


def served_by(server: ScriptedModelServer) -> list[dict[str, Any]]:
    """Every request the server saw, checked to have come to 127.0.0.1 on its port."""
    requests = [request.to_json() for request in server.requests]
    assert all(r["headers"].get("host") == f"127.0.0.1:{server.port}" for r in requests)
    return requests


def test_aider_edits_the_file_in_scope_and_specloop_merges_it(tmp_path: Path) -> None:
    require_agent("aider")
    with ScriptedModelServer([{"reply": EDIT}]) as server:
        project = aider_project(tmp_path, providers=openai_provider(server.openai_base_url))
        done = project.run(path_with_agents())
        requests = served_by(server)
    assert done.code == 0, done.stdout + done.stderr
    assert project.task()["state"] == "merged"
    assert project.show("src/app.py") == "def hello():\n    return 'hello, world'\n"
    # Aider's histories stayed in its home: nothing but the edit reached main.
    assert project.main_files() == [
        ".gitignore",
        ".specloop/config.toml",
        "src/app.py",
        "tasks/0x01-greeting.md",
    ]
    assert "Co-authored-by" not in git(project.root, "log", "--format=%B", "main")
    # Aider found its identity in its home; it wrote none into the read-only .git/config.
    assert "[user]" not in (project.root / ".git" / "config").read_text()

    # One streamed chat completion with the handover; no other call, no other host.
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("POST", "/v1/chat/completions", 200)
    ]
    body = requests[0]["body"]
    assert body["model"] == MODEL and body["stream"] is True
    assert "Files to Modify" in json.dumps(body["messages"])
    assert requests[0]["headers"]["authorization"] == "[redacted]"

    ((role, model, task, sent, received, cost),) = project.query(
        "SELECT role, model, task_id, input_tokens, output_tokens, cost_usd FROM usage"
    )
    assert (role, model, task) == ("executor", f"openai:{MODEL}", "0x01")
    assert sent > 500 and received > 10
    assert cost == pytest.approx(sent * 2.0e-6 + received * 8.0e-6, rel=0.01)
    assert project.agent_events(AGENT_FILE_EVENT) == [{"path": "src/app.py", "kind": "update"}]
    (message,) = project.agent_events(AGENT_MESSAGE_EVENT)
    assert message["text"] == EDIT.rstrip("\n")
    homes = list((project.root / ".specloop" / "state" / "agents").glob("0x01-*-aider"))
    assert len(homes) == 1 and (homes[0] / "chat-history.md").is_file()
    assert KEY not in (homes[0] / "chat-history.md").read_text()


def test_an_http_500_fails_the_attempt_although_aider_exits_0(tmp_path: Path) -> None:
    require_agent("aider")
    started = time.monotonic()
    with ScriptedModelServer([{"error": 500, "repeat": True}]) as server:
        project = aider_project(tmp_path, providers=openai_provider(server.openai_base_url))
        before = project.main_files()
        done = project.run(path_with_agents())
        requests = served_by(server)
    assert done.code == 1, done.stdout + done.stderr
    task = project.task()
    assert task["state"] == "failed"
    assert "the model API failed: litellm.InternalServerError" in task["reason"]
    assert project.main_files() == before
    assert project.show("src/app.py") == "def hello():\n    return 'hi'\n"
    # [models] max_retries = 1: one call and one retry, not Aider's minute of backoff.
    assert [r["status"] for r in requests] == [500, 500]
    assert time.monotonic() - started < 30


def test_without_the_aider_binary_specloop_exits_3_naming_the_install_command(
    tmp_path: Path,
) -> None:
    bare = os.pathsep.join(p for p in ("/usr/bin", "/bin") if Path(p).is_dir())
    if shutil.which("aider", path=bare):
        pytest.skip("an aider is installed system-wide here")
    project = aider_project(tmp_path, providers=openai_provider("http://127.0.0.1:9/v1"))
    done = project.run(bare)
    assert done.code == 3, done.stdout + done.stderr
    assert "pipx install aider-chat==0.86.2" in done.stderr
    assert project.task()["state"] != "merged"


def test_a_model_that_never_answers_is_stopped_by_the_task_timeout(tmp_path: Path) -> None:
    require_agent("aider")
    started = time.monotonic()
    with ScriptedModelServer([{"delay": 60, "reply": EDIT}]) as server:
        project = aider_project(
            tmp_path,
            providers=openai_provider(server.openai_base_url),
            extra_front="timeout: 3\n",
        )
        before = project.main_files()
        done = project.run(path_with_agents())
        served_by(server)
    assert done.code == 1, done.stdout + done.stderr
    task = project.task()
    assert task["state"] == "failed"
    assert "aider timed out after 3 s" in task["reason"]
    assert project.main_files() == before
    assert time.monotonic() - started < 30


def test_an_anthropic_model_is_reached_at_its_configured_base_url(tmp_path: Path) -> None:
    require_agent("aider")
    with ScriptedModelServer([{"reply": EDIT}]) as server:
        project = aider_project(
            tmp_path,
            model="anthropic:claude-sonnet-4-5",
            providers=f'[providers.anthropic]\nbase_url = "{server.base_url}"\n',
        )
        done = project.run(path_with_agents(), ANTHROPIC_API_KEY="sk-ant-test-1a2b3c")
        requests = served_by(server)
    assert done.code == 0, done.stdout + done.stderr
    assert project.show("src/app.py") == "def hello():\n    return 'hello, world'\n"
    assert [(r["path"], r["status"]) for r in requests] == [("/v1/messages", 200)]
    assert requests[0]["body"]["model"] == "claude-sonnet-4-5"
    assert requests[0]["headers"]["x-api-key"] == "[redacted]"
