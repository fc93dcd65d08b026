"""The exceptions of specloop.models: one base class, one subclass per way a call fails.

Messages never carry an API key: they are built from the stage, the model label, an
HTTP status or a timeout, and text that has been scrubbed of every key specloop knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ModelError(Exception):
    """Any failure of specloop.models; ``stage`` names the planning stage when known."""

    def __init__(self, message: str, *, stage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments break the default pickling (which calls cls(*args));
        # rebuild from the message and restore the attributes instead.
        return (self.__class__, (self.message,), self.__dict__)


class NoModelConfigured(ModelError):
    """A role has no model, or its model lacks a key or base URL; the message says which setting.

    ``role`` is the role asked for; ``env_var`` the variable that would fix it, when
    one variable would (the missing API key's name, never its value).
    """

    def __init__(
        self,
        message: str,
        *,
        role: str | None = None,
        env_var: str | None = None,
        stage: str | None = None,
    ) -> None:
        super().__init__(message, stage=stage)
        self.role = role
        self.env_var = env_var


class ModelCallFailed(ModelError):
    """The provider could not be reached or kept failing after the bounded retries.

    ``status`` is the last HTTP status when there was one; ``timed_out`` is True when
    the call ran out of time; ``attempts`` is how many requests the last call made.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str | None = None,
        model: str | None = None,
        status: int | None = None,
        timed_out: bool = False,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, stage=stage)
        self.model = model
        self.status = status
        self.timed_out = timed_out
        self.attempts = attempts


class InvalidModelOutput(ModelError):
    """The model's output stayed invalid through every repair round.

    ``raw`` is the last output as the model sent it; ``errors`` are the problems found
    in it (JSON, schema or validator), one line each.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str | None = None,
        model: str | None = None,
        raw: str = "",
        errors: Sequence[str] = (),
    ) -> None:
        super().__init__(message, stage=stage)
        self.model = model
        self.raw = raw
        self.errors = list(errors)
