"""Server behaviour: errors and retries, delays, `when`, the request log, routes, raw wire."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from specloop.testing import LoggedRequest, Script, ScriptedModelFactory, ScriptedModelServer

pytest_plugins = ["specloop.testing.pytest_plugin"]

USER: Any = [{"role": "user", "content": "hi"}]
FAST_RETRY = {"retry-after-ms": "1"}  # `Retry-After: 0` makes the SDKs fall back to backoff


def raw(
    server: ScriptedModelServer,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request over a plain http.client connection: status, headers, body bytes."""
    data = json.dumps(body).encode() if body is not None else None
    with closing(http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)) as conn:
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def chat(server: ScriptedModelServer, **options: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_base_url, api_key="sk-secret-1", **options)


# --- errors, retries, exhaustion ----------------------------------------------------------


def test_429_then_reply_succeeds_after_one_retry(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model(
        [{"error": {"status": 429, "headers": FAST_RETRY}}, {"reply": "after the retry"}]
    )
    with chat(server, max_retries=2) as client:
        done = client.chat.completions.create(model="m", messages=USER)
    assert done.choices[0].message.content == "after the retry"
    assert [(r.status, r.step) for r in server.requests] == [(429, 0), (200, 1)]
    assert server.requests[1].headers["x-stainless-retry-count"] == "1"


def test_error_step_body_and_headers_are_sent_as_written(
    scripted_model: ScriptedModelFactory,
) -> None:
    body = {"error": {"message": "quota gone", "type": "insufficient_quota", "code": "quota"}}
    server = scripted_model([{"error": {"status": 400, "body": body, "headers": {"X-Extra": 5}}}])
    status, headers, payload = raw(server, "POST", "/v1/chat/completions", {"messages": USER})
    assert (status, json.loads(payload), headers["x-extra"]) == (400, body, "5")


def test_default_error_body_is_openai_shaped(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"error": 503}])
    with chat(server, max_retries=0) as client, pytest.raises(openai.APIStatusError) as caught:
        client.responses.create(model="m", input="hi")
    assert caught.value.status_code == 503
    assert caught.value.body == {
        "message": "specloop scripted model: scripted HTTP 503 error",
        "type": "api_error",
        "param": None,
        "code": "api_error",
    }


def test_repeating_500_fails_after_bounded_retries(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"error": {"status": 500, "headers": FAST_RETRY}, "repeat": True}])
    with chat(server, max_retries=2) as client, pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=USER)
    assert [r.status for r in server.requests] == [500, 500, 500]
    assert server.remaining() == 0  # a repeat step is never used up, and never counted


def test_exhausted_script_answers_500_saying_so(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"reply": "only one"}])
    with chat(server) as client:  # default retries: the answer tells the SDK not to retry
        client.chat.completions.create(model="m", messages=USER)
        with pytest.raises(openai.InternalServerError) as caught:
            client.chat.completions.create(model="m", messages=USER)
    assert "the script ran out after 1 requests (request: POST /v1/chat/completions)" in str(
        caught.value
    )
    assert [(r.status, r.step) for r in server.requests] == [(200, 0), (500, None)]


def test_exhausted_script_on_anthropic_names_waiting_when_steps(
    scripted_model: ScriptedModelFactory,
) -> None:
    server = scripted_model([{"when": {"contains": "0x03"}, "reply": "for task 3"}])
    with (
        anthropic.Anthropic(base_url=server.base_url, api_key="k") as client,
        pytest.raises(anthropic.InternalServerError) as caught,
    ):
        client.messages.create(model="m", max_tokens=5, messages=USER)
    message = caught.value.body["error"]["message"]  # type: ignore[index]
    assert "ran out after 0 requests (request: POST /v1/messages)" in message
    assert "['0x03']" in message
    assert len(server.requests) == 1


def test_delay_makes_a_short_client_timeout_fire(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"delay": 2}, {"reply": "too late"}])
    started = time.monotonic()
    with chat(server, max_retries=0, timeout=0.5) as client, pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=USER)
    assert time.monotonic() - started < 1.5
    server.stop()  # cuts the scripted delay short instead of waiting it out
    assert time.monotonic() - started < 1.8
    assert [(r.step, r.status) for r in server.requests] == [(1, 200)]


def test_delay_inside_a_step_delays_that_answer(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"reply": "slow", "delay": 0.2}])
    started = time.monotonic()
    status, _, _ = raw(server, "POST", "/v1/chat/completions", {"messages": USER})
    assert status == 200 and time.monotonic() - started >= 0.2


