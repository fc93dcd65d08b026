"""The YAML loader for front matter.

Plain PyYAML (YAML 1.1) reads `0x03` as the integer 3 and silently keeps the last of
two equal keys. Task ids are written `0x03`, so this loader resolves only decimal
integers, and it rejects duplicate keys with the line of the second one.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from specloop.artifacts._diagnostics import ParseError

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")


class _FrontMatterLoader(_Base):  # type: ignore[misc]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


# Copy the resolver table (it is shared with every other loader) and replace the int rule.
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_FrontMatterLoader.add_implicit_resolver(_INT, _DECIMAL, list("-+0123456789"))


def load_front_matter(text: str, first_line: int) -> Any:
    """Parse YAML that starts at file line `first_line`; errors name the file line."""
    try:
        return yaml.load(text, Loader=_FrontMatterLoader)  # a safe loader: no Python objects
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
