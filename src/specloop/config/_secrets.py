"""Refusing secrets: config.toml is committed to the repo, so keys must never live there.

The checks are deliberately blunt (a name containing ``token`` is refused even if it
is harmless): a false alarm costs the user one rename, a missed key costs a leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SECRET_NAME_PARTS = ("api_key", "apikey", "token", "secret", "password")

# Provider keys: OpenAI/Anthropic style ``sk-...`` (also found embedded in a command such
# as ``OPENAI_API_KEY=sk-... pytest``, where it needs some length to be told apart from
# ordinary words) and AWS access key ids.
_EMBEDDED_SK = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}")
_AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])AKIA[0-9A-Z]{16}(?![A-Za-z0-9])")

_ENV_SAFE = re.compile(r"[^A-Z0-9_]")


def is_secret_name(name: str) -> bool:
    """True for key names such as ``openai_api_key``, ``token``, ``key``."""
    low = name.lower()
    return low == "key" or any(part in low for part in _SECRET_NAME_PARTS)


def looks_like_secret_value(value: str) -> bool:
    """True for strings that look like a provider API key or an AWS key id."""
    text = value.strip()
    if text.startswith("sk-"):
        return True
    return _EMBEDDED_SK.search(text) is not None or _AWS_KEY_ID.search(text) is not None


def find_secret(doc: dict[str, object]) -> tuple[tuple[str, ...], str] | None:
    """The first secret-looking thing in a parsed document, in document order.

    Returns ``(key path, kind)``: ``"name"`` for a secret-looking key name (the name is
    safe to show), ``"value"`` for a secret-looking value and ``"pasted_name"`` for a
    key name that is itself a pasted key; in those two cases neither the value nor the
    last path element may be shown. ``None`` when the document is clean.
    """
    for path, name, value in _walk(doc):
        if name is not None:
            if looks_like_secret_value(name):
                return path, "pasted_name"
            if is_secret_name(name):
                return path, "name"
        if isinstance(value, str) and looks_like_secret_value(value):
            return path, "value"
    return None


def _walk(node: object) -> Iterator[tuple[tuple[str, ...], str | None, object]]:
    """(path, key name or None for array items, value) for every node, in document order."""
    # An explicit stack rather than recursion: tomllib accepts nesting deep enough that a
    # recursive walk, started from a deep call stack, could hit the recursion limit.
    stack: list[Iterator[tuple[tuple[str, ...], str | None, object]]] = [_children(node, ())]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        yield entry
        path, _, value = entry
        stack.append(_children(value, path))


def _children(
    node: object, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str | None, object]]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield (*path, str(name)), str(name), value
    elif isinstance(node, list):
        for item in node:
            yield path, None, item


def env_hint(path: tuple[str, ...], value: str = "") -> str:
    """The environment variable to suggest instead of a secret found at ``path``.

    ``value`` (the secret, if that is what was found) only picks the provider; it is
    never part of the result.
    """
    text = value.strip()
    if text.startswith("sk-ant-"):
        return "ANTHROPIC_API_KEY"
    if _AWS_KEY_ID.search(text) is not None and _EMBEDDED_SK.search(text) is None:
        return "AWS_ACCESS_KEY_ID"
    name = path[-1] if path else ""
    upper = _ENV_SAFE.sub("_", name.upper())
    # `openai_api_key = ...` -> OPENAI_API_KEY: the user already wrote the variable's name.
    if re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*_API_?KEY", upper):
        return upper
    # [providers.anthropic] key = ... -> ANTHROPIC_API_KEY
    if len(path) >= 3 and path[0] == "providers":
        provider = _ENV_SAFE.sub("_", path[1].upper()).strip("_")
        if provider:
            return f"{provider}_API_KEY"
    return "OPENAI_API_KEY"
