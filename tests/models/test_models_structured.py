"""ModelClient.structured with pydantic-ai's FunctionModel: validation, repairs, the ledger."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RequestUsage

from specloop.config import Price
from specloop.ledger import Ledger
from specloop.models import (
    CALL_EVENT,
    INVALID_OUTPUT_EVENT,
    InvalidModelOutput,
    ModelCallFailed,
    ModelClient,
    ModelSpec,
    PriceTable,
    StructuredResult,
    Usage,
)

SPEC = ModelSpec("openai", "gpt-5")
KEY = "sk-test-UNIT-7f3c9a1e5d"
ENV = {"OPENAI_API_KEY": KEY}


class Task(BaseModel):
    id: str
    depends_on: list[str]


class Plan(BaseModel):
    tasks: list[Task]


GOOD = '{"tasks": [{"id": "0x01", "depends_on": []}, {"id": "0x02", "depends_on": ["0x01"]}]}'
CYCLE = (
    '{"tasks": [{"id": "0x01", "depends_on": ["0x02"]}, {"id": "0x02", "depends_on": ["0x01"]}]}'
)
WRONG_SHAPE = '{"tasks": [{"id": 1}]}'


class Scripted:
    """A FunctionModel that answers with the next output (as a final_result call) and
    remembers every message list it was sent."""

    def __init__(
        self, *outputs: str, usage: tuple[int, int, int] = (100, 20, 0), as_text: bool = False
    ) -> None:
        self.outputs = list(outputs)
        self.seen: list[list[ModelMessage]] = []
        self.usage = usage
        self.as_text = as_text
        self.model = FunctionModel(self._respond, model_name="scripted")

    def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.seen.append(list(messages))
        text = self.outputs.pop(0)
        input_tokens, output_tokens, cached = self.usage
        usage = RequestUsage(
            input_tokens=input_tokens, output_tokens=output_tokens, cache_read_tokens=cached
        )
        if self.as_text or not info.output_tools:
            return ModelResponse(parts=[TextPart(text)], usage=usage)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, text)], usage=usage)

    def feedback(self, request: int) -> str:
        """Everything the last message of the ``request``-th request (0-based) said."""
        last = self.seen[request][-1]
        assert isinstance(last, ModelRequest)
        return "\n".join(str(getattr(part, "content", part)) for part in last.parts)


def client(
    scripted: Scripted | FunctionModel | TestModel,
    *,
    ledger: Ledger | None = None,
    run_id: int | None = None,
    spec: ModelSpec = SPEC,
    prices: PriceTable | None = None,
    repair_rounds: int = 2,
) -> ModelClient:
    model = scripted.model if isinstance(scripted, Scripted) else scripted
    return ModelClient(
        spec,
        role="planner",
        env=ENV,
        ledger=ledger,
        run_id=run_id,
        prices=prices,
        repair_rounds=repair_rounds,
        model=model,
    )


def no_cycles(plan: Plan) -> list[str]:
    deps = {task.id: task.depends_on for task in plan.tasks}
    return [
        f"dependency cycle {task} -> {dep} -> {task}"
        for task, targets in deps.items()
        for dep in targets
        if task in deps.get(dep, []) and task < dep
    ]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(tmp_path / "state" / "ledger.db")
    yield opened
    opened.close()


def usage_rows(ledger: Ledger) -> list[dict[str, Any]]:
    conn = sqlite3.connect(ledger.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM usage ORDER BY id")]
    finally:
        conn.close()


# -- valid output -------------------------------------------------------------------------


def test_valid_output_first_time() -> None:
    scripted = Scripted(GOOD)
    result = client(scripted).structured(
        stage="tasks", system="You plan.", prompt="Plan it.", output_type=Plan
    )
    assert isinstance(result, StructuredResult)
    assert [task.id for task in result.output.tasks] == ["0x01", "0x02"]
    assert result.repairs == 0
    assert result.model == "openai:gpt-5"
    assert result.duration_ms >= 0
    assert len(scripted.seen) == 1
    # The system text and the prompt both reach the model.
    first = repr(scripted.seen[0])
    assert "You plan." in first
    assert "Plan it." in first


def test_test_model_produces_schema_valid_output() -> None:
    result = client(TestModel()).structured(stage="tasks", system="s", prompt="p", output_type=Plan)
    assert isinstance(result.output, Plan)
    assert result.repairs == 0


# -- repair rounds ------------------------------------------------------------------------


def test_invalid_json_is_repaired_with_the_error_fed_back() -> None:
    scripted = Scripted('{"tasks": [', GOOD)
    result = client(scripted).structured(stage="tasks", system="s", prompt="p", output_type=Plan)
    assert result.repairs == 1
    assert len(scripted.seen) == 2
    assert "Invalid JSON" in scripted.feedback(1)


def test_plain_text_instead_of_json_is_repaired() -> None:
    scripted = Scripted("Sure! Here is the plan.", GOOD, as_text=True)
    scripted_tool = Scripted(GOOD)
    # First reply is prose, second a proper tool call.
    outputs = iter([scripted, scripted_tool])
    seen: list[list[ModelMessage]] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        return next(outputs)._respond(messages, info)

    result = client(FunctionModel(respond)).structured(
        stage="tasks", system="s", prompt="p", output_type=Plan
    )
    assert result.repairs == 1
    assert len(seen) == 2


def test_schema_violation_is_repaired_with_the_field_named() -> None:
    scripted = Scripted(WRONG_SHAPE, GOOD)
    result = client(scripted).structured(stage="tasks", system="s", prompt="p", output_type=Plan)
    assert result.repairs == 1
    feedback = scripted.feedback(1)
    assert "depends_on" in feedback  # the missing field
    assert "id" in feedback


def test_validator_problem_is_fed_back_then_fixed() -> None:
    scripted = Scripted(CYCLE, GOOD)
    result = client(scripted).structured(
        stage="tasks", system="s", prompt="p", output_type=Plan, validators=[no_cycles]
    )
    assert result.repairs == 1
    assert "dependency cycle 0x01 -> 0x02 -> 0x01" in scripted.feedback(1)
    assert no_cycles(result.output) == []


def test_several_validators_all_run_and_all_problems_are_reported() -> None:
    def two_tasks(plan: Plan) -> Sequence[str]:
        return [] if len(plan.tasks) == 2 else [f"expected 2 tasks, got {len(plan.tasks)}"]

    one = '{"tasks": [{"id": "0x01", "depends_on": ["0x01"]}]}'

    def self_loop(plan: Plan) -> list[str]:
        return [f"task {t.id} depends on itself" for t in plan.tasks if t.id in t.depends_on]

    scripted = Scripted(one, GOOD)
    result = client(scripted).structured(
        stage="tasks",
        system="s",
        prompt="p",
        output_type=Plan,
        validators=[two_tasks, self_loop],
    )
    feedback = scripted.feedback(1)
    assert "expected 2 tasks, got 1" in feedback
    assert "task 0x01 depends on itself" in feedback
    assert result.repairs == 1


def test_mixed_failures_use_up_the_repair_rounds_then_succeed() -> None:
    scripted = Scripted("not json", CYCLE, GOOD)
    result = client(scripted).structured(
        stage="tasks", system="s", prompt="p", output_type=Plan, validators=[no_cycles]
    )
    assert result.repairs == 2
    assert len(scripted.seen) == 3


# -- giving up ----------------------------------------------------------------------------


def test_three_bad_outputs_raise_invalid_model_output_and_keep_the_raw(ledger: Ledger) -> None:
    run = ledger.start_run()
    scripted = Scripted("not json", WRONG_SHAPE, '{"tasks": "nope"}')
    with pytest.raises(InvalidModelOutput) as info:
        client(scripted, ledger=ledger, run_id=run.id).structured(
            stage="tasks", system="s", prompt="p", output_type=Plan
        )
    error = info.value
    assert error.stage == "tasks"
    assert 'stage "tasks"' in str(error)
    assert "openai:gpt-5" in str(error)
    assert "2 repair rounds" in str(error)
    assert error.raw == '{"tasks": "nope"}'
    assert error.errors and "tasks" in error.errors[0]
    assert len(scripted.seen) == 3  # the first try and two repairs, no more

    events = [e for e in ledger.events(run_id=run.id) if e.kind == INVALID_OUTPUT_EVENT]
    assert len(events) == 1
    data = events[0].data
    assert data is not None
    assert data["stage"] == "tasks"
    assert data["model"] == "openai:gpt-5"
    assert data["raw"] == '{"tasks": "nope"}'
    assert data["errors"] == error.errors
    # The tokens spent on the failed call are still counted.
    (row,) = usage_rows(ledger)
    assert (row["input_tokens"], row["output_tokens"]) == (300, 60)
    assert row["stage"] == "tasks"


def test_validator_that_never_passes_reports_its_problems() -> None:
    scripted = Scripted(CYCLE, CYCLE, CYCLE)
    with pytest.raises(InvalidModelOutput) as info:
        client(scripted).structured(
            stage="tasks", system="s", prompt="p", output_type=Plan, validators=[no_cycles]
        )
    assert info.value.errors == ["dependency cycle 0x01 -> 0x02 -> 0x01"]
    assert "dependency cycle 0x01 -> 0x02 -> 0x01" in str(info.value)
    assert json.loads(info.value.raw) == json.loads(CYCLE)


def test_repair_rounds_are_configurable() -> None:
    scripted = Scripted("bad", "bad again")
    with pytest.raises(InvalidModelOutput) as info:
        client(scripted, repair_rounds=1).structured(
            stage="spec", system="s", prompt="p", output_type=Plan
        )
    assert len(scripted.seen) == 2
    assert "1 repair round:" in str(info.value)
    assert info.value.raw == "bad again"

    zero = Scripted("bad")
    with pytest.raises(InvalidModelOutput):
        client(zero, repair_rounds=0).structured(
            stage="spec", system="s", prompt="p", output_type=Plan
        )
    assert len(zero.seen) == 1


# -- usage, cost and the ledger -----------------------------------------------------------


def test_usage_and_cost_are_recorded_per_stage_role_and_model(ledger: Ledger) -> None:
    run = ledger.start_run()
    ledger.upsert_task("0x01", title="A task")
    prices = PriceTable({"openai:gpt-5": Price(input=2.0, cached_input=0.5, output=10.0)})
    scripted = Scripted("oops", GOOD, usage=(1000, 200, 400))
    result = client(scripted, ledger=ledger, run_id=run.id, prices=prices).structured(
        stage="tasks", system="s", prompt="p", output_type=Plan, task_id="0x01"
    )
    # Two requests: 2000 input tokens of which 800 cached, 400 output tokens.
    expected_cost = (1200 * 2.0 + 800 * 0.5 + 400 * 10.0) / 1_000_000
    assert result.usage == Usage(2000, 800, 400, pytest.approx(expected_cost))  # type: ignore[arg-type]

    (row,) = usage_rows(ledger)
    assert row["role"] == "planner"
    assert row["model"] == "openai:gpt-5"
    assert row["stage"] == "tasks"
    assert row["run_id"] == run.id
    assert row["task_id"] == "0x01"
    assert (row["input_tokens"], row["cached_tokens"], row["output_tokens"]) == (2000, 800, 400)
    assert row["cost_usd"] == pytest.approx(expected_cost)
    assert row["duration_ms"] == result.duration_ms

    (event,) = [e for e in ledger.events(run_id=run.id) if e.kind == CALL_EVENT]
    assert event.task_id == "0x01"
    assert event.data == {
        "stage": "tasks",
        "model": "openai:gpt-5",
        "role": "planner",
        "repairs": 1,
        "duration_ms": result.duration_ms,
    }
    (totals,) = ledger.usage_totals(run_id=run.id)
    assert (totals.role, totals.model, totals.calls) == ("planner", "openai:gpt-5", 1)


def test_unknown_price_records_cost_none_never_zero(ledger: Ledger) -> None:
    spec = ModelSpec("openai-compatible", "house-model", "http://127.0.0.1:9/v1")
    result = client(Scripted(GOOD), ledger=ledger, spec=spec).structured(
        stage="spec", system="s", prompt="p", output_type=Plan
    )
    assert result.usage.cost_usd is None
    (row,) = usage_rows(ledger)
    assert row["cost_usd"] is None
    assert row["model"] == "openai-compatible:house-model"
    (totals,) = ledger.usage_totals()
    assert totals.cost_usd is None


def test_each_stage_gets_its_own_usage_row(ledger: Ledger) -> None:
    model = client(Scripted(GOOD, GOOD, usage=(10, 5, 0)), ledger=ledger)
    model.structured(stage="spec", system="s", prompt="p", output_type=Plan)
    model.structured(stage="tasks", system="s", prompt="p", output_type=Plan)
    rows = usage_rows(ledger)
    assert [row["stage"] for row in rows] == ["spec", "tasks"]
    assert all(row["cost_usd"] == pytest.approx((10 * 1.25 + 5 * 10) / 1e6) for row in rows)


def test_without_a_ledger_the_usage_is_still_returned() -> None:
    result = client(Scripted(GOOD)).structured(stage="s", system="s", prompt="p", output_type=Plan)
    assert result.usage == Usage(100, 0, 20, pytest.approx((100 * 1.25 + 20 * 10) / 1e6))  # type: ignore[arg-type]


def test_key_never_reaches_the_ledger_or_messages(ledger: Ledger) -> None:
    run = ledger.start_run()
    # Even a model that echoes the key back does not get it into the ledger.
    scripted = Scripted(f"my key is {KEY}", f"still {KEY}", f"{KEY}")
    with pytest.raises(InvalidModelOutput) as info:
        client(scripted, ledger=ledger, run_id=run.id).structured(
            stage="tasks", system="s", prompt="p", output_type=Plan
        )
    assert KEY not in str(info.value)
    assert KEY not in info.value.raw
    assert all(KEY not in error for error in info.value.errors)
    for path in Path(ledger.path).parent.iterdir():  # the database and its WAL
        assert KEY.encode() not in path.read_bytes(), path.name
    for event in ledger.events():
        assert KEY not in json.dumps(event.data)
    assert KEY not in repr(client(Scripted()))


# -- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"repair_rounds": -1}, "repair_rounds"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ModelClient(SPEC, role="planner", env=ENV, model=TestModel(), **kwargs)


def test_validators_receive_the_parsed_output() -> None:
    got: list[Plan] = []

    def check(plan: Plan) -> list[str]:
        got.append(plan)
        return []

    client(Scripted(GOOD)).structured(
        stage="s", system="s", prompt="p", output_type=Plan, validators=[check]
    )
    assert len(got) == 1 and isinstance(got[0], Plan)


def test_one_request_has_an_overall_deadline() -> None:
    async def slow(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        await asyncio.sleep(5)
        raise AssertionError("not reached")

    model = ModelClient(
        SPEC, role="planner", env=ENV, timeout=0.2, max_retries=0, model=FunctionModel(slow)
    )
    assert model.request_deadline == pytest.approx(0.2)
    started = time.monotonic()
    with pytest.raises(ModelCallFailed) as info:
        model.structured(stage="spec", system="s", prompt="p", output_type=Plan)
    assert time.monotonic() - started < 2
    assert info.value.timed_out
    assert 'stage "spec"' in str(info.value) and "timed out after 0.2s" in str(info.value)
    # With retries, the deadline leaves room for every attempt and its Retry-After wait.
    assert (
        ModelClient(SPEC, role="planner", env=ENV, timeout=10, max_retries=2).request_deadline
        == 150
    )


def test_a_crashing_validator_is_a_bug_not_a_model_failure(ledger: Ledger) -> None:
    def broken(plan: Plan) -> list[str]:
        raise KeyError("oops")

    with pytest.raises(KeyError, match="oops"):
        client(Scripted(GOOD), ledger=ledger).structured(
            stage="tasks", system="s", prompt="p", output_type=Plan, validators=[broken]
        )
    assert len(usage_rows(ledger)) == 1  # the tokens were still spent
