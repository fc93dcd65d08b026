"""The always-on built-in checks on real commits: TODOs, diff budget, tests kept, secrets."""

from __future__ import annotations

import pytest
from verify_repo import GitRepo, task

from specloop.verify import CheckResult, CheckStatus, Verification, VerifyOptions, is_test_path

SCOPE = ("src/", "tests/", "config/")
# Built at run time so this file never holds anything a secret scanner would flag.
FAKE_AWS_KEY = "AKIA" + "Q7XJ2M4P9TBV3KWZ"


def check(verification: Verification, name: str) -> CheckResult:
    (found,) = [c for c in verification.checks if c.name == name]
    return found


def test_a_todo_on_an_added_line_fails_with_file_and_line(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "a = 1\n# TODO: an old marker, not the attempt's\nb = 2\n")
    base = git_repo.commit("base")
    git_repo.write(
        "src/app.py",
        "a = 1\n# TODO: an old marker, not the attempt's\nb = 3\nc = 4  # FIXME later\n",
    )
    git_repo.write("src/new.py", "def f():\n    pass  # XXX\n")
    head = git_repo.commit("head")
    todos = check(git_repo.verify(task(SCOPE), base, head), "no-todos")
    assert todos.status is CheckStatus.FAILED and todos.blocking and todos.kind == "builtin"
    assert "src/app.py:4: c = 4  # FIXME later" in todos.output
    assert "src/new.py:2: pass  # XXX" in todos.output
    assert "old marker" not in todos.output
    assert todos.output.startswith("2 added line(s)")


def test_a_pre_existing_todo_in_a_modified_file_is_not_flagged(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "# TODO: keep\na = 1\n")
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "# TODO: keep\na = 2\n")
    head = git_repo.commit("head")
    result = git_repo.verify(task(SCOPE), base, head)
    assert check(result, "no-todos").status is CheckStatus.PASSED
    assert result.passed, result.report()


def test_the_no_todos_phrase_is_the_same_check_once(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "a = 1  # TODO\n")
    head = git_repo.commit("head")
    criteria = ("No TODOs left in code", "No TODO or FIXME left in code")
    result = git_repo.verify(task(SCOPE, criteria), base, head)
    assert check(result, "no-todos").status is CheckStatus.FAILED  # exactly one such check


def test_words_containing_the_markers_are_not_flagged(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "todo_list = ['XXXL', 'TODOS']  # a todo app\n")
    head = git_repo.commit("head")
    assert check(git_repo.verify(task(SCOPE), base, head), "no-todos").status is CheckStatus.PASSED


def test_diff_budget(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "".join(f"old {i}\n" for i in range(4)))
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "".join(f"new {i}\n" for i in range(8)))
    git_repo.write("src/logo.bin", bytes(range(256)))
    head = git_repo.commit("head")
    within = check(
        git_repo.verify(task(SCOPE), base, head, options=VerifyOptions(diff_budget=12)),
        "diff-budget",
    )
    assert within.status is CheckStatus.PASSED
    assert within.output.startswith("12 lines changed (8 added, 4 deleted); budget 12")
    assert "binary files (not counted): src/logo.bin" in within.output
    over = check(
        git_repo.verify(task(SCOPE), base, head, options=VerifyOptions(diff_budget=11)),
        "diff-budget",
    )
    assert over.status is CheckStatus.FAILED and over.blocking
    assert "12 lines changed" in over.output and "budget 11" in over.output


def test_a_deleted_test_file_fails(git_repo: GitRepo) -> None:
    git_repo.write("tests/test_app.py", "def test_a():\n    assert True\n")
    git_repo.write("src/app.py", "a = 1\n")
    base = git_repo.commit("base")
    git_repo.remove("tests/test_app.py")
    git_repo.write("src/app.py", "a = 2\n")
    head = git_repo.commit("head")
    kept = check(git_repo.verify(task(SCOPE), base, head), "tests-kept")
    assert kept.status is CheckStatus.FAILED and kept.blocking
    assert "tests/test_app.py: deleted" in kept.output


def test_an_emptied_test_file_fails(git_repo: GitRepo) -> None:
    git_repo.write("tests/test_app.py", "def test_a():\n    assert 1 + 1 == 2\n")
    git_repo.write("web/app.test.ts", "test('adds', () => { expect(1 + 1).toBe(2) })\n")
    base = git_repo.commit("base")
    git_repo.write("tests/test_app.py", "")
    git_repo.write("web/app.test.ts", "// nothing to see\n")
    head = git_repo.commit("head")
    kept = check(git_repo.verify(task((*SCOPE, "web/")), base, head), "tests-kept")
    assert kept.status is CheckStatus.FAILED
    assert "tests/test_app.py: emptied" in kept.output
    assert "web/app.test.ts: every test in it removed" in kept.output


