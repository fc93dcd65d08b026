"""Parsing and rendering task files: fields, exact lines, round trips, fuzzed input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import EXAMPLES, make_task
from specloop.artifacts import (
    BuiltinCheck,
    CriterionKind,
    ParseError,
    ScopeEntry,
    Task,
    classify_criterion,
    load_task,
    parse_task,
    render_task,
)

REALISTIC = """---
id: 0x03
title: Add the storage layer
depends_on: [0x01, 0x2]
timeout: 600
---

## Objective

Persist reading sessions in SQLite.

## files to modify

- src/app/store.py
- `tests/test store.py` (new)
- src/app/migrations/*.sql

## Steps

1. Create the schema.

```md
## Completion Criteria
- this heading is inside a code fence and must be ignored
```

## COMPLETION CRITERIA:

- `pytest -q tests/test_store.py` passes
- No TODOs left in code.
- It is fast
"""


def test_a_realistic_task_parses_with_every_field_and_line() -> None:
    task = parse_task(REALISTIC, source="tasks/0x03-store.md")
    assert task.id == "0x03"
    assert task.title == "Add the storage layer"
    assert task.depends_on == ("0x01", "0x02")
    assert task.options == {"timeout": 600}
    assert task.objective == "Persist reading sessions in SQLite."
    assert task.scope_patterns == (
        "src/app/store.py",
        "tests/test store.py",
        "src/app/migrations/*.sql",
    )
    assert [e.line for e in task.scope] == [14, 15, 16]
    assert task.scope[1].note == "(new)"
    assert "inside a code fence" in task.steps
    kinds = [(c.kind, c.line) for c in task.criteria]
    assert kinds == [
        (CriterionKind.COMMAND, 29),
        (CriterionKind.BUILTIN, 30),
        (CriterionKind.UNCHECKABLE, 31),
    ]
    assert task.criteria[0].command == "pytest -q tests/test_store.py"
    assert task.criteria[1].builtin == BuiltinCheck.NO_TODOS
    assert task.problems == ()


@pytest.mark.parametrize(
    ("text", "kind", "command", "builtin"),
    [
        ("`pytest -q` passes", CriterionKind.COMMAND, "pytest -q", None),
        ("Run ``echo `x` `` and it exits 0", CriterionKind.COMMAND, "echo `x`", None),
        ("no todos left in code", CriterionKind.BUILTIN, None, BuiltinCheck.NO_TODOS),
        ("All tests pass.", CriterionKind.BUILTIN, None, BuiltinCheck.ALL_TESTS_PASS),
        ("No unused imports", CriterionKind.BUILTIN, None, BuiltinCheck.NO_UNUSED_IMPORTS),
        ("The code is clean", CriterionKind.UNCHECKABLE, None, None),
        ("`` `` is empty", CriterionKind.UNCHECKABLE, None, None),
    ],
)
def test_criteria_are_classified(
    text: str, kind: CriterionKind, command: str | None, builtin: BuiltinCheck | None
) -> None:
    criterion = classify_criterion(text)
    assert (criterion.kind, criterion.command, criterion.builtin) == (kind, command, builtin)


@pytest.mark.parametrize("written", ["0x3", "0X03", "0x003", "'0x03'"])
def test_hex_ids_are_canonical_and_never_read_as_integers(written: str) -> None:
    task = parse_task(make_task(written, depends_on=f"[{written}]"))
    assert task.id == "0x03"
    assert task.depends_on == ("0x03",)


def test_an_integer_id_is_refused_with_its_line() -> None:
    with pytest.raises(ParseError, match=r"hex task id like 0x03 \(got 3\)") as caught:
        parse_task(make_task("3"))
    assert caught.value.line == 2


def test_malformed_yaml_names_the_file_line_of_the_error() -> None:
    text = "---\nid: 0x01\ntitle: [unclosed\ndepends_on: []\n---\n## Objective\nx\n"
    with pytest.raises(ParseError, match="invalid YAML") as caught:
        parse_task(text)
    assert caught.value.code == "T002"
    assert caught.value.line in (3, 4, 5)


def test_a_duplicate_front_matter_key_is_an_error_at_the_second_key() -> None:
    text = "---\nid: 0x01\ntitle: a\ntitle: b\n---\n"
    with pytest.raises(ParseError, match="duplicate key 'title'") as caught:
        parse_task(text)
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## Objective\nno front matter\n", "missing front matter"),
        ("---\nid: 0x01\ntitle: x\n", "not closed"),
        ("---\n- a\n- b\n---\n", "must be a mapping"),
        ("---\ntitle: x\n---\n", "has no id"),
    ],
)
def test_unusable_front_matter_raises_a_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse_task(text)
    assert caught.value.line >= 1


def test_bad_optional_values_and_scope_entries_are_kept_as_problems() -> None:
    text = make_task(
        scope=("/etc/passwd", "../outside.py", "src/ok.py"),
        extra_front="timeout: -5\nautonomy: yolo\nowner: me\n",
    )
    task = parse_task(text, source="t.md")
    codes = sorted(p.code for p in task.problems)
    assert codes == ["T003", "T003", "T004", "T008", "T008"]
    assert task.scope_patterns == ("src/ok.py",)
    assert "timeout" not in task.options
    assert task.options["owner"] == "me"
    absolute = next(p for p in task.problems if "absolute" in p.message)
    assert absolute.line == 16


def test_every_example_task_round_trips_through_render() -> None:
    files = sorted((EXAMPLES / "tasks").glob("*.md"))
    assert len(files) >= 6
    for path in files:
        task = load_task(path, root=EXAMPLES)
        again = parse_task(render_task(task))
        assert again == task, path.name
        assert render_task(again) == render_task(task)


_words = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
_paths = st.lists(
    st.sampled_from(["src", "tests", "docs", "a.py", "*.py", "**", "b_c.md"]),
    min_size=1,
    max_size=4,
).map("/".join)
_criteria = st.one_of(
    _words.map(lambda w: f"`{w}` passes"),
    st.sampled_from(["No TODOs left in code", "All tests pass", "No unused imports"]),
    _words,
)


@st.composite
def tasks(draw: st.DrawFn) -> Task:
    number = draw(st.integers(min_value=1, max_value=0xFFF))
    deps = draw(st.lists(st.integers(min_value=1, max_value=0xFFF), unique=True, max_size=4))
    title = draw(st.text(min_size=1, max_size=60).map(lambda s: " ".join(s.split())).filter(bool))
    return Task(
        id=f"0x{number:02x}",
        title=title,
        depends_on=tuple(f"0x{d:02x}" for d in deps),
        objective=draw(_words),
        scope=tuple(
            ScopeEntry(p, draw(st.sampled_from(["", "(new)"])))
            for p in draw(st.lists(_paths, min_size=1, max_size=3))
        ),
        steps="1. " + draw(_words),
        criteria=tuple(
            classify_criterion(c) for c in draw(st.lists(_criteria, min_size=1, max_size=3))
        ),
        options=draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "timeout": st.integers(1, 10_000),
                    "executor": st.sampled_from(["codex", "cmd:./run.sh --fast"]),
                },
            )
        ),
    )


@given(tasks())
@settings(max_examples=200, deadline=None)
def test_rendering_then_parsing_returns_the_same_task(task: Task) -> None:
    assert parse_task(render_task(task)) == task


@given(st.text(max_size=400))
@settings(max_examples=400, deadline=None)
def test_arbitrary_text_parses_or_raises_our_error_with_a_line(text: str) -> None:
    try:
        parse_task(text)
    except ParseError as exc:
        assert exc.line >= 1
        assert exc.message


@given(st.text(alphabet="-:#\n x{}[]'\"0123456789abidtle_,.", max_size=200))
@settings(max_examples=400, deadline=None)
def test_front_matter_shaped_text_parses_or_raises_our_error(body: str) -> None:
    try:
        parse_task("---\n" + body + "\n---\n## Objective\nx\n")
    except ParseError as exc:
        assert exc.line >= 1


def test_load_task_reports_the_relative_source(tmp_path: Path) -> None:
    path = tmp_path / "tasks" / "0x01-a.md"
    path.parent.mkdir()
    path.write_text(make_task(), encoding="utf-8")
    assert load_task(path, root=tmp_path).source == "tasks/0x01-a.md"


def test_an_unhashable_key_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match="unhashable key") as caught:
        parse_task("---\n{[a]: 1}\n---\n")
    assert caught.value.line == 2
