"""What a model call cost: a small built-in price table the user can override in config.

Prices are US dollars per million tokens. A model in neither table has an unknown
cost, recorded as None: an unknown cost is never counted as zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from specloop.config import Price

# List prices of a few well-known models (USD per million tokens: input, cached input,
# output). Anything else, or any change of price, goes in [prices."LABEL"] of the config.
# Anthropic's cache writes are billed above the input price; they count as plain input
# here, so a call that writes the cache is priced slightly low.
_BUILTIN: Mapping[str, Price] = MappingProxyType(
    {
        "openai:gpt-5": Price(input=1.25, cached_input=0.125, output=10.0),
        "openai:gpt-5-mini": Price(input=0.25, cached_input=0.025, output=2.0),
        "openai:gpt-4.1": Price(input=2.0, cached_input=0.5, output=8.0),
        "openai:gpt-4.1-mini": Price(input=0.4, cached_input=0.1, output=1.6),
        "openai:gpt-4o": Price(input=2.5, cached_input=1.25, output=10.0),
        "openai:gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.6),
        "anthropic:claude-sonnet-4-5": Price(input=3.0, cached_input=0.3, output=15.0),
        "anthropic:claude-haiku-4-5": Price(input=1.0, cached_input=0.1, output=5.0),
        "anthropic:claude-opus-4-1": Price(input=15.0, cached_input=1.5, output=75.0),
    }
)

# A dated snapshot ("claude-sonnet-4-5-20250929", "gpt-4o-2024-08-06") costs what its
# undated name costs unless the table prices the snapshot itself.
_SNAPSHOT = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2})$")

_PER = 1_000_000


class PriceTable(Mapping[str, Price]):
    """Model label -> Price; read-only. Build with ``default()`` and ``with_overrides()``."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._prices: Mapping[str, Price] = MappingProxyType(dict(prices or {}))

    @classmethod
    def default(cls) -> PriceTable:
        """The built-in prices."""
        return cls(_BUILTIN)

    def with_overrides(self, overrides: Mapping[str, Price]) -> PriceTable:
        """A new table where each label in ``overrides`` (e.g. ``Config.prices``) wins."""
        return PriceTable({**self._prices, **overrides})

    def __getitem__(self, label: str) -> Price:
        return self._prices[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def __len__(self) -> int:
        return len(self._prices)

    def __repr__(self) -> str:
        return f"PriceTable({dict(self._prices)!r})"

    def price_of(self, model_label: str) -> Price | None:
        """The price of ``model_label``, of its undated name for a dated snapshot, or None."""
        found = self._prices.get(model_label)
        if found is None:
            undated = _SNAPSHOT.sub("", model_label)
            if undated != model_label:
                found = self._prices.get(undated)
        return found

    def cost(
        self,
        model_label: str,
        *,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
    ) -> float | None:
        """USD for one call, or None when the model has no price.

        ``input_tokens`` includes ``cached_tokens`` (as providers report them); cached
        tokens cost ``cached_input``, or the full input price when that is not set.
        """
        price = self.price_of(model_label)
        if price is None:
            return None
        cached = min(max(cached_tokens, 0), max(input_tokens, 0))
        fresh = max(input_tokens, 0) - cached
        cached_price = price.input if price.cached_input is None else price.cached_input
        total = fresh * price.input + cached * cached_price + max(output_tokens, 0) * price.output
        return total / _PER
