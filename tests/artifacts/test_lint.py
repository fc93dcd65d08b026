"""Lint over a project: each bad input from the issue gets its code, file and line."""

from __future__ import annotations

from conftest import Repo
from helpers import EXAMPLES, make_task
from specloop.artifacts import CODES, LintOptions, Severity, lint_project


def found(repo: Repo, **options: object) -> list[tuple[str, int, str]]:
    report = lint_project(repo.root, LintOptions(**options))  # type: ignore[arg-type]
    return [
        (d.path, d.line, d.code) for d in report.diagnostics if not d.code.startswith(("S", "A"))
    ]


def test_a_clean_project_has_no_task_diagnostics(repo: Repo) -> None:
    repo.task("0x01")
    repo.task("0x02", depends_on="[0x01]", scope=("src/other.py",))
    assert found(repo) == []


def test_the_examples_project_is_clean_even_under_strict() -> None:
    report = lint_project(EXAMPLES, LintOptions(test_command="python -m pytest -q")).strict()
    assert [d.format() for d in report.diagnostics] == []
    assert 6 <= len(report.tasks) <= 10


def test_malformed_yaml_points_at_the_line(repo: Repo) -> None:
    repo.write("tasks/0x01-a.md", "---\nid: 0x01\ntitle: x\ndepends_on: [0x02\n---\n")
    ((path, line, code),) = found(repo)
    assert (path, code) == ("tasks/0x01-a.md", "T002")
    assert line >= 4


def test_a_binary_file_in_tasks(repo: Repo) -> None:
    repo.write("tasks/diagram.png", b"\x89PNG\0\0")
    repo.write("tasks/0x01-a.md", b"\x89PNG\0\0binary")
    assert found(repo) == [("tasks/0x01-a.md", 1, "F001"), ("tasks/diagram.png", 1, "T021")]


def test_a_10_mb_task_file(repo: Repo) -> None:
    path = repo.root / "tasks" / "0x01-big.md"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    report = lint_project(repo.root)
    (diagnostic,) = [d for d in report.diagnostics if d.path == "tasks/0x01-big.md"]
    assert diagnostic.code == "F001"
    assert "10.0 MiB" in diagnostic.message


def test_non_utf8_text(repo: Repo) -> None:
    repo.write("tasks/0x01-a.md", make_task().encode().replace(b"A task", b"A t\xe2sk"))
    assert found(repo) == [("tasks/0x01-a.md", 3, "F001")]


def test_a_task_with_no_sections_names_each_missing_one(repo: Repo) -> None:
    repo.write("tasks/0x01-a.md", "---\nid: 0x01\ntitle: Bare\n---\nJust prose.\n")
    report = lint_project(repo.root)
    missing = [d.message for d in report.diagnostics if d.code == "T005"]
    assert missing == [
        'missing section "## Objective"',
        'missing section "## Files to Modify"',
        'missing section "## Steps"',
        'missing section "## Completion Criteria"',
    ]
    assert {d.line for d in report.diagnostics if d.code == "T005"} == {5}


def test_a_heading_at_the_wrong_level_gets_a_hint(repo: Repo) -> None:
    repo.write("tasks/0x01-a.md", make_task().replace("## Steps", "### Steps"))
    report = lint_project(repo.root)
    (message,) = [d.message for d in report.diagnostics if d.code == "T005"]
    assert "found a level-3 heading at line 15 (use ##)" in message


def test_duplicate_ids_across_files(repo: Repo) -> None:
    repo.task("0x01", "first")
    repo.task("0x01", "second", scope=("src/b.py",))
    assert found(repo) == [("tasks/0x01-second.md", 2, "G001")]
    report = lint_project(repo.root)
    (dup,) = [d for d in report.diagnostics if d.code == "G001"]
    assert dup.message == "duplicate id 0x01: also in tasks/0x01-first.md"


def test_a_dependency_on_itself(repo: Repo) -> None:
    repo.task("0x01", depends_on="[0x01]")
    assert found(repo) == [("tasks/0x01-task.md", 4, "G003")]


