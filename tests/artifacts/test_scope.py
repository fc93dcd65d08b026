"""Scope globs: matching paths, and overlap that never misses a real shared file."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specloop.artifacts import matches, patterns_may_overlap


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/app.py", "src/app.py", True),
        ("src/app.py", "src/app.pyc", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/pkg/a.py", False),
        ("src/**/*.py", "src/a.py", True),
        ("src/**/*.py", "src/pkg/deep/a.py", True),
        ("src/", "src/pkg/a.py", True),
        ("./src//a.py", "src/a.py", True),
        ("tests/test_[ab].py", "tests/test_b.py", True),
        ("tests/test_[!ab].py", "tests/test_b.py", False),
        ("docs/?.md", "docs/ab.md", False),
    ],
)
def test_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/a.py", "src/a.py", True),
        ("src/a.py", "src/b.py", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "tests/a.py", False),
        ("src/**", "src/pkg/x.txt", True),
        ("src/*.py", "src/*.md", False),
        ("src/a*", "src/*b", True),
        ("**/*.py", "docs/x.md", False),
        ("docs/", "docs/guide/intro.md", True),
    ],
)
def test_overlap(a: str, b: str, expected: bool) -> None:
    assert patterns_may_overlap(a, b) is expected
    assert patterns_may_overlap(b, a) is expected


_segment = st.sampled_from(["a", "b", "ab", "x.py", "y.md", "*", "*.py", "a*", "?", "**"])
_pattern = st.lists(_segment, min_size=1, max_size=4).map("/".join)
_path = st.lists(
    st.sampled_from(["a", "b", "ab", "x.py", "y.md", "ba"]), min_size=1, max_size=5
).map("/".join)


@given(_pattern, _pattern, _path)
@settings(max_examples=600, deadline=None)
def test_overlap_never_misses_a_path_both_patterns_match(a: str, b: str, path: str) -> None:
    if matches(a, path) and matches(b, path):
        assert patterns_may_overlap(a, b)
