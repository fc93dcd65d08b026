"""Scope and changes, on real commits."""

from __future__ import annotations

from verify_repo import GitRepo, task

from specloop.verify import CheckResult, CheckStatus, Verification


def check(verification: Verification, name: str) -> CheckResult:
    (found,) = [c for c in verification.checks if c.name == name and c.phase == "after"]
    return found


def test_changes_inside_the_scope_pass(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "x = 1\n")
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "x = 2\n")
    git_repo.write("src/pkg/new.py", "y = 1\n")
    head = git_repo.commit("head")
    result = git_repo.verify(task(("src/app.py", "src/pkg/")), base, head)
    scope = check(result, "scope")
    assert scope.status is CheckStatus.PASSED and scope.blocking and scope.kind == "scope"
    assert check(result, "changes").status is CheckStatus.PASSED
    assert result.passed, result.report()


def test_a_file_outside_the_scope_fails_and_is_named(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "x = 1\n")
    git_repo.write("docs/notes.md", "notes\n")
    head = git_repo.commit("head")
    result = git_repo.verify(task(("src/app.py",)), base, head)
    scope = check(result, "scope")
    assert scope.status is CheckStatus.FAILED and scope.blocking
    assert "docs/notes.md (added)" in scope.output
    assert "src/app.py (" not in scope.output  # in scope: not an offender
    assert not result.passed
    assert scope in result.failures
    assert "docs/notes.md" in result.report()


def test_deleting_a_file_outside_the_scope_fails(git_repo: GitRepo) -> None:
    git_repo.write("src/app.py", "x = 1\n")
    git_repo.write("src/other.py", "y = 1\n")
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "x = 2\n")
    git_repo.remove("src/other.py")
    head = git_repo.commit("head")
    scope = check(git_repo.verify(task(("src/app.py",)), base, head), "scope")
    assert scope.status is CheckStatus.FAILED
    assert "src/other.py (deleted)" in scope.output


def test_a_rename_out_of_the_scope_counts_both_sides(git_repo: GitRepo) -> None:
    body = "".join(f"line {i}\n" for i in range(40))
    git_repo.write("src/app.py", body)
    base = git_repo.commit("base")
    git_repo.move("src/app.py", "lib/app.py")
    head = git_repo.commit("head")
    scope = check(git_repo.verify(task(("src/app.py",)), base, head), "scope")
    assert scope.status is CheckStatus.FAILED
    assert "lib/app.py" in scope.output
    assert "outside the scope: lib/app.py" in scope.output
    # A rename whose destination is in scope but whose source is not also fails.
    scope = check(git_repo.verify(task(("lib/app.py",)), base, head), "scope")
    assert scope.status is CheckStatus.FAILED
    assert "outside the scope: src/app.py" in scope.output
    both = check(git_repo.verify(task(("src/app.py", "lib/*.py")), base, head), "scope")
    assert both.status is CheckStatus.PASSED


def test_an_attempt_that_changed_nothing_fails(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    head = git_repo.commit("empty")  # an empty commit: no file changed
    result = git_repo.verify(task(("src/app.py",)), base, head)
    changes = check(result, "changes")
    assert changes.status is CheckStatus.FAILED and changes.blocking
    assert changes.output == "the attempt changed nothing"
    assert not result.passed
    same = git_repo.verify(task(("src/app.py",)), base, base)
    assert check(same, "changes").status is CheckStatus.FAILED
