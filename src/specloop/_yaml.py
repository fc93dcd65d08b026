"""The strict YAML loader specloop reads user-written YAML with.

Plain PyYAML (YAML 1.1) reads `0x03` as the integer 3 and silently keeps the last of
two equal keys. Task ids are written `0x03`, so this loader resolves only decimal
integers, and it rejects duplicate keys at the second one. A leaf module (it imports
only PyYAML) so that packages which import nothing of specloop may still share it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")


class StrictLoader(_Base):  # type: ignore[misc]
    """Safe loading, decimal-only integers, and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                continue  # unhashable keys are refused by the base class with a mark
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


# Copy the resolver table (it is shared with every other loader) and replace the int rule.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(_INT, _DECIMAL, list("-+0123456789"))


def load_strict(text: str) -> Any:
    """Parse YAML with `StrictLoader`; raises yaml.YAMLError (with marks) on bad input."""
    return yaml.load(text, Loader=StrictLoader)  # a safe loader: builds no Python objects