def test_when_picks_steps_out_of_order_under_concurrency(
    scripted_model: ScriptedModelFactory,
) -> None:
    server = scripted_model(
        [
            {"when": {"contains": "task 0x02"}, "reply": "answer for 0x02"},
            {"when": {"contains": "task 0x01"}, "reply": "answer for 0x01", "delay": 0.1},
            {"reply": "anything else"},
        ]
    )
    barrier = threading.Barrier(2)
    answers: dict[str, str | None] = {}

    def ask(task: str) -> None:
        with chat(server, max_retries=0) as client:
            barrier.wait()
            done = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"Do task {task}."}]
            )
            answers[task] = done.choices[0].message.content

    threads = [threading.Thread(target=ask, args=(t,)) for t in ("0x01", "0x02")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {"0x01": "answer for 0x01", "0x02": "answer for 0x02"}
    assert server.remaining() == 1
    _, _, payload = raw(server, "POST", "/v1/chat/completions", {"messages": USER})
    assert json.loads(payload)["choices"][0]["message"]["content"] == "anything else"


# --- request log ---------------------------------------------------------------------------


def test_log_file_has_one_redacted_json_line_per_request(
    scripted_model: ScriptedModelFactory, tmp_path: Path
) -> None:
    log = tmp_path / "requests.jsonl"
    server = scripted_model([{"reply": "a"}, {"reply": "b"}], log_path=log)
    with chat(server, max_retries=0) as client:
        client.chat.completions.create(model="m", messages=USER)
    with anthropic.Anthropic(base_url=server.base_url, api_key="sk-secret-2") as client2:
        client2.messages.create(model="m", max_tokens=5, messages=USER)
    raw(server, "POST", "/v1/chat/completions", {"messages": USER}, {"X-Api-Key": "sk-secret-3"})
    text = log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["n"] for line in lines] == [1, 2, 3]
    assert set(lines[0]) == {"n", "method", "path", "headers", "body", "step", "status"}
    assert [(x["path"], x["step"], x["status"]) for x in lines] == [
        ("/v1/chat/completions", 0, 200),
        ("/v1/messages", 1, 200),
        ("/v1/chat/completions", None, 500),
    ]
    assert "sk-secret" not in text
    assert lines[0]["headers"]["authorization"] == "[redacted]"
    assert lines[2]["headers"]["x-api-key"] == "[redacted]"
    assert lines[0]["body"]["messages"] == USER
    assert [LoggedRequest(**line) for line in lines] == server.requests


# --- routes -------------------------------------------------------------------------------


def test_head_models_count_tokens_and_unknown_routes(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"reply": "kept"}])
    assert raw(server, "HEAD", "/")[0::2] == (200, b"")
    status, _, payload = raw(server, "GET", "/v1/models", headers={"Authorization": "Bearer k"})
    assert status == 200
    assert json.loads(payload)["data"][0]["id"] == "scripted"
    assert b"Bearer" not in payload
    status, _, payload = raw(server, "POST", "/v1/messages/count_tokens", {"messages": USER})
    assert (status, json.loads(payload)) == (200, {"input_tokens": 1})
    status, _, payload = raw(server, "GET", "/v1/nothing")
    assert status == 404 and "no route for GET /v1/nothing" in payload.decode()
    assert server.remaining() == 1 and all(r.step is None for r in server.requests)


def test_path_prefix_and_query_string_still_route(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"reply": "prefixed"}])
    with openai.OpenAI(base_url=server.base_url + "/err500/v1", api_key="k") as client:
        done = client.chat.completions.create(model="m", messages=USER, extra_query={"x": "1"})
    assert done.choices[0].message.content == "prefixed"
    assert server.requests[0].path == "/err500/v1/chat/completions?x=1"


def test_non_json_body_is_a_400_that_consumes_no_step(
    scripted_model: ScriptedModelFactory,
) -> None:
    server = scripted_model([{"reply": "kept"}])
    with closing(http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)) as conn:
        conn.request("POST", "/v1/responses", body=b"not json")
        response = conn.getresponse()
        assert response.status == 400
        assert "not a JSON object" in json.loads(response.read())["error"]["message"]
    assert server.requests[0].body == "not json"
    assert server.remaining() == 1


