"""ModelClient: one role's model, asked for validated structured output.

A call sends the system text and the prompt, validates the reply against a pydantic
model and the caller's validators, and feeds every problem back for up to
``repair_rounds`` more tries (pydantic-ai's output retries). Transient HTTP failures are
retried by the provider SDK within ``max_retries``; each request is bounded by
``timeout``. Usage, cost and one event per call go to the ledger when one is given.

pydantic-ai and the provider SDKs are imported inside the methods that use them, so
importing this module costs nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from specloop.models._agent import AgentRun, run_agent
from specloop.models._build import BuiltModel, build_model, output_mode
from specloop.models._errors import InvalidModelOutput, ModelCallFailed, ModelError
from specloop.models._outcome import (
    _KEY_LIKE,
    _MAX_DETAIL,
    _REDACTED,
    _answered,
    _attempts,
    _cut,
    _detail,
    _errors_of,
    _feedback,
    _from_the_model_stack,
    _raw_output,
    _repairs,
    _replace_secrets,
    _retryable,
)
from specloop.models._prices import PriceTable
from specloop.models._spec import (
    KEY_VARS,
    ModelSpec,
    Role,
    api_key,
    endpoint,
    known_secrets,
    require_key,
    resolve_role,
)

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models import Model

    from specloop.config import Config
    from specloop.ledger import Ledger

T = TypeVar("T")

Validator = Callable[[T], Sequence[str]]
"""A check of a parsed output; returns its problems (empty when fine), one line each."""

CALL_EVENT = "model.call"
INVALID_OUTPUT_EVENT = "model.invalid_output"
CALL_FAILED_EVENT = "model.call_failed"

# The raw output kept in the ledger is cut here so one runaway reply cannot bloat it.
_MAX_RAW = 200_000
_RETRY_WAIT = 60.0
# Provider error texts may quote part of a key ("Incorrect API key provided: sk-ab***yz").
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


@dataclass(frozen=True)
class Usage:
    """Tokens and cost of one structured call, summed over its repair rounds.

    ``input_tokens`` includes ``cached_tokens`` (input read from the provider's prompt
    cache). ``cost_usd`` is None when the model has no known price.
    """

    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    """A validated output, what it cost, how long it took and how many repairs it needed."""

    output: T
    usage: Usage
    duration_ms: int
    model: str
    repairs: int


@dataclass
class _Run:
    """What one call left behind, whether it succeeded or not."""

    messages: list[ModelMessage]
    output: Any = None
    error: BaseException | None = None
    problems: list[str] | None = None  # the caller's validators' last findings


class ModelClient:
    """A model playing one role. ``structured()`` is the one way to call it.

    ``model`` injects a ready pydantic-ai model (a ``FunctionModel`` or ``TestModel`` in
    tests) instead of building one from ``spec``; ``spec`` still names it in results and
    the ledger. Keys come only from ``env``; they are never stored in the ledger or
    shown in a message.
    """

    def __init__(
        self,
        spec: ModelSpec,
        *,
        role: Role,
        env: Mapping[str, str],
        ledger: Ledger | None = None,
        run_id: int | None = None,
        prices: PriceTable | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        repair_rounds: int = 2,
        model: Model | None = None,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if max_retries < 0 or repair_rounds < 0:
            raise ValueError("max_retries and repair_rounds must be 0 or more")
        if model is None:
            require_key(spec, role=role, env=env)
        self.spec = spec
        self.role: Role = role
        self.ledger = ledger
        self.run_id = run_id
        self.prices = prices if prices is not None else PriceTable.default()
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.repair_rounds = repair_rounds
        self._model = model
        self._api_key = api_key(spec, env)
        self._secrets = known_secrets(env)

    def __repr__(self) -> str:
        return f"ModelClient({self.spec.label!r}, role={self.role!r})"

    @property
    def request_deadline(self) -> float:
        """Seconds one model request may take in all, retries and their waits included.

        Every attempt may use ``timeout``; each retry may also wait up to 60 s, the most
        ``Retry-After`` the SDKs honour. It is a backstop: ``timeout`` normally fires first.
        """
        return self.timeout * (1 + self.max_retries) + _RETRY_WAIT * self.max_retries

    @property
    def label(self) -> str:
        """``PROVIDER:MODEL`` of the model, as recorded in the ledger."""
        return self.spec.label

    def structured(
        self,
        *,
        stage: str,
        system: str,
        prompt: str,
        output_type: type[T],
        validators: Sequence[Validator[T]] = (),
        task_id: str | None = None,
    ) -> StructuredResult[T]:
        """Ask for one ``output_type`` value; validate it; repair it; record what it cost.

        Raises InvalidModelOutput when the output is still invalid after the repair
        rounds, and ModelCallFailed when the provider fails after the bounded retries or
        times out. Runs its own event loop, so it cannot be called from async code.
        """
        import asyncio  # ~25 ms to import; only a model call needs it

        started = time.monotonic()
        run = asyncio.run(self._run(system, prompt, output_type, validators))
        duration_ms = int((time.monotonic() - started) * 1000)
        usage = self._usage(run.messages)
        repairs = _repairs(run.messages)
        if run.error is None:
            self._record(usage, stage, task_id, duration_ms)
            self._event(
                CALL_EVENT,
                task_id,
                {
                    "stage": stage,
                    "model": self.label,
                    "role": self.role,
                    "repairs": repairs,
                    "duration_ms": duration_ms,
                },
            )
            return StructuredResult(run.output, usage, duration_ms, self.label, repairs)
        if _answered(run.messages):  # tokens were spent even though the call failed
            self._record(usage, stage, task_id, duration_ms)
        if not _from_the_model_stack(run.error):
            # A caller's validator that crashed is a bug to see with its traceback, not a
            # model failure to retry or report.
            raise run.error
        failure = self._failure(run, stage)
        if isinstance(failure, InvalidModelOutput):
            data: dict[str, Any] = {
                "stage": stage,
                "model": self.label,
                "role": self.role,
                "raw": failure.raw,
                "errors": failure.errors,
            }
            self._event(INVALID_OUTPUT_EVENT, task_id, data)
        else:
            data = {"stage": stage, "model": self.label, "role": self.role, "reason": str(failure)}
            if isinstance(failure, ModelCallFailed):
                data["status"] = failure.status
            self._event(CALL_FAILED_EVENT, task_id, data)
        raise failure

    # -- the call ---------------------------------------------------------------------

    async def _run(
        self,
        system: str,
        prompt: str,
        output_type: type[T],
        validators: Sequence[Validator[T]],
    ) -> _Run:
        from pydantic_ai import Agent, ModelRetry, PromptedOutput, capture_run_messages

        run = _Run(messages=[])
        model, built = self._pydantic_model()
        mode = "tool" if built is None else output_mode(self.spec.provider)
        output_spec: Any = PromptedOutput(output_type) if mode == "prompted" else output_type
        agent: Any = Agent(
            model,
            name=f"specloop-{self.role}",
            output_type=output_spec,
            instructions=system,
            retries={"output": self.repair_rounds, "tools": self.repair_rounds},
            # The SDK's timeout re-arms on each retry and, on a stream, on each chunk; this
            # deadline bounds one whole request, so a server that trickles cannot stall it.
            model_settings={"request_timeout": self.request_deadline},
        )

        def check(output: Any) -> Any:
            problems = [str(p) for validator in validators for p in validator(output)]
            if problems:
                run.problems = problems
                raise ModelRetry(_feedback(problems))
            run.problems = None
            return output

        if validators:
            agent.output_validator(check)
        try:
            with capture_run_messages() as messages:
                try:
                    result = await agent.run(prompt)
                    run.output = result.output
                except Exception as exc:
                    run.error = exc
                finally:
                    run.messages = list(messages)
        finally:
            if built is not None:
                await built.aclose()
        return run

    def _pydantic_model(self) -> tuple[Model, BuiltModel | None]:
        """The injected model, or a freshly built one with the client to close after the call."""
        if self._model is not None:
            return self._model, None
        built = build_model(
            self.spec, api_key=self._api_key, timeout=self.timeout, max_retries=self.max_retries
        )
        return built.model, built

    # -- the agent loop ----------------------------------------------------------------

    def run_agent(
        self,
        *,
        stage: str,
        system: str,
        prompt: str,
        tools: Sequence[Callable[..., str]],
        max_turns: int = 50,
        task_id: str | None = None,
        timeout: float | None = None,
        run_id: int | None = None,
        attempt_id: int | None = None,
    ) -> AgentRun:
        """Let the model work with ``tools`` until it answers in text, or a limit stops it.

        Each tool is a plain function returning a string; its name, type hints and
        docstring become the tool's schema. ``max_turns`` bounds the model requests and
        ``timeout`` the whole run's wall-clock time; reaching either is reported in
        ``AgentRun.stopped``, not raised. Provider failures raise ModelCallFailed as in
        ``structured()``. Usage goes to the ledger with the role, stage, task and
        attempt, plus one ``model.agent`` event; ``run_id`` overrides the client's run
        for these records. Runs its own event loop.
        """
        return run_agent(
            self,
            stage=stage,
            system=system,
            prompt=prompt,
            tools=tools,
            max_turns=max_turns,
            task_id=task_id,
            timeout=timeout,
            ids=(self.run_id if run_id is None else run_id, attempt_id),
        )

    def scrub(self, text: str) -> str:
        """``text`` with every key this client knows, and anything shaped like one, redacted."""
        return self._scrub(text)

    # -- turning a failure into a specloop error ---------------------------------------

    def _failure(self, run: _Run, stage: str) -> ModelError:
        from pydantic_ai.exceptions import (
            ModelAPIError,
            ModelConnectionError,
            ModelHTTPError,
            ModelRequestTimeout,
            ModelTimeoutError,
            UnexpectedModelBehavior,
        )

        exc = run.error
        assert exc is not None
        where = f'stage "{stage}": {self.label}'
        retried = 1 + self.max_retries
        if isinstance(exc, ModelRequestTimeout):
            return ModelCallFailed(
                f"{where} timed out after {exc.timeout:g}s without a complete answer"
                f" (the limit for one request, {_attempts(retried)} included)",
                stage=stage,
                model=self.label,
                timed_out=True,
            )
        if isinstance(exc, ModelTimeoutError):
            return ModelCallFailed(
                f"{where} timed out after {self.timeout:g}s"
                f" (each of {_attempts(retried)}); the model server did not answer in time",
                stage=stage,
                model=self.label,
                timed_out=True,
                attempts=retried,
            )
        if isinstance(exc, ModelHTTPError):
            status = exc.status_code
            attempts = retried if _retryable(status) else 1
            detail = _detail(exc.body, self._secrets)
            message = f"{where} failed with HTTP {status} after {_attempts(attempts)}"
            if detail:
                message += f": {detail}"
            message += self._hint(status)
            return ModelCallFailed(
                message, stage=stage, model=self.label, status=status, attempts=attempts
            )
        if isinstance(exc, ModelConnectionError):
            url = _USERINFO.sub("", endpoint(self.spec))
            return ModelCallFailed(
                f"{where} could not be reached at {url} after {_attempts(retried)}"
                f" ({self._scrub(type(exc.__cause__ or exc).__name__)})",
                stage=stage,
                model=self.label,
                attempts=retried,
            )
        if isinstance(exc, ModelAPIError):
            return ModelCallFailed(
                f"{where} failed: {self._scrub(exc.message)[:_MAX_DETAIL]}",
                stage=stage,
                model=self.label,
            )
        if isinstance(exc, UnexpectedModelBehavior):
            raw = _raw_output(run.messages)
            raw = _cut(_replace_secrets(raw, self._secrets), _MAX_RAW)
            errors = [self._scrub(e) for e in _errors_of(exc, run.problems)]
            first = errors[0] if errors else exc.message
            return InvalidModelOutput(
                f"{where} returned invalid output after {self.repair_rounds} repair"
                f" round{'s' if self.repair_rounds != 1 else ''}: {_cut(first, _MAX_DETAIL)}",
                stage=stage,
                model=self.label,
                raw=raw,
                errors=errors,
            )
        # Anything else from pydantic-ai or an SDK (a UserError, an unexpected SDK error)
        # is still reported as a failed call, and still must not leak a key.
        return ModelCallFailed(
            f"{where} failed: {type(exc).__name__}: {self._scrub(str(exc))[:_MAX_DETAIL]}",
            stage=stage,
            model=self.label,
        )

    def _hint(self, status: int) -> str:
        var = KEY_VARS.get(self.spec.provider)
        if status in (401, 403) and var is not None:
            return f"; check that {var} holds a valid key"
        if status == 404:
            return f"; check the model name {self.spec.name!r} and the base URL"
        return ""

    def _scrub(self, text: str) -> str:
        return _KEY_LIKE.sub("sk-" + _REDACTED, _replace_secrets(text, self._secrets))

    # -- usage and the ledger ----------------------------------------------------------

    def _usage(self, messages: Sequence[ModelMessage]) -> Usage:
        from pydantic_ai.messages import ModelResponse

        input_tokens = cached_tokens = output_tokens = 0
        for message in messages:
            if isinstance(message, ModelResponse):
                input_tokens += message.usage.input_tokens
                cached_tokens += message.usage.cache_read_tokens
                output_tokens += message.usage.output_tokens
        cost = self.prices.cost(
            self.label,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=cached_tokens,
        )
        return Usage(input_tokens, cached_tokens, output_tokens, cost)

    def _record(
        self,
        usage: Usage,
        stage: str,
        task_id: str | None,
        duration_ms: int,
        *,
        ids: tuple[int | None, int | None] | None = None,
    ) -> None:
        """Record usage; ``ids`` = (run_id, attempt_id) overrides (self.run_id, None)."""
        if self.ledger is None:
            return
        run_id, attempt_id = (self.run_id, None) if ids is None else ids
        self.ledger.record_usage(
            role=self.role,
            model=self.label,
            stage=stage,
            input_tokens=usage.input_tokens,
            cached_tokens=usage.cached_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=usage.cost_usd,
            run_id=run_id,
            task_id=task_id,
            attempt_id=attempt_id,
            duration_ms=duration_ms,
        )

    def _event(
        self,
        kind: str,
        task_id: str | None,
        data: dict[str, Any],
        *,
        ids: tuple[int | None, int | None] | None = None,
    ) -> None:
        if self.ledger is None:
            return
        run_id, attempt_id = (self.run_id, None) if ids is None else ids
        self.ledger.append_event(
            kind, run_id=run_id, task_id=task_id, attempt_id=attempt_id, data=data
        )


def open_model(
    config: Config,
    role: Role,
    env: Mapping[str, str],
    *,
    ledger: Ledger | None = None,
    run_id: int | None = None,
) -> ModelClient:
    """The client for ``role`` as configured, priced by the built-in table plus ``[prices]``.

    Raises NoModelConfigured when the role has no model or its key is missing. Nothing
    is imported or sent until the first call.
    """
    spec = resolve_role(config, role, env)
    prices = PriceTable.default().with_overrides(config.prices)
    return ModelClient(
        spec,
        role=role,
        env=env,
        ledger=ledger,
        run_id=run_id,
        prices=prices,
        timeout=float(config.model_timeout),
        max_retries=config.model_max_retries,
    )
