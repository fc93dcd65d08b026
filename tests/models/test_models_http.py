"""ModelClient over real HTTP against specloop's scripted model server.

Everything on specloop's side of the wire is real: the provider SDKs, their retries and
timeouts, pydantic-ai's wire formats. Retries are kept fast with ``retry-after-ms``
headers (the SDKs ignore ``Retry-After: 0`` and fall back to their 0.5 s backoff).
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from specloop.config import load_config
from specloop.ledger import Ledger
from specloop.models import (
    CALL_FAILED_EVENT,
    INVALID_OUTPUT_EVENT,
    InvalidModelOutput,
    ModelCallFailed,
    ModelClient,
    ModelError,
    ModelSpec,
    open_model,
)
from specloop.testing import ScriptedModelServer

KEY = "sk-test-DISTINCTIVE-a81f0c55e2b94d"
ENV = {"OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY, "OPENAI_COMPATIBLE_API_KEY": KEY}
FAST = {"retry-after-ms": "1"}


class Verdict(BaseModel):
    approve: bool
    reasons: list[str]


EXPECTED = Verdict(approve=True, reasons=["tests pass"])
VERDICT = EXPECTED.model_dump()


def final(arguments: Any, **extra: Any) -> dict[str, Any]:
    return {"tool_call": {"name": "final_result", "arguments": arguments}, **extra}


def client_for(
    server: ScriptedModelServer,
    provider: str = "openai",
    *,
    name: str = "gpt-5",
    ledger: Ledger | None = None,
    run_id: int | None = None,
    timeout: float = 10.0,
    max_retries: int = 2,
) -> ModelClient:
    url = server.base_url if provider == "anthropic" else server.openai_base_url
    return ModelClient(
        ModelSpec(provider, name, url),
        role="reviewer",
        env=ENV,
        ledger=ledger,
        run_id=run_id,
        timeout=timeout,
        max_retries=max_retries,
    )


def ask(client: ModelClient, stage: str = "review") -> Any:
    return client.structured(
        stage=stage, system="You review diffs.", prompt="Review this diff.", output_type=Verdict
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(tmp_path / "state" / "ledger.db")
    yield opened
    opened.close()


def ledger_text(ledger: Ledger) -> str:
    """Every row of every table, as text."""
    conn = sqlite3.connect(ledger.path)
    try:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return "\n".join(
            repr(row) for table in tables for row in conn.execute(f"SELECT * FROM {table}")
        )
    finally:
        conn.close()


# -- structured output on each wire -------------------------------------------------------


def test_openai_structured_output_via_the_final_result_tool() -> None:
    with ScriptedModelServer([final(VERDICT)]) as server:
        result = ask(client_for(server))
    assert result.output == EXPECTED
    assert result.repairs == 0
    assert result.model == "openai:gpt-5"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 7)
    (request,) = server.requests
    assert request.path.endswith("/chat/completions")
    body = request.body
    assert body["model"] == "gpt-5"
    assert [tool["function"]["name"] for tool in body["tools"]] == ["final_result"]
    assert body["tool_choice"] == "required"
    assert "You review diffs." in json.dumps(body["messages"])
    assert KEY not in json.dumps(request.headers)  # the server log redacts it


def test_anthropic_structured_output_via_the_final_result_tool() -> None:
    with ScriptedModelServer([final(VERDICT)]) as server:
        result = ask(client_for(server, "anthropic", name="claude-haiku-4-5"))
    assert result.output == EXPECTED
    assert result.model == "anthropic:claude-haiku-4-5"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 7)
    assert result.usage.cost_usd == pytest.approx((11 * 1.0 + 7 * 5.0) / 1e6)
    (request,) = server.requests
    assert request.path.startswith("/v1/messages")
    assert [tool["name"] for tool in request.body["tools"]] == ["final_result"]
    assert request.body["system"]  # the system text goes in Anthropic's system field


def test_ollama_uses_prompted_json_output() -> None:
    with ScriptedModelServer([{"reply": json.dumps(VERDICT)}]) as server:
        result = ask(client_for(server, "ollama", name="llama3.1"))
    assert result.output == EXPECTED
    assert result.usage.cost_usd is None  # a local model has no built-in price
    (request,) = server.requests
    assert "tools" not in request.body and "tool_choice" not in request.body
    prompt = "\n".join(str(message["content"]) for message in request.body["messages"])
    assert '"approve"' in prompt and '"reasons"' in prompt  # the schema is in the prompt


def test_prompted_output_accepts_json_in_a_markdown_fence() -> None:
    reply = "Here it is:\n```json\n" + json.dumps(VERDICT) + "\n```"
    with ScriptedModelServer([{"reply": reply}]) as server:
        result = ask(client_for(server, "ollama", name="qwen2.5-coder:7b"))
    assert result.output == EXPECTED
    assert result.repairs == 0
    assert server.requests[0].body["model"] == "qwen2.5-coder:7b"


def test_openai_compatible_uses_prompted_json_output() -> None:
    with ScriptedModelServer(
        [{"reply": "not json at all"}, {"reply": json.dumps(VERDICT)}]
    ) as server:
        result = ask(client_for(server, "openai-compatible", name="house/model"))
    assert result.output == EXPECTED
    assert result.repairs == 1
    first = server.requests[0].body
    assert "tool_choice" not in first and "tools" not in first
    assert "response_format" not in first  # some compatible servers reject json_object
    assert "Invalid JSON" in json.dumps(server.requests[1].body["messages"])


def test_repair_round_over_http_feeds_the_schema_error_back() -> None:
    with ScriptedModelServer([final({"approve": "maybe"}), final(VERDICT)]) as server:
        result = ask(client_for(server))
    assert result.repairs == 1
    assert len(server.requests) == 2
    second = json.dumps(server.requests[1].body["messages"])
    assert "approve" in second and "reasons" in second  # both bad fields named


def test_invalid_output_over_http_keeps_the_raw_reply(ledger: Ledger) -> None:
    run = ledger.start_run()
    bad = {"approve": "perhaps", "reasons": "none"}
    script = [final(bad, repeat=True)]
    with ScriptedModelServer(script) as server, pytest.raises(InvalidModelOutput) as info:
        ask(client_for(server, ledger=ledger, run_id=run.id), stage="review.diff")
    assert len(server.requests) == 3
    assert info.value.stage == "review.diff"
    assert json.loads(info.value.raw) == bad
    (event,) = [e for e in ledger.events(run_id=run.id) if e.kind == INVALID_OUTPUT_EVENT]
    assert event.data is not None
    assert json.loads(event.data["raw"]) == bad
    assert event.data["stage"] == "review.diff"


def test_open_model_reaches_the_server_through_the_config_base_url(tmp_path: Path) -> None:
    with ScriptedModelServer([final(VERDICT)]) as server:
        env = {
            **ENV,
            "SPECLOOP_ROLES_REVIEWERS": "anthropic:claude-haiku-4-5",
            "SPECLOOP_PROVIDERS_ANTHROPIC_BASE_URL": server.base_url,
        }
        config = load_config(tmp_path, env)
        result = ask(open_model(config, "reviewer", env))
    assert result.output == EXPECTED
    assert len(server.requests) == 1


# -- usage and cost -----------------------------------------------------------------------


def test_usage_with_cached_tokens_is_recorded_and_priced(ledger: Ledger) -> None:
    usage = {"input_tokens": 1000, "output_tokens": 100, "cached_tokens": 600}
    for provider, name in (("openai", "gpt-5"), ("anthropic", "claude-haiku-4-5")):
        with ScriptedModelServer([final(VERDICT, usage=usage)]) as server:
            result = ask(client_for(server, provider, name=name, ledger=ledger))
        assert (result.usage.input_tokens, result.usage.cached_tokens) == (1000, 600), provider
        assert result.usage.output_tokens == 100
    conn = sqlite3.connect(ledger.path)
    rows = conn.execute(
        "SELECT role, model, stage, input_tokens, cached_tokens, output_tokens, cost_usd"
        " FROM usage ORDER BY id"
    ).fetchall()
    conn.close()
    assert rows == [
        ("reviewer", "openai:gpt-5", "review", 1000, 600, 100,
         pytest.approx((400 * 1.25 + 600 * 0.125 + 100 * 10) / 1e6)),
        ("reviewer", "anthropic:claude-haiku-4-5", "review", 1000, 600, 100,
         pytest.approx((400 * 1 + 600 * 0.1 + 100 * 5) / 1e6)),
    ]  # fmt: skip


# -- transient failures, retries and timeouts ---------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_429_is_retried_then_succeeds(provider: str) -> None:
    script = [{"error": {"status": 429, "headers": FAST}}, final(VERDICT)]
    with ScriptedModelServer(script) as server:
        result = ask(client_for(server, provider))
    assert result.output == EXPECTED
    assert [request.status for request in server.requests] == [429, 200]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_500_forever_fails_after_bounded_retries(provider: str, ledger: Ledger) -> None:
    script = [{"error": {"status": 500, "headers": FAST}, "repeat": True}]
    with ScriptedModelServer(script) as server, pytest.raises(ModelCallFailed) as info:
        ask(client_for(server, provider, max_retries=2, ledger=ledger), stage="review")
    assert len(server.requests) == 3  # 1 + max_retries
    error = info.value
    assert error.status == 500
    assert error.stage == "review"
    assert error.attempts == 3
    message = str(error)
    assert 'stage "review"' in message
    assert f"{provider}:gpt-5" in message
    assert "HTTP 500 after 3 attempts" in message
    (event,) = [e for e in ledger.events() if e.kind == CALL_FAILED_EVENT]
    assert event.data is not None and event.data["status"] == 500
    # Nothing came back, so no tokens are recorded.
    assert ledger.usage_totals() == []


def test_no_retries_means_one_request() -> None:
    script = [{"error": {"status": 503, "headers": FAST}, "repeat": True}]
    failed = pytest.raises(ModelCallFailed, match="HTTP 503 after 1 attempt")
    with ScriptedModelServer(script) as server, failed:
        ask(client_for(server, max_retries=0))
    assert len(server.requests) == 1


def test_client_errors_are_not_retried() -> None:
    script = [{"error": {"status": 404}, "repeat": True}]
    with ScriptedModelServer(script) as server, pytest.raises(ModelCallFailed) as info:
        ask(client_for(server, max_retries=3))
    assert len(server.requests) == 1
    assert info.value.status == 404
    assert "check the model name 'gpt-5'" in str(info.value)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_hung_server_times_out(provider: str) -> None:
    script = [{"delay": 5, "reply": "too late"}, {"delay": 5, "reply": "too late"}]
    started = time.monotonic()
    with ScriptedModelServer(script) as server, pytest.raises(ModelCallFailed) as info:
        ask(client_for(server, provider, timeout=0.5, max_retries=0))
    assert time.monotonic() - started < 4
    assert "timed out after 0.5s" in str(info.value)
    assert info.value.timed_out
    assert info.value.status is None


def test_a_timeout_is_retried_within_the_bound() -> None:
    script = [{"delay": 5, "reply": "too late"}, final(VERDICT)]
    with ScriptedModelServer(script) as server:
        result = ask(client_for(server, timeout=0.5, max_retries=1))
    assert result.output == EXPECTED


def test_a_refused_connection_fails_clearly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ModelClient(
        ModelSpec("ollama", "llama3.1", f"http://127.0.0.1:{port}/v1"),
        role="planner",
        env={},
        max_retries=0,
        timeout=2,
    )
    with pytest.raises(ModelCallFailed) as info:
        ask(client, stage="spec")
    assert f"could not be reached at http://127.0.0.1:{port}/v1" in str(info.value)
    assert 'stage "spec"' in str(info.value)


# -- the key ------------------------------------------------------------------------------


def test_the_key_never_appears_in_errors_or_the_ledger(ledger: Ledger) -> None:
    run = ledger.start_run()
    leaky = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "auth"}}
    partial = {"error": {"message": f"Incorrect API key provided: {KEY[:8]}***{KEY[-4:]}"}}
    errors: list[ModelError] = []
    for script, retries in (
        ([{"error": {"status": 401, "body": leaky}}], 1),
        ([{"error": {"status": 401, "body": partial}}], 1),
        ([{"error": {"status": 500, "body": leaky, "headers": FAST}, "repeat": True}], 1),
        ([final({"approve": KEY}, repeat=True)], 1),
        ([{"delay": 5, "reply": KEY}], 0),
    ):
        for provider in ("openai", "anthropic"):
            with ScriptedModelServer(script) as server:
                client = client_for(
                    server, provider, ledger=ledger, run_id=run.id, timeout=0.5, max_retries=retries
                )
                with pytest.raises(ModelError) as info:
                    ask(client)
            errors.append(info.value)
    assert {type(error) for error in errors} == {ModelCallFailed, InvalidModelOutput}
    for error in errors:
        assert KEY not in str(error)
        assert KEY not in repr(error.__dict__)
        assert KEY[:12] not in str(error)
        assert error.__cause__ is None  # SDK exceptions (and their requests) stay behind
    auth = [e for e in errors if isinstance(e, ModelCallFailed) and e.status == 401]
    assert auth and all("check that" in str(e) and "_API_KEY" in str(e) for e in auth)
    assert KEY not in ledger_text(ledger)
    for path in Path(ledger.path).parent.iterdir():
        assert KEY.encode() not in path.read_bytes(), path.name


def test_one_client_serves_several_threads_and_calls() -> None:
    # Each call opens and closes its own SDK client on its own event loop, so a client
    # can be shared by worker threads and called again and again.
    from concurrent.futures import ThreadPoolExecutor

    with ScriptedModelServer([final(VERDICT, repeat=True)]) as server:
        client = client_for(server)
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: ask(client), range(6)))
        results.append(ask(client))
    assert [result.output for result in results] == [EXPECTED] * 7
    assert len(server.requests) == 7
