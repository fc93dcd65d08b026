"""WorktreePool: fresh state in a reused directory; damaged slots are recreated."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from gitops_support import commit_all, git, start, tree_files

from helpers import Repo
from specloop.gitops import GitError, WorktreePool, delete_branch, resolve


def _pool(repo: Repo) -> WorktreePool:
    return WorktreePool(repo.root, repo.root / ".specloop" / "state" / "worktrees")


def _state(path: Path) -> tuple[str, str, str]:
    """(HEAD SHA, branch ref, porcelain status including ignored files)."""
    return (
        git(path, "rev-parse", "HEAD"),
        git(path, "symbolic-ref", "-q", "HEAD", check=False),
        git(path, "status", "--porcelain", "--ignored", "--untracked-files=all"),
    )


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write(".gitignore", "*.log\nbuild/\n.specloop/\n")
    start(repo)
    return repo


def test_fresh_slot_is_a_worktree_at_the_base_on_the_branch(project: Repo) -> None:
    base = resolve(project.root, "main")
    path = _pool(project).checkout(0, "specloop/0x01/attempt-1", base)

    assert path == (project.root / ".specloop/state/worktrees/slot-0").resolve()
    assert _state(path) == (base, "refs/heads/specloop/0x01/attempt-1", "")
    assert (path / "src/app.py").read_text() == "x = 1\n"
    assert str(path) in git(project.root, "worktree", "list")
    assert git(project.root, "rev-parse", "HEAD") == base  # the user's checkout is untouched
    assert _pool(project).slots() == [path]


def test_reused_slot_has_nothing_left_from_the_previous_attempt(project: Repo) -> None:
    pool = _pool(project)
    path = pool.checkout(0, "attempt-1", resolve(project.root, "main"))
    inode = path.stat().st_ino
    # The previous attempt left every kind of leftover.
    (path / "README.md").write_text("modified by the agent\n")
    (path / "src/app.py").unlink()
    (path / "notes.txt").write_text("untracked\n")
    (path / "deep/er").mkdir(parents=True)
    (path / "deep/er/file.py").write_text("untracked, nested\n")
    (path / "debug.log").write_text("ignored\n")
    (path / "build").mkdir()
    (path / "build/out.bin").write_bytes(b"\0ignored")
    (path / "staged.py").write_text("staged\n")
    git(path, "add", "staged.py")
    # Meanwhile the base moved on.
    project.write("CHANGELOG.md", "v2\n")
    new_base = commit_all(project.root, "base moves")

    again = pool.checkout(0, "attempt-2", new_base)

    assert again == path and path.stat().st_ino == inode  # reused, not recreated
    assert _state(path) == (new_base, "refs/heads/attempt-2", "")
    assert tree_files(path) == {".gitignore", "README.md", "src/app.py", "CHANGELOG.md"}
    assert (path / "README.md").read_text() == "hello\n"
    assert git(project.root, "rev-parse", "attempt-1") == resolve(project.root, "HEAD~1")


def _delete_git_file(path: Path) -> None:
    (path / ".git").unlink()


def _garbage_git_file(path: Path) -> None:
    (path / ".git").write_text("this is not a gitdir line\n")


def _lock_index(path: Path) -> None:
    gitdir = Path(git(path, "rev-parse", "--absolute-git-dir"))
    (gitdir / "index.lock").write_text("")


def _point_at_main_repository(path: Path) -> None:
    # The dangerous damage: git would then run in the slot with the *main* repository's
    # HEAD and index, and a forced switch there would move the user's checkout.
    main_gitdir = path.parents[3] / ".git"
    (path / ".git").write_text(f"gitdir: {main_gitdir}\n")


def _remove_directory(path: Path) -> None:
    shutil.rmtree(path)


@pytest.mark.parametrize(
    "damage",
    [
        _delete_git_file,
        _garbage_git_file,
        _lock_index,
        _point_at_main_repository,
        _remove_directory,
    ],
)
def test_damaged_slot_is_recreated(project: Repo, damage: Callable[[Path], None]) -> None:
    pool = _pool(project)
    base = resolve(project.root, "main")
    path = pool.checkout(0, "attempt-1", base)
    (path / "leftover.txt").write_text("from the attempt\n")
    damage(path)
    project.write("next.txt", "new base\n")
    new_base = commit_all(project.root, "base moves")

    again = pool.checkout(0, "attempt-2", new_base)

    assert again == path
    assert _state(path) == (new_base, "refs/heads/attempt-2", "")
    assert not (path / "leftover.txt").exists()
    # The user's checkout never moved and lost nothing.
    assert _state(project.root)[:2] == (new_base, "refs/heads/main")
    assert (project.root / "next.txt").read_text() == "new base\n"
    assert git(project.root, "worktree", "list", "--porcelain").count("worktree ") == 2


def test_read_only_leftovers_do_not_stop_a_recreate(project: Repo) -> None:
    pool = _pool(project)
    path = pool.checkout(0, "attempt-1", resolve(project.root, "main"))
    cache = path / "gocache" / "mod"
    cache.mkdir(parents=True)
    (cache / "file.go").write_text("package x\n")
    (cache / "file.go").chmod(0o444)
    cache.chmod(0o555)
    (path / ".git").unlink()

    pool.checkout(0, "attempt-2", resolve(project.root, "main"))

    assert not (path / "gocache").exists()


def test_slot_left_mid_merge_is_reset_in_place(project: Repo) -> None:
    pool = _pool(project)
    base = resolve(project.root, "main")
    path = pool.checkout(0, "attempt-1", base)
    (path / "README.md").write_text("ours\n")
    commit_all(path, "ours")
    git(path, "switch", "-q", "-c", "other", base)
    (path / "README.md").write_text("theirs\n")
    commit_all(path, "theirs")
    git(path, "merge", "attempt-1", check=False)  # conflicts: MERGE_HEAD stays behind
    assert git(path, "status", "--porcelain", "README.md") == "UU README.md"
    inode = path.stat().st_ino

    pool.checkout(0, "attempt-2", base)

    assert path.stat().st_ino == inode
    assert _state(path) == (base, "refs/heads/attempt-2", "")
    assert git(path, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False) == ""


def test_base_moved_between_checkouts_uses_the_sha_given(project: Repo) -> None:
    pool = _pool(project)
    base = resolve(project.root, "main")
    project.write("merged_by_another_task.py", "y = 2\n")
    moved = commit_all(project.root, "another task merged")

    path = pool.checkout(0, "attempt-1", base)

    assert git(path, "rev-parse", "HEAD") == base != moved
    assert not (path / "merged_by_another_task.py").exists()


def test_checkout_wants_a_sha_not_a_branch_name(project: Repo) -> None:
    with pytest.raises(ValueError, match="full commit SHA"):
        _pool(project).checkout(0, "attempt-1", "main")


def test_checkout_refuses_a_branch_checked_out_elsewhere(project: Repo) -> None:
    base = resolve(project.root, "main")
    pool = _pool(project)
    pool.checkout(0, "attempt-1", base)
    with pytest.raises(GitError, match="checked out"):
        pool.checkout(1, "main", base)
    with pytest.raises(GitError, match="checked out"):
        pool.checkout(1, "attempt-1", base)
    assert _state(project.root)[:2] == (base, "refs/heads/main")


def test_release_detaches_so_the_branch_can_be_deleted(project: Repo) -> None:
    pool = _pool(project)
    path = pool.checkout(0, "attempt-1", resolve(project.root, "main"))
    (path / "work.py").write_text("done\n")
    sha = commit_all(path, "attempt")
    with pytest.raises(GitError):
        delete_branch(project.root, "attempt-1")  # still checked out in the slot

    pool.release(0)

    assert git(path, "symbolic-ref", "-q", "HEAD", check=False) == ""
    assert git(path, "rev-parse", "HEAD") == sha
    assert (path / "work.py").exists()  # the directory is kept for reuse
    delete_branch(project.root, "attempt-1")
    assert git(project.root, "branch", "--list", "attempt-1") == ""


def test_checkout_refuses_a_sha_that_is_not_a_commit(project: Repo) -> None:
    tree = git(project.root, "rev-parse", "main^{tree}")
    with pytest.raises(ValueError, match="is not a commit"):
        _pool(project).checkout(0, "attempt-1", tree)
    with pytest.raises(ValueError, match="is not a commit"):
        _pool(project).checkout(0, "attempt-1", "0" * 40)


def test_retire_detaches_the_slot_and_deletes_its_merged_branch(project: Repo) -> None:
    pool = _pool(project)
    path = pool.checkout(0, "attempt-1", resolve(project.root, "main"))
    (path / "work.py").write_text("done\n")
    sha = commit_all(path, "attempt")

    pool.retire(0, "attempt-1", sha)

    assert git(path, "symbolic-ref", "-q", "HEAD", check=False) == ""
    assert git(path, "rev-parse", "HEAD") == sha
    assert (path / "work.py").exists()  # files untouched: the next checkout resets them
    assert git(project.root, "branch", "--list", "attempt-1") == ""
    assert _state(project.root)[:2] == (resolve(project.root, "main"), "refs/heads/main")


def test_retire_of_a_damaged_slot_still_deletes_the_branch(project: Repo) -> None:
    pool = _pool(project)
    path = pool.checkout(0, "attempt-1", resolve(project.root, "main"))
    sha = git(path, "rev-parse", "HEAD")
    # Aimed at the main repository: moving "its" HEAD would detach the user's checkout.
    (path / ".git").write_text(f"gitdir: {project.root / '.git'}\n")

    pool.retire(0, "attempt-1", sha)

    assert git(project.root, "branch", "--list", "attempt-1") == ""
    assert _state(project.root)[:2] == (sha, "refs/heads/main")
    assert pool.slots() == []


def test_release_of_a_missing_or_damaged_slot_frees_its_branch(project: Repo) -> None:
    pool = _pool(project)
    path = pool.checkout(0, "attempt-1", resolve(project.root, "main"))
    (path / ".git").write_text("garbage\n")

    pool.release(0)
    pool.release(3)  # never used: nothing to do

    delete_branch(project.root, "attempt-1")
    assert pool.slots() == []


def test_remove_all_removes_every_slot(project: Repo) -> None:
    pool = _pool(project)
    base = resolve(project.root, "main")
    for slot in range(3):
        pool.checkout(slot, f"attempt-{slot}", base)
    assert [p.name for p in pool.slots()] == ["slot-0", "slot-1", "slot-2"]

    pool.remove_all()

    assert pool.slots() == []
    assert git(project.root, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_slots_check_out_in_parallel(project: Repo) -> None:
    """Slots created at the same moment: git writes a new worktree's admin files one by
    one, and another `worktree add` or `switch -C` reading them half-written failed
    ("failed to read .git/worktrees/slot-0/commondir") before the pool's admin lock."""
    base = resolve(project.root, "main")
    errors: list[BaseException] = []
    slots = 6
    start = threading.Barrier(slots)

    def work(slot: int) -> None:
        try:
            pool = _pool(project)  # one pool object per thread, as separate processes would
            start.wait()
            for round_ in range(3):
                path = pool.checkout(slot, f"attempt-{slot}-{round_}", base)
                (path / f"file-{slot}.txt").write_text("x\n")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(slots)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for path in _pool(project).slots():
        assert git(path, "rev-parse", "HEAD") == base