def test_a_cycle_of_length_five_is_reported_on_every_member(repo: Repo) -> None:
    for i in range(1, 6):
        repo.task(f"0x0{i}", depends_on=f"[0x0{i % 5 + 1}]", scope=(f"src/{i}.py",))
    report = lint_project(repo.root)
    cycle = [d for d in report.diagnostics if d.code == "G004"]
    assert len(cycle) == 5
    assert {d.message for d in cycle} == {
        "dependency cycle: 0x01 -> 0x02 -> 0x03 -> 0x04 -> 0x05 -> 0x01"
    }
    assert all(d.line == 4 and d.severity == Severity.ERROR for d in cycle)


def test_unknown_dependency_empty_scope_and_uncheckable_criteria(repo: Repo) -> None:
    repo.task("0x01", depends_on="[0x07]", scope=(), criteria=("It works", "All tests pass"))
    assert found(repo) == [
        ("tasks/0x01-task.md", 4, "G002"),
        ("tasks/0x01-task.md", 11, "T007"),
        ("tasks/0x01-task.md", 19, "T014"),
        ("tasks/0x01-task.md", 21, "T009"),
        ("tasks/0x01-task.md", 22, "T009"),
    ]
    # With a test command configured, "All tests pass" (line 22) becomes checkable.
    assert found(repo, test_command="pytest")[-1] == ("tasks/0x01-task.md", 21, "T009")


def test_filename_id_mismatch_and_placeholders(repo: Repo) -> None:
    repo.write("tasks/0x02-a.md", make_task("0x01", objective="Build {{feature}}"))
    assert found(repo) == [("tasks/0x02-a.md", 2, "T010"), ("tasks/0x02-a.md", 6, "T012")]


def test_overlapping_scopes_without_dependency_are_a_note(repo: Repo) -> None:
    repo.task("0x01", scope=("src/app.py",))
    repo.task("0x02", scope=("src/*.py",))
    report = lint_project(repo.root)
    (note,) = [d for d in report.diagnostics if d.code == "G005"]
    assert note.severity == Severity.INFO
    assert note.path == "tasks/0x01-task.md"
    assert "scope overlaps 0x02 (src/app.py ~ src/*.py)" in note.message


def test_an_empty_or_missing_tasks_directory(repo: Repo) -> None:
    assert found(repo) == [("tasks/", 1, "T020")]
    (repo.root / "tasks").rmdir()
    report = lint_project(repo.root)
    (missing,) = [d for d in report.diagnostics if d.code == "T020"]
    assert "does not exist" in missing.message


def test_strict_promotes_warnings_but_not_notes(repo: Repo) -> None:
    repo.task("0x01", criteria=("It works", "`true` passes"))
    report = lint_project(repo.root)
    assert report.count(Severity.ERROR) == 0
    strict = report.strict()
    assert strict.count(Severity.WARNING) == 0
    assert strict.count(Severity.ERROR) == report.count(Severity.WARNING)
    assert strict.count(Severity.INFO) == report.count(Severity.INFO)


def test_only_the_given_paths_are_reported_but_dependencies_resolve(repo: Repo) -> None:
    repo.task("0x01", criteria=("It works",))
    target = repo.task("0x02", depends_on="[0x01]", scope=("src/b.py",), criteria=("vague",))
    report = lint_project(repo.root, paths=[target])
    assert [(d.path, d.code) for d in report.diagnostics] == [
        ("tasks/0x02-task.md", "T014"),
        ("tasks/0x02-task.md", "T009"),
    ]


def test_every_emitted_code_is_documented(repo: Repo) -> None:
    repo.write("tasks/0x01-a.md", "---\nid: 0x01\n---\n")
    repo.task("0x03", depends_on="[0x03, 0x09]", scope=("/abs",), criteria=("x",))
    report = lint_project(repo.root)
    assert {d.code for d in report.diagnostics} <= set(CODES)
