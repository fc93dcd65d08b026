"""PriceTable: the built-in prices, overrides from config, and unknown prices."""

from __future__ import annotations

import pytest

from specloop.config import Price
from specloop.models import PriceTable


def test_builtin_table_prices_well_known_models() -> None:
    table = PriceTable.default()
    for label in ("openai:gpt-5", "openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5"):
        assert label in table
    # gpt-5: $1.25 input, $0.125 cached input, $10 output per million tokens.
    cost = table.cost("openai:gpt-5", input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost == pytest.approx(11.25)
    assert table.cost(
        "openai:gpt-5", input_tokens=1_000_000, cached_tokens=1_000_000, output_tokens=0
    ) == pytest.approx(0.125)


def test_unknown_models_cost_none_never_zero() -> None:
    table = PriceTable.default()
    assert table.cost("openai:gpt-7-ultra", input_tokens=10, output_tokens=10) is None
    assert table.cost("ollama:llama3.1", input_tokens=10, output_tokens=10) is None
    assert table.cost("openai-compatible:x", input_tokens=0, output_tokens=0) is None
    assert table.price_of("nonsense") is None


def test_overrides_win_and_add_models() -> None:
    table = PriceTable.default().with_overrides(
        {
            "openai:gpt-5": Price(input=1.0, output=1.0),
            "ollama:llama3.1": Price(input=0.0, output=0.0),
        }
    )
    assert table.cost("openai:gpt-5", input_tokens=2_000_000, output_tokens=0) == 2.0
    # Free is a price: a local model priced at 0 in config costs 0, not None.
    assert table.cost("ollama:llama3.1", input_tokens=5, output_tokens=5) == 0.0
    # The default table is unchanged.
    assert PriceTable.default().cost(
        "openai:gpt-5", input_tokens=1_000_000, output_tokens=0
    ) == pytest.approx(1.25)


def test_cached_tokens_cost_the_input_price_when_no_cached_price() -> None:
    table = PriceTable({"openai:x": Price(input=4.0, output=8.0)})
    assert table.cost(
        "openai:x", input_tokens=1_000_000, cached_tokens=500_000, output_tokens=0
    ) == pytest.approx(4.0)


def test_cached_tokens_are_part_of_input_tokens() -> None:
    table = PriceTable({"openai:x": Price(input=10.0, cached_input=1.0, output=0.0)})
    # 1000 input of which 400 cached: 600 at $10 + 400 at $1.
    assert table.cost(
        "openai:x", input_tokens=1000, cached_tokens=400, output_tokens=0
    ) == pytest.approx((600 * 10 + 400 * 1) / 1e6)
    # A provider reporting more cached than input tokens never yields a negative part.
    assert table.cost("openai:x", input_tokens=10, cached_tokens=50, output_tokens=0) == (
        pytest.approx(10 * 1.0 / 1e6)
    )


def test_dated_snapshots_use_the_undated_price() -> None:
    table = PriceTable.default()
    assert table.price_of("anthropic:claude-sonnet-4-5-20250929") == table.price_of(
        "anthropic:claude-sonnet-4-5"
    )
    assert table.price_of("openai:gpt-4o-2024-08-06") == table.price_of("openai:gpt-4o")
    own = table.with_overrides({"openai:gpt-4o-2024-08-06": Price(input=9.0, output=9.0)})
    assert own.price_of("openai:gpt-4o-2024-08-06") == Price(input=9.0, output=9.0)


def test_table_is_a_read_only_mapping() -> None:
    table = PriceTable({"openai:x": Price(input=1.0, output=2.0)})
    assert dict(table) == {"openai:x": Price(input=1.0, output=2.0)}
    assert len(table) == 1
    with pytest.raises(TypeError):
        table["openai:y"] = Price(input=1.0, output=1.0)  # type: ignore[index]
