"""merge_check and merge_into: conflicts found before touching the base; merges serialized."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from gitops_support import commit_all, files_at, git, make_branch, start

from helpers import Repo
from specloop.gitops import GitError, MergeResult, is_ancestor, merge_check, merge_into, resolve


@pytest.fixture
def base(repo: Repo) -> str:
    repo.write(".gitignore", ".specloop/\n")
    return start(repo, {"shared.txt": "one\ntwo\nthree\n", "README.md": "hello\n"})


@pytest.fixture
def lock(repo: Repo) -> Path:
    return repo.root / ".specloop" / "state" / "merge.lock"


def _no_merge_in_progress(root: Path) -> bool:
    return git(root, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False) == ""


def test_merge_check_clean_and_conflicting(repo: Repo, base: str) -> None:
    ours = make_branch(repo.root, "ours", base, {"shared.txt": "one\nTWO\nthree\n"})
    theirs = make_branch(repo.root, "theirs", base, {"shared.txt": "one\n2\nthree\n"})
    other = make_branch(repo.root, "other", base, {"new.txt": "new\n"})
    before = git(repo.root, "status", "--porcelain")

    clean = merge_check(repo.root, ours, other)
    conflict = merge_check(repo.root, ours, theirs)

    assert clean.clean and clean.conflicts == ()
    assert git(repo.root, "ls-tree", "--name-only", clean.tree or "") == (
        ".gitignore\nREADME.md\nnew.txt\nshared.txt"
    )
    assert (conflict.clean, conflict.tree, conflict.conflicts) == (False, None, ("shared.txt",))
    assert git(repo.root, "status", "--porcelain") == before
    assert resolve(repo.root, "main") == base


def test_clean_merge_moves_the_checked_out_base_and_its_files(
    repo: Repo, base: str, lock: Path
) -> None:
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n", "README.md": "hi\n"})

    result = merge_into(repo.root, "main", head, "specloop: merge 0x01", lock_path=lock)

    assert result.merged and result.conflicts == () and result.commit is not None
    assert resolve(repo.root, "main") == result.commit
    assert git(repo.root, "rev-list", "--parents", "-n", "1", "main").split()[1:] == [base, head]
    assert git(repo.root, "log", "-1", "--format=%s|%an", "main") == "specloop: merge 0x01|specloop"
    assert (repo.root / "feature.py").read_text() == "new\n"
    assert (repo.root / "README.md").read_text() == "hi\n"
    assert git(repo.root, "status", "--porcelain") == ""
    assert _no_merge_in_progress(repo.root)


def test_merge_after_the_base_moved_keeps_both(repo: Repo, base: str, lock: Path) -> None:
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n"})
    repo.write("meanwhile.py", "merged first\n")
    commit_all(repo.root, "another task")

    result = merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert result.merged
    assert {"feature.py", "meanwhile.py"} <= files_at(repo.root, "main").keys()
    assert (repo.root / "feature.py").exists() and (repo.root / "meanwhile.py").exists()


def test_conflict_changes_nothing(repo: Repo, base: str, lock: Path) -> None:
    head = make_branch(repo.root, "attempt", base, {"shared.txt": "one\nmine\nthree\n"})
    repo.write("shared.txt", "one\nyours\nthree\n")
    moved = commit_all(repo.root, "main changed the same line")

    result = merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert result == MergeResult(False, None, ("shared.txt",))
    assert resolve(repo.root, "main") == moved
    assert (repo.root / "shared.txt").read_text() == "one\nyours\nthree\n"
    assert git(repo.root, "status", "--porcelain") == ""
    assert _no_merge_in_progress(repo.root)


def test_base_not_checked_out_anywhere_moves_by_ref(repo: Repo, base: str, lock: Path) -> None:
    git(repo.root, "switch", "-q", "--detach")
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n"})

    result = merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert result.merged and resolve(repo.root, "main") == result.commit
    assert "feature.py" in files_at(repo.root, "main")
    assert not (repo.root / "feature.py").exists()  # no worktree was touched
    assert git(repo.root, "rev-parse", "HEAD") == base


def test_base_checked_out_in_a_linked_worktree(repo: Repo, base: str, lock: Path) -> None:
    git(repo.root, "switch", "-q", "--detach")
    elsewhere = repo.root.parent / "main-checkout"
    git(repo.root, "worktree", "add", "-q", str(elsewhere), "main")
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n"})

    result = merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert result.merged and (elsewhere / "feature.py").read_text() == "new\n"
    assert git(elsewhere, "status", "--porcelain") == ""


def test_uncommitted_change_to_a_merged_file_blocks_and_names_it(
    repo: Repo, base: str, lock: Path
) -> None:
    head = make_branch(repo.root, "attempt", base, {"README.md": "from the task\n"})
    repo.write("README.md", "the user's unsaved work\n")

    with pytest.raises(GitError, match=r"README\.md") as caught:
        merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert "uncommitted changes" in str(caught.value) and "main is unchanged" in str(caught.value)
    assert resolve(repo.root, "main") == base
    assert (repo.root / "README.md").read_text() == "the user's unsaved work\n"
    assert _no_merge_in_progress(repo.root)


def test_untracked_file_in_the_way_blocks_and_names_it(repo: Repo, base: str, lock: Path) -> None:
    head = make_branch(repo.root, "attempt", base, {"feature.py": "from the task\n"})
    repo.write("feature.py", "the user's own, untracked\n")

    with pytest.raises(GitError, match=r"feature\.py"):
        merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert resolve(repo.root, "main") == base
    assert (repo.root / "feature.py").read_text() == "the user's own, untracked\n"


def test_uncommitted_change_elsewhere_is_kept(repo: Repo, base: str, lock: Path) -> None:
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n"})
    repo.write("README.md", "the user's unsaved work\n")

    result = merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert result.merged and (repo.root / "feature.py").exists()
    assert (repo.root / "README.md").read_text() == "the user's unsaved work\n"


def test_merging_twice_is_a_no_op(repo: Repo, base: str, lock: Path) -> None:
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n"})

    first = merge_into(repo.root, "main", head, "merge", lock_path=lock)
    second = merge_into(repo.root, "main", head, "merge", lock_path=lock)

    assert first.merged and second == MergeResult(True, first.commit, ())
    assert git(repo.root, "rev-list", "--count", "main") == "3"  # base, attempt, one merge


def test_post_merge_hook_planted_by_an_agent_does_not_run(
    repo: Repo, base: str, lock: Path
) -> None:
    hook = repo.root / ".git" / "hooks" / "post-merge"
    hook.write_text(f"#!/bin/sh\ntouch '{repo.root}/hook-ran'\n")
    hook.chmod(0o755)
    head = make_branch(repo.root, "attempt", base, {"feature.py": "new\n"})

    assert merge_into(repo.root, "main", head, "merge", lock_path=lock).merged
    assert not (repo.root / "hook-ran").exists()


def test_concurrent_merges_are_serialized(repo: Repo, base: str, lock: Path) -> None:
    heads = [
        make_branch(repo.root, f"attempt-{n}", base, {f"task{n}/file.py": f"n = {n}\n"})
        for n in range(8)
    ]
    results: list[MergeResult] = []
    errors: list[BaseException] = []
    start_together = threading.Barrier(len(heads))

    def merge(head: str) -> None:
        try:
            start_together.wait()
            results.append(merge_into(repo.root, "main", head, f"merge {head}", lock_path=lock))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=merge, args=(head,)) for head in heads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(results) == 8 and all(r.merged for r in results)
    files = files_at(repo.root, "main")
    assert all(f"task{n}/file.py" in files for n in range(8))
    assert all((repo.root / f"task{n}/file.py").exists() for n in range(8))
    assert all(is_ancestor(repo.root, head, "main") for head in heads)
    assert git(repo.root, "status", "--porcelain") == ""
    assert _no_merge_in_progress(repo.root)
