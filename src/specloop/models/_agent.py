"""An agent loop over one role's model: plain-function tools, text out, bounded turns and time.

``ModelClient.run_agent`` delegates here. Unlike ``structured()``, running out of turns
or time is an ordinary way for an agent to stop (the work it did so far is still in
the worktree and verification judges it), so both come back as ``AgentRun.stopped``
rather than as exceptions. Failures of the provider itself still raise
``ModelCallFailed``, exactly as ``structured()`` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specloop.models._outcome import _answered, _from_the_model_stack

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage

    from specloop.models._client import ModelClient, Usage

AGENT_EVENT = "model.agent"

# A model that sends malformed tool arguments gets the validation error back this many
# times in a row before the run gives up on it.
_TOOL_RETRIES = 3


@dataclass(frozen=True)
class AgentRun:
    """What an agent run produced.

    ``text`` is the model's last text (its final answer when it finished); ``turns`` the
    number of model responses; ``stopped`` is None when the model finished by itself,
    else why the run was stopped ("turn limit of 50 reached", "timed out after 600s").
    """

    text: str
    usage: Usage
    turns: int
    duration_ms: int
    stopped: str | None


@dataclass
class _Outcome:
    messages: list[ModelMessage]
    text: str = ""
    error: BaseException | None = None


def run_agent(
    client: ModelClient,
    *,
    stage: str,
    system: str,
    prompt: str,
    tools: Sequence[Callable[..., str]],
    max_turns: int,
    task_id: str | None,
    timeout: float | None,
    ids: tuple[int | None, int | None],
) -> AgentRun:
    """Run the loop; see ``ModelClient.run_agent``. ``ids`` is (run_id, attempt_id)."""
    import asyncio  # only a model call needs it

    if max_turns < 1:
        raise ValueError(f"max_turns must be 1 or more, got {max_turns!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    started = time.monotonic()
    outcome = asyncio.run(_loop(client, system, prompt, tools, max_turns, timeout))
    duration_ms = int((time.monotonic() - started) * 1000)
    usage = client._usage(outcome.messages)
    turns = _turns(outcome.messages)
    stopped = None
    if outcome.error is not None:
        stopped = _stopped(client, outcome.error, max_turns, timeout)
        if stopped is None:
            if _answered(outcome.messages):  # tokens were spent even though the run failed
                client._record(usage, stage, task_id, duration_ms, ids=ids)
            if not _from_the_model_stack(outcome.error):
                raise outcome.error  # a bug in a tool: to be seen with its traceback
            raise _failure(client, outcome, stage, task_id, ids)
    text = outcome.text if outcome.error is None else _last_text(outcome.messages)
    client._record(usage, stage, task_id, duration_ms, ids=ids)
    client._event(
        AGENT_EVENT,
        task_id,
        {
            "stage": stage,
            "model": client.label,
            "role": client.role,
            "turns": turns,
            "stopped": stopped,
            "duration_ms": duration_ms,
        },
        ids=ids,
    )
    return AgentRun(client.scrub(text), usage, turns, duration_ms, stopped)


async def _loop(
    client: ModelClient,
    system: str,
    prompt: str,
    tools: Sequence[Callable[..., str]],
    max_turns: int,
    timeout: float | None,
) -> _Outcome:
    from pydantic_ai import Agent, capture_run_messages
    from pydantic_ai.usage import UsageLimits

    outcome = _Outcome(messages=[])
    model, built = client._pydantic_model()
    agent: Any = Agent(
        model,
        name=f"specloop-{client.role}",
        output_type=str,
        instructions=system,
        tools=list(tools),
        retries={"tools": _TOOL_RETRIES, "output": client.repair_rounds},
        model_settings={"request_timeout": client.request_deadline},
    )
    try:
        with capture_run_messages() as messages:
            try:
                result = await agent.run(
                    prompt,
                    usage_limits=UsageLimits(request_limit=max_turns),
                    timeout=timeout,
                )
                outcome.text = str(result.output)
            except Exception as exc:
                outcome.error = exc
            finally:
                outcome.messages = list(messages)
    finally:
        if built is not None:
            await built.aclose()
    return outcome


def _failure(
    client: ModelClient,
    outcome: _Outcome,
    stage: str,
    task_id: str | None,
    ids: tuple[int | None, int | None],
) -> Exception:
    """The ModelCallFailed for a provider failure, recorded like ``structured()`` records it."""
    from specloop.models._client import CALL_FAILED_EVENT, _Run
    from specloop.models._errors import ModelCallFailed

    failure = client._failure(_Run(messages=outcome.messages, error=outcome.error), stage)
    data: dict[str, Any] = {
        "stage": stage,
        "model": client.label,
        "role": client.role,
        "reason": str(failure),
    }
    if isinstance(failure, ModelCallFailed):
        data["status"] = failure.status
    client._event(CALL_FAILED_EVENT, task_id, data, ids=ids)
    return failure


def _stopped(
    client: ModelClient, exc: BaseException, max_turns: int, timeout: float | None
) -> str | None:
    """Why the run stopped when that is an agent's ordinary end, else None (a failure)."""
    from pydantic_ai.exceptions import RunTimedOut, UnexpectedModelBehavior, UsageLimitExceeded

    if isinstance(exc, UsageLimitExceeded):
        return f"turn limit of {max_turns} reached"
    if isinstance(exc, RunTimedOut):
        return f"timed out after {timeout:g}s" if timeout is not None else "timed out"
    if isinstance(exc, UnexpectedModelBehavior):
        # For example malformed tool calls past the retries: the model stopped working,
        # but what it already changed is real and verification decides on it.
        return f"model misbehaved: {client.scrub(exc.message)[:200]}"
    return None


def _turns(messages: Sequence[ModelMessage]) -> int:
    from pydantic_ai.messages import ModelResponse

    return sum(1 for message in messages if isinstance(message, ModelResponse))


def _last_text(messages: Sequence[ModelMessage]) -> str:
    from pydantic_ai.messages import ModelResponse, TextPart

    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            texts = [part.content for part in message.parts if isinstance(part, TextPart)]
            if texts:
                return "\n".join(texts)
    return ""
