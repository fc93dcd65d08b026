"""Head+tail truncation: bounded, marker in tokens, whole characters, same result streamed."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from specloop.sandbox import truncate_middle
from specloop.sandbox._truncate import HeadTail, clip

MARKER = re.compile(r"\n…(\d+) tokens truncated…\n")


def test_short_text_is_unchanged() -> None:
    assert truncate_middle("hello", 5) == "hello"
    assert truncate_middle("", 0) == ""


def test_long_text_keeps_head_and_tail_with_the_marker() -> None:
    text = "A" * 1000 + "B" * 8000 + "C" * 1000
    out = truncate_middle(text, 2000)
    assert len(out.encode()) <= 2000
    head, tail = MARKER.split(out)[0], MARKER.split(out)[2]
    assert head.startswith("A" * 900) and set(head) == {"A"}
    assert tail.endswith("C" * 900) and set(tail) == {"C"}
    match = MARKER.search(out)
    assert match is not None
    omitted = len(text) - len(head) - len(tail)
    assert int(match.group(1)) == (omitted + 3) // 4
    assert abs(len(head) - len(tail)) <= 1


def test_multibyte_characters_are_never_split() -> None:
    text = "é" * 5000 + "漢" * 5000
    out = truncate_middle(text, 1001)
    assert "\ufffd" not in out
    assert len(out.encode()) <= 1001
    assert out.startswith("é") and out.endswith("漢")


def test_a_limit_below_the_marker_leaves_only_the_marker() -> None:
    out = truncate_middle("x" * 100, 3)
    assert MARKER.fullmatch(out) is not None


@given(st.text(max_size=400), st.integers(min_value=40, max_value=300))
@settings(max_examples=300, deadline=None)
def test_result_is_bounded_and_made_of_the_ends(text: str, limit: int) -> None:
    out = truncate_middle(text, limit)
    if len(text.encode()) <= limit:
        assert out == text
        return
    assert len(out.encode()) <= limit
    head, tokens, tail = MARKER.split(out)
    assert text.startswith(head) and text.endswith(tail)
    omitted = len(text.encode()) - len(head.encode()) - len(tail.encode())
    assert int(tokens) == (omitted + 3) // 4


@given(
    st.lists(st.binary(max_size=300), max_size=30),
    st.integers(min_value=0, max_value=500),
)
@settings(max_examples=300, deadline=None)
def test_streaming_in_chunks_gives_the_same_text(chunks: list[bytes], limit: int) -> None:
    buffer = HeadTail(limit)
    for chunk in chunks:
        buffer.feed(chunk)
    whole = b"".join(chunks)
    text, truncated = buffer.render()
    assert buffer.total == len(whole)
    assert truncated is (len(whole) > limit)
    assert text == clip(whole, whole, len(whole), limit)[0]
    if not truncated:
        assert text == whole.decode("utf-8", errors="replace")
