"""The effective configuration as the rest of specloop sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from specloop.config._schema import PRICE_KEYS, SCHEMA, ConfigValue, price_dotted

Autonomy = Literal["gated", "verified", "full"]
"""Who decides after verification: see DESIGN.md §4 step 8."""

DEFAULT_SOURCE = "default"


@dataclass(frozen=True)
class ProviderConfig:
    """Settings of one ``[providers.NAME]`` table."""

    base_url: str


@dataclass(frozen=True)
class Price:
    """One ``[prices."PROVIDER:MODEL"]`` table: US dollars per million tokens.

    ``cached_input`` is the price of input tokens read from the provider's prompt cache;
    None when the table does not set it (cached tokens then cost the ``input`` price).
    """

    input: float
    output: float
    cached_input: float | None = None


def _no_prices() -> Mapping[str, Price]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ConfigEntry:
    """One line of ``specloop config show``: a dotted key, its value and its source."""

    key: str
    value: ConfigValue
    source: str


@dataclass(frozen=True)
class Config:
    """The effective configuration: file values over defaults, environment over both.

    ``sources`` maps every dotted key (``run.autonomy``, ``providers.ollama.base_url``)
    to where its value came from: ``"default"``, ``".specloop/config.toml:7"`` (or
    without ``:LINE`` when the line is unknown) or ``"env SPECLOOP_RUN_AUTONOMY"``.
    """

    planner: str | None
    executor_model: str | None
    reviewers: tuple[str, ...]
    executor: str
    autonomy: Autonomy
    parallel: int
    timeout: int
    max_attempts: int
    sandbox: str
    spec_path: str
    tasks_dir: str
    plans_dir: str
    test_command: str | None
    diff_budget: int
    model_timeout: int
    model_max_retries: int
    # Read-only mappings are not hashable; leaving them out of the hash keeps
    # hash(config) working for callers that cache on it.
    providers: Mapping[str, ProviderConfig] = field(hash=False)
    sources: Mapping[str, str] = field(hash=False)
    # Model label ("openai:gpt-5") -> its price from [prices."LABEL"]; last, with a
    # default, so code that builds a Config by hand need not know about prices.
    prices: Mapping[str, Price] = field(default_factory=_no_prices, hash=False)

    def entries(self) -> list[ConfigEntry]:
        """Every key once, in schema order, then providers by name, then prices by label."""
        out = [
            ConfigEntry(
                key.dotted, getattr(self, key.attr), self.sources.get(key.dotted, DEFAULT_SOURCE)
            )
            for key in SCHEMA
        ]
        for name in sorted(self.providers):
            dotted = f"providers.{name}.base_url"
            source = self.sources.get(dotted, DEFAULT_SOURCE)
            out.append(ConfigEntry(dotted, self.providers[name].base_url, source))
        for label in sorted(self.prices):
            price = self.prices[label]
            for name in PRICE_KEYS:
                value: float | None = getattr(price, name)
                if value is None:
                    continue  # an optional price the file did not set
                dotted = price_dotted(label, name)
                out.append(ConfigEntry(dotted, value, self.sources.get(dotted, DEFAULT_SOURCE)))
        return out
