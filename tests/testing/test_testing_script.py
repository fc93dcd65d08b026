"""Script parsing and validation: every mistake names the step; YAML files round-trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specloop.testing import Script, ScriptError, ToolCall, Usage, load_script
from specloop.testing._match import request_text

PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"


def test_from_steps_parses_every_kind() -> None:
    script = Script.from_steps(
        [
            {"reply": "text", "usage": {"input_tokens": 120, "output_tokens": 40}},
            {"tool_call": {"name": "apply_patch", "input": PATCH}},
            {"tool_call": {"name": "read_file", "arguments": {"path": "a.py"}, "id": "c1"}},
            {"tool_calls": [{"name": "a"}, {"name": "b", "arguments": '{"broken'}]},
            {"error": 429},
            {"error": {"status": 500, "body": {"x": 1}, "headers": {"Retry-After": 0}}},
            {"when": {"contains": ["0x03", "tests"]}, "reply": "matched", "repeat": True},
        ]
    )
    reply, patch, read, pair, rate, server, when = script.steps
    assert (reply.kind, reply.text, reply.usage) == ("reply", "text", Usage(120, 40, 0))
    assert patch.tool_calls == (ToolCall(name="apply_patch", arguments="", input=PATCH),)
    assert patch.tool_calls[0].arguments_json == json.dumps({"input": PATCH}, separators=(",", ":"))
    assert read.tool_calls[0].arguments == '{"path":"a.py"}' and read.tool_calls[0].id == "c1"
    assert [c.arguments for c in pair.tool_calls] == ["{}", '{"broken']
    # Anthropic needs an object: broken text stays visible, wrapped.
    assert pair.tool_calls[1].arguments_object == {"input": '{"broken'}
    assert rate.error is not None and (rate.error.status, rate.error.body) == (429, None)
    assert server.error is not None and server.error.headers == (("Retry-After", "0"),)
    assert when.when == ("0x03", "tests") and when.repeat
    assert when.matches("task 0x03 runs tests") and not when.matches("task 0x03")
    assert [s.index for s in script.steps] == list(range(7))
    assert Usage() == Usage(11, 7, 0)


def test_standalone_delay_delays_the_next_step_and_keeps_indexes() -> None:
    script = Script.from_steps(
        [{"delay": 1}, {"delay": 0.5}, {"reply": "late", "delay": 0.25}, {"reply": "now"}]
    )
    late, now = script.steps
    assert (late.index, late.delay) == (2, 1.75)
    assert (now.index, now.delay) == (3, 0.0)
    assert len(script) == 2


BAD: list[tuple[list[Any], int | None, str]] = [
    ([{"reply": "a"}, {"reply": "b", "tool_call": {"name": "t"}}], 2, "not reply and tool_call"),
    ([{"reply": "a"}, {"replies": "b"}], 2, "unknown key 'replies'"),
    ([{"when": {"contains": "x"}}], 1, "needs one of reply"),
    ([{"reply": 3}], 1, "reply must be a string"),
    ([{"reply": "a"}, {"tool_call": {"arguments": {}}}], 2, "tool_call.name"),
    ([{"tool_call": {"name": "t", "arguments": {}, "input": "x"}}], 1, "not both"),
    ([{"tool_call": {"name": "t", "args": {}}}], 1, "unknown key 'args'"),
    ([{"tool_call": {"name": "t", "arguments": [1]}}], 1, "arguments must be a mapping"),
    ([{"tool_calls": []}], 1, "non-empty list"),
    ([{"tool_calls": [{"name": "a"}, "b"]}], 1, "tool_calls[1] must be a mapping"),
    ([{"error": 200}], 1, "400-599"),
    ([{"error": True}], 1, "status number or a mapping"),
    ([{"error": {"status": 500, "headers": {"Bad Name": "x"}}}], 1, "not a header name"),
    ([{"error": {"status": 500, "headers": {"X": "a\nb"}}}], 1, "one line"),
    ([{"error": 500, "usage": {"input_tokens": 1}}], 1, "usage belongs"),
    ([{"reply": "a", "delay": -1}], 1, "must not be negative"),
    ([{"reply": "a", "delay": True}], 1, "number of seconds"),
    ([{"reply": "a"}, {"delay": 2}], 2, "followed by the step it delays"),
    ([{"reply": "a", "when": "x"}], 1, "when must be a mapping"),
    ([{"reply": "a", "when": {"contains": ""}}], 1, "non-empty string"),
    ([{"reply": "a", "usage": {"tokens": 1}}], 1, "unknown usage key 'tokens'"),
    ([{"reply": "a", "usage": {"input_tokens": 1, "cached_tokens": 2}}], 1, "cannot be larger"),
    ([{"reply": "a", "usage": {"output_tokens": -1}}], 1, "whole number"),
    ([{"reply": "a", "repeat": "yes"}], 1, "repeat must be true or false"),
    ([{"reply": "a"}, "reply"], 2, "a step is a mapping"),
]


@pytest.mark.parametrize(("steps", "number", "fragment"), BAD)
def test_validation_errors_name_the_step(steps: list[Any], number: int, fragment: str) -> None:
    with pytest.raises(ScriptError) as caught:
        Script.from_steps(steps, source="plan.yaml")
    assert caught.value.step == number
    assert str(caught.value).startswith(f"plan.yaml: step {number}: ")
    assert fragment in str(caught.value)


def test_a_script_must_be_a_list() -> None:
    with pytest.raises(ScriptError, match="a script is a list of steps, not dict"):
        Script.from_steps({"reply": "a"})  # type: ignore[arg-type]


def test_yaml_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_text(
        "- reply: plain assistant text\n"
        '- tool_call: {name: apply_patch, input: "*** Begin Patch\\n*** End Patch\\n"}\n'
        "- tool_call: {name: read_file, arguments: {path: src/app.py}}\n"
        "- delay: 2.5\n"
        "- when: {contains: 0x03}\n"
        "  reply: for task three\n"
        "  usage: {input_tokens: 120, output_tokens: 40, cached_tokens: 0}\n"
        "- error: {status: 429, headers: {Retry-After: '0'}}\n",
        encoding="utf-8",
    )
    script = load_script(path)
    assert script.source == str(path)
    kinds = [s.kind for s in script.steps]
    assert kinds == ["reply", "tool_calls", "tool_calls", "reply", "error"]
    assert script.steps[1].tool_calls[0].input == "*** Begin Patch\n*** End Patch\n"
    assert json.loads(script.steps[2].tool_calls[0].arguments) == {"path": "src/app.py"}
    when = script.steps[3]
    assert when.when == ("0x03",)  # not the integer 3 plain YAML would make of it
    assert (when.delay, when.usage.input_tokens) == (2.5, 120)


def test_json_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps([{"reply": "from json"}]), encoding="utf-8")
    assert load_script(path).steps[0].text == "from json"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- reply: a\n- reply: [unclosed\n", "invalid YAML at line"),
        ("- reply: a\n  reply: b\n", "duplicate key 'reply'"),
        ("", "the script is empty"),
        ("- reply: a\n- nope: 1\n", "step 2: unknown key 'nope'"),
    ],
)
def test_load_errors_name_the_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert str(caught.value).startswith(str(path))
    assert fragment in str(caught.value)


def test_missing_file_is_a_script_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read the script"):
        load_script(tmp_path / "absent.yaml")


def test_request_text_covers_the_three_wires() -> None:
    chat = {
        "messages": [
            {"role": "system", "content": "SYS-CHAT"},
            {"role": "user", "content": [{"type": "text", "text": "USER-PART"}]},
            {"role": "assistant", "tool_calls": [{"function": {"arguments": '{"p": "ARG"}'}}]},
            {"role": "tool", "tool_call_id": "ID-NOT-TEXT", "content": "TOOL-RESULT"},
        ]
    }
    responses = {
        "instructions": "INSTR",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "DEV"}],
            },
            {"type": "function_call_output", "call_id": "c", "output": "FN-OUT"},
            {"type": "custom_tool_call_output", "call_id": "c", "output": "PATCH-OUT"},
        ],
    }
    messages = {
        "system": [{"type": "text", "text": "SYS-ANTH"}],
        "messages": [
            {"role": "assistant", "content": [{"type": "tool_use", "input": {"path": "IN-ARG"}}]},
            {"role": "user", "content": [{"type": "tool_result", "content": "ANTH-RESULT"}]},
        ],
    }
    text = "\n".join(request_text(body) for body in (chat, responses, messages))
    for needle in ["SYS-CHAT", "USER-PART", "ARG", "TOOL-RESULT", "INSTR", "DEV", "FN-OUT"]:
        assert needle in text
    for needle in ["PATCH-OUT", "SYS-ANTH", "IN-ARG", "ANTH-RESULT"]:
        assert needle in text
    assert "ID-NOT-TEXT" not in text
    assert request_text({"input": "plain string input"}) == "plain string input"


def test_a_yaml_file_with_an_unhashable_key_is_a_script_error(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_text("- {[a]: 1}\n")
    with pytest.raises(ScriptError, match="unhashable key"):
        load_script(path)
