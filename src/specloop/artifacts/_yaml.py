"""Front matter YAML, read with specloop's strict loader; errors name the file line."""

from __future__ import annotations

from typing import Any

import yaml

from specloop._yaml import load_strict
from specloop.artifacts._diagnostics import ParseError


def load_front_matter(text: str, first_line: int) -> Any:
    """Parse YAML that starts at file line `first_line`; errors name the file line."""
    try:
        return load_strict(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        column = (mark.column + 1) if mark else 1
        problem = exc.problem or "invalid YAML"
        raise ParseError(
            f"invalid YAML in front matter: {problem}", line=line, column=column, code="T002"
        ) from None
    except yaml.YAMLError as exc:
        raise ParseError(
            f"invalid YAML in front matter: {exc}", line=first_line, code="T002"
        ) from None
