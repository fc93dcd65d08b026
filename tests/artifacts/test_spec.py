"""SPEC.md: required sections in order, empty sections, open questions."""

from __future__ import annotations

from specloop.artifacts import REQUIRED_SPEC_SECTIONS, lint_spec, parse_spec


def spec(sections: list[str], questions: str = "None open.") -> str:
    parts = ["# Demo\n"]
    for name in sections:
        body = questions if name == "Open questions" else f"About {name.lower()}."
        parts.append(f"## {name}\n\n{body}\n")
    return "\n".join(parts)


def codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in lint_spec(parse_spec(text))]


def test_a_complete_spec_is_clean() -> None:
    assert codes(spec(list(REQUIRED_SPEC_SECTIONS))) == []


def test_missing_sections_are_named() -> None:
    sections = [s for s in REQUIRED_SPEC_SECTIONS if s not in ("Threat model", "Entrypoints")]
    diagnostics = lint_spec(parse_spec(spec(sections)))
    assert [d.message for d in diagnostics] == [
        'missing section "## Entrypoints"',
        'missing section "## Threat model"',
    ]


def test_sections_out_of_order_are_a_warning() -> None:
    sections = list(REQUIRED_SPEC_SECTIONS)
    sections[0], sections[1] = sections[1], sections[0]
    assert [c for c, _ in codes(spec(sections))] == ["S003"]


def test_open_questions_are_warned_about_one_by_one_with_lines() -> None:
    questions = "\n".join(
        [
            "- Should sessions sync to the cloud?",
            "- ~~Store times in UTC?~~ Resolved: yes.",
            "- Which Python versions? Resolved: 3.11+.",
            "- [x] Support Windows?",
            "- [ ] Pick a licence",
            "Plain text that is not a question.",
        ]
    )
    text = spec(list(REQUIRED_SPEC_SECTIONS), questions)
    found = parse_spec(text).open_questions()
    assert [q for _, q in found] == ["Should sessions sync to the cloud?", "Pick a licence"]
    lines = text.splitlines()
    assert all(lines[line - 1].endswith(q) for line, q in found)
    assert [c for c, _ in codes(text)] == ["S004", "S004"]


def test_headings_match_case_insensitively_and_empty_sections_warn() -> None:
    text = spec([s.upper() for s in REQUIRED_SPEC_SECTIONS]).replace("About non-goals.", "")
    assert [c for c, _ in codes(text)] == ["S005"]
