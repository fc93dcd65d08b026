"""The one exception the config package raises, and how values are shown in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Long values are cut so every message stays on one readable line.
_MAX_SHOWN = 60


class ConfigError(Exception):
    """A configuration problem the user must fix; ``str()`` is one line naming where.

    ``path`` is the config file (absolute, as read) when the problem is in the file,
    ``line`` its 1-based line when known, ``key`` the dotted key concerned (e.g.
    ``run.autonomy``) and ``env_var`` the environment variable when the bad value
    came from the environment. ``str()`` starts with ``.specloop/config.toml:7:`` (the
    path as the user knows it, relative to the project root) or with the variable name.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        key: str | None = None,
        env_var: str | None = None,
        shown_path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        self.env_var = env_var
        self.shown_path = shown_path

    def __str__(self) -> str:
        if self.env_var is not None:
            return f"{self.env_var}: {self.message}"
        if self.path is None:
            return self.message
        where = self.shown_path if self.shown_path is not None else str(self.path)
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # The keyword-only constructor would break the default pickling (which calls
        # cls(*args)); rebuild from the message and restore the attributes instead.
        return (self.__class__, (self.message,), self.__dict__)


def shown(value: object) -> str:
    """A short, single-line rendering of a TOML value for an error message.

    Strings keep their quotes (so ``'4'`` reads as text, unlike ``4``); containers are
    named, not dumped, so a message never carries a whole table of user data.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if len(value) > _MAX_SHOWN:
            return repr(value[:_MAX_SHOWN]) + "..."
        return repr(value)
    if isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"