def test_chunked_request_body_is_read(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"when": {"contains": "chunked hello"}, "reply": "got it"}])
    body = json.dumps({"messages": [{"role": "user", "content": "chunked hello"}]}).encode()
    with closing(http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)) as conn:
        conn.request("POST", "/v1/chat/completions", body=iter([body[:10], body[10:]]))
        response = conn.getresponse()
        assert json.loads(response.read())["choices"][0]["message"]["content"] == "got it"


def test_malformed_content_length_is_answered_not_dropped(
    scripted_model: ScriptedModelFactory,
) -> None:
    server = scripted_model([{"reply": "kept"}])
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ab\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after answering
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head
    assert "malformed" in json.loads(payload)["error"]["message"]
    assert server.remaining() == 1


# --- raw wire format ------------------------------------------------------------------------


def sse_blocks(payload: bytes) -> list[list[str]]:
    return [block.splitlines() for block in payload.decode().split("\n\n") if block]


def test_chat_stream_is_data_only_and_ends_with_done(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"reply": "hi there"}])
    status, headers, payload = raw(
        server, "POST", "/v1/chat/completions", {"messages": USER, "stream": True}
    )
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["transfer-encoding"] == "chunked"
    blocks = sse_blocks(payload)
    assert all(len(block) == 1 and block[0].startswith("data: ") for block in blocks)
    assert blocks[-1] == ["data: [DONE]"]


def test_messages_stream_names_every_event(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"tool_call": {"name": "t", "arguments": {"a": 1}}}])
    _, _, payload = raw(
        server, "POST", "/v1/messages?beta=true", {"messages": USER, "stream": True}
    )
    kinds = []
    for event_line, data_line in sse_blocks(payload):
        kind = event_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == kind
        kinds.append(kind)
    assert kinds == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_responses_stream_sends_event_and_data_lines(scripted_model: ScriptedModelFactory) -> None:
    server = scripted_model([{"tool_call": {"name": "apply_patch", "input": "*** Begin Patch"}}])
    _, _, payload = raw(server, "POST", "/v1/responses", {"input": "hi", "stream": True})
    events = [
        (line[0].removeprefix("event: "), json.loads(line[1].removeprefix("data: ")))
        for line in sse_blocks(payload)
    ]
    assert all(kind == data["type"] for kind, data in events)
    kinds = [kind for kind, _ in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-2:] == ["response.output_item.done", "response.completed"]
    item = events[-2][1]["item"]
    assert (item["type"], item["name"], item["input"]) == (
        "custom_tool_call",
        "apply_patch",
        "*** Begin Patch",
    )
    usage = events[-1][1]["response"]["usage"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0}


# --- lifecycle -------------------------------------------------------------------------------


def test_client_hanging_up_mid_answer_is_quiet(
    scripted_model: ScriptedModelFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    server = scripted_model([{"reply": "x" * 5000, "delay": 0.1}])
    body = json.dumps({"messages": USER, "stream": True}).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    server.stop()
    assert server.requests[0].status == 200
    assert capfd.readouterr().err == ""


def test_lifecycle(scripted_model: ScriptedModelFactory) -> None:
    script = Script.from_steps([{"reply": "a"}, {"reply": "b", "repeat": True}])
    server = ScriptedModelServer(script)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url
    with server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.openai_base_url == server.base_url + "/v1"
        assert server.start() is server
        assert server.remaining() == 1
    server.stop()  # idempotent
    with pytest.raises(RuntimeError, match="cannot be started again"):
        server.start()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    # One Script can drive several servers: consumption state is per server.
    other = scripted_model(script)
    assert other.remaining() == 1


def test_serve_forever_returns_on_ctrl_c() -> None:
    # In a child process with a real SIGINT: an interrupt simulated in pytest's own
    # process can land after serve_forever returned and abort the whole test session.
    code = (
        "import sys\n"
        "from specloop.testing import ScriptedModelServer\n"
        "server = ScriptedModelServer([{'reply': 'served'}]).start()\n"
        "print(server.port, flush=True)\n"
        "server.serve_forever()\n"
        "print('returned', flush=True)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    port = int(child.stdout.readline())
    answer = urllib.request.urlopen(
        urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            data=json.dumps({"messages": USER}).encode(),
            headers={"Content-Type": "application/json"},
        ),
        timeout=10,
    )
    assert answer.status == 200
    answer.close()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=10)
    child.stdout.close()
    assert (child.returncode, out.strip()) == (0, "returned")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
