"""Diagnostics and the parse error: what every check in this package reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a diagnostic matters; `--strict` turns warnings into errors."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about one place in one file (paths are relative to the project root)."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str

    def format(self) -> str:
        """The one-line form `path:line:col: CODE severity: message`."""
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.severity}: {self.message}"

    def as_json(self) -> dict[str, object]:
        """The JSON shape of DESIGN.md §9."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
        }


class ParseError(Exception):
    """A file could not be read as what it claims to be.

    Always carries the line (1-based) where the problem is, so a message can point at it.
    """

    def __init__(self, message: str, *, line: int, column: int = 1, code: str = "T002") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code

    def to_diagnostic(self, path: str) -> Diagnostic:
        """This error as an error diagnostic for `path`."""
        return Diagnostic(path, self.line, self.column, self.code, Severity.ERROR, self.message)
