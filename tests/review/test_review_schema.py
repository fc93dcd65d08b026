"""The reviewer output schema and the checks that send an answer back for repair."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from review_support import finding, output

from specloop.review import ReviewOutput, finding_problems, output_validator


def parse(*findings: dict[str, object], correct: bool | None = None) -> ReviewOutput:
    return ReviewOutput.model_validate(output(*findings, correct=correct))


def test_a_good_answer_has_no_problems() -> None:
    answer = parse(finding())
    assert output_validator(security=False)(answer) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"title": "Do not pass the path to a shell"}, "must start with its tag"),
        ({"title": "[P0] Do not pass the path to a shell"}, "does not match priority 1"),
        ({"start": 9, "end": 5}, "end 5 is before start 9"),
    ],
)
def test_content_problems_are_named(change: dict[str, object], problem: str) -> None:
    (found,) = parse(finding(**change)).findings  # type: ignore[arg-type]
    assert any(problem in p for p in finding_problems(found, security=False))


@pytest.mark.parametrize(
    "change",
    [
        {"title": "[P1] " + "x" * 80},  # over 80 characters
        {"body": "   "},  # a P1 without a reason: repaired, never kept
        {"priority": 4, "title": "[P3] x"},
        {"category": "style"},
        {"confidence": 1.5},
    ],
)
def test_schema_violations_are_rejected(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        parse(finding(**change))  # type: ignore[arg-type]


def test_a_p0_with_an_empty_body_is_invalid_so_it_goes_back_for_repair() -> None:
    with pytest.raises(ValidationError, match="body must explain"):
        parse(finding("[P0] Remove the shell call", priority=0, body=""))


def test_the_verdict_is_one_of_two_phrases() -> None:
    data = output()
    data["overall_correctness"] = "looks good"
    with pytest.raises(ValidationError):
        ReviewOutput.model_validate(data)


def test_security_findings_need_an_attack_vector_and_a_mitigation_in_security_mode() -> None:
    answer = parse(finding())
    assert output_validator(security=False)(answer) == []
    problems = output_validator(security=True)(answer)
    assert len(problems) == 2 and "attack_vector" in problems[0] and "mitigation" in problems[1]
    complete = parse(finding(attack_vector="a crafted path", mitigation="use subprocess lists"))
    assert output_validator(security=True)(complete) == []
    other = parse(finding(category="performance"))
    assert output_validator(security=True)(other) == []