def test_a_test_file_stripped_of_its_tests_fails(git_repo: GitRepo) -> None:
    git_repo.write("tests/test_app.py", "import app\n\n\ndef test_a():\n    assert app.a == 1\n")
    base = git_repo.commit("base")
    git_repo.write("tests/test_app.py", "import app\n")
    head = git_repo.commit("head")
    kept = check(git_repo.verify(task(SCOPE), base, head), "tests-kept")
    assert kept.status is CheckStatus.FAILED
    assert "tests/test_app.py: every test in it removed" in kept.output


def test_moving_a_test_out_of_the_tests_fails_but_renaming_within_passes(git_repo: GitRepo) -> None:
    body = "def test_a():\n    assert True\n" * 5
    git_repo.write("tests/test_app.py", body)
    git_repo.write("tests/test_other.py", body)
    base = git_repo.commit("base")
    git_repo.move("tests/test_app.py", "src/app_checks.py")
    git_repo.move("tests/test_other.py", "tests/unit/test_other.py")
    head = git_repo.commit("head")
    kept = check(git_repo.verify(task(SCOPE), base, head), "tests-kept")
    assert kept.status is CheckStatus.FAILED
    assert "tests/test_app.py" in kept.output
    assert "test_other" not in kept.output


def test_adding_and_extending_tests_passes(git_repo: GitRepo) -> None:
    git_repo.write("tests/test_app.py", "def test_a():\n    assert True\n")
    base = git_repo.commit("base")
    git_repo.write(
        "tests/test_app.py", "def test_a():\n    assert True\n\n\ndef test_b():\n    pass\n"
    )
    git_repo.write("tests/test_new.py", "def test_c():\n    pass\n")
    head = git_repo.commit("head")
    result = git_repo.verify(task(SCOPE), base, head)
    assert check(result, "tests-kept").status is CheckStatus.PASSED
    assert result.passed, result.report()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_app.py", True),
        ("tests/fixtures/data.json", True),
        ("pkg/test/helpers.go", True),
        ("test_app.py", True),
        ("src/app_test.py", True),
        ("cmd/main_test.go", True),
        ("web/app.test.ts", True),
        ("web/app.spec.js", True),
        ("web/App.test.tsx", True),
        ("src/app.py", False),
        ("src/testing.py", False),
        ("src/contest.py", False),
        ("docs/tests.md", False),
        ("latest/app.py", False),
    ],
)
def test_is_test_path(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def test_an_added_secret_fails_and_is_never_shown(git_repo: GitRepo) -> None:
    git_repo.write("config/settings.py", "REGION = 'eu-west-1'\n")
    base = git_repo.commit("base")
    git_repo.write(
        "config/settings.py",
        f"REGION = 'eu-west-1'\nAWS_KEY_ID = '{FAKE_AWS_KEY}'  # TODO rotate\n",
    )
    head = git_repo.commit("head")
    result = git_repo.verify(task(SCOPE), base, head)
    secrets = check(result, "no-secrets")
    assert secrets.status is CheckStatus.FAILED and secrets.blocking
    assert "config/settings.py:2: AWS access key id" in secrets.output
    todos = check(result, "no-todos")
    assert (
        "config/settings.py:2:" in todos.output and "[redacted AWS access key id]" in todos.output
    )
    for text in (secrets.output, todos.output, result.report()):
        assert FAKE_AWS_KEY not in text
        assert FAKE_AWS_KEY[4:] not in text


def test_a_private_key_file_is_flagged_by_its_header(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" * 3
    header = "-----BEGIN " + "RSA PRIVATE KEY-----"
    git_repo.write("config/deploy_key", f"{header}\n{body}\n-----END RSA PRIVATE KEY-----\n")
    head = git_repo.commit("head")
    secrets = check(git_repo.verify(task(SCOPE), base, head), "no-secrets")
    assert secrets.status is CheckStatus.FAILED
    assert "config/deploy_key:1: private key" in secrets.output
    assert body not in secrets.output


def test_a_secret_already_in_the_base_is_not_the_attempts(git_repo: GitRepo) -> None:
    git_repo.write("config/settings.py", f"KEY = '{FAKE_AWS_KEY}'\nA = 1\n")
    base = git_repo.commit("base")
    git_repo.write("config/settings.py", f"KEY = '{FAKE_AWS_KEY}'\nA = 2\n")
    head = git_repo.commit("head")
    assert (
        check(git_repo.verify(task(SCOPE), base, head), "no-secrets").status is CheckStatus.PASSED
    )
