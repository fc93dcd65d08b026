"""A pool of reusable worktrees: fresh state in a reused directory (DESIGN.md §4).

Creating a worktree costs time in proportion to the repository; resetting one costs
time in proportion to what changed. So a slot directory is kept between attempts and
reset (`switch --force -C <branch> <sha>` then `clean -ffdx`); only a slot that is
missing or damaged is removed and added again.
"""

from __future__ import annotations

import re
import shutil
import stat
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from specloop.gitops._git import GitError, git, nul_split
from specloop.gitops._lock import exclusive
from specloop.gitops._refs import check_branch_name, delete_branch, resolve

_SLOT_NAME = re.compile(r"slot-(\d+)")
_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

# Per-worktree markers of an operation in progress (merge, rebase, cherry-pick,
# revert, am, bisect). An agent killed mid-operation leaves them behind; while they
# exist `git switch` refuses to run and `git reset --soft` refuses during a merge.
# Deleting them is what each command's `--quit` does; doing it directly costs no git
# call and works whichever of them is in progress.
_OPERATION_FILES = (
    "MERGE_HEAD",
    "MERGE_MSG",
    "MERGE_MODE",
    "MERGE_RR",
    "AUTO_MERGE",
    "SQUASH_MSG",
    "CHERRY_PICK_HEAD",
    "REVERT_HEAD",
    "BISECT_LOG",
    "BISECT_START",
    "BISECT_EXPECTED_REV",
    "BISECT_ANCESTORS_OK",
    "BISECT_NAMES",
    "BISECT_TERMS",
    "BISECT_FIRST_PARENT",
    "BISECT_HEAD",
    "BISECT_RUN",
)
_OPERATION_DIRS = ("rebase-merge", "rebase-apply", "sequencer")


class DamagedWorktree(GitError):
    """A directory that should be a linked worktree of the repository is not (usable as) one."""


@dataclass(frozen=True)
class LinkedWorktree:
    """A verified linked worktree: its top, its private admin dir, the shared git dir."""

    root: Path
    gitdir: Path
    common: Path


def worktree_env(root: Path) -> dict[str, str]:
    """Environment for commands run inside a linked worktree at `root`.

    If the worktree's `.git` file vanished, git would walk up and find the *enclosing*
    repository (the pool lives inside the user's checkout); `switch --force` and
    `clean -ffdx` there would destroy the user's work. The ceiling stops the walk.
    """
    return {"GIT_CEILING_DIRECTORIES": str(root.parent)}


def inspect_worktree(path: Path) -> LinkedWorktree:
    """Check that `path` is the top of a linked worktree whose admin dir points back to it.

    Catches: missing directory, missing or garbage `.git` file, a `.git` file aimed at
    the main repository's git dir (git would then move the *main* worktree's HEAD and
    index), and a worktree unknown to its repository.
    """
    root = path.resolve()
    if not (root / ".git").is_file():
        raise DamagedWorktree(f"{path} is not a linked worktree (no .git file)")
    try:
        done = git(
            [
                "rev-parse",
                "--path-format=absolute",
                "--show-toplevel",
                "--absolute-git-dir",
                "--git-common-dir",
            ],
            root,
            env=worktree_env(root),
        )
    except GitError as exc:
        raise DamagedWorktree(f"{path} is not a usable worktree: {exc}") from None
    lines = done.out.splitlines()
    if len(lines) != 3:
        raise DamagedWorktree(f"{path}: unexpected `git rev-parse` output {done.out!r}")
    top, gitdir, common = (Path(line).resolve() for line in lines)
    if top != root:
        raise DamagedWorktree(f"{path} is inside another work tree ({top})")
    if gitdir == common or gitdir.parent != common / "worktrees":
        raise DamagedWorktree(f"{path} is not a linked worktree (git dir {gitdir})")
    try:
        back = Path((gitdir / "gitdir").read_text(encoding="utf-8").strip()).resolve()
    except OSError:
        raise DamagedWorktree(f"{path}: its admin dir {gitdir} has no gitdir file") from None
    if back != root / ".git":
        raise DamagedWorktree(f"{path}: admin dir {gitdir} belongs to {back.parent}")
    return LinkedWorktree(root, gitdir, common)


def clear_operation_state(gitdir: Path) -> None:
    """Forget any merge, rebase, cherry-pick, revert, am or bisect left in progress."""
    for name in _OPERATION_FILES:
        (gitdir / name).unlink(missing_ok=True)
    for name in _OPERATION_DIRS:
        if (gitdir / name).exists():
            shutil.rmtree(gitdir / name, ignore_errors=True)


def _make_writable_and_retry(func: Callable[[str], object], name: str, _exc: object) -> None:
    # Agents' tools create read-only files and directories (Go's module cache, for
    # one); rmtree needs write permission on the parent to unlink them.
    path = Path(name)
    writable = stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR
    path.parent.chmod(path.parent.stat().st_mode | writable)
    if path.is_dir() and not path.is_symlink():
        path.chmod(path.stat().st_mode | writable)
    func(name)


def _remove_directory(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        if sys.version_info >= (3, 12):  # onerror is deprecated there
            shutil.rmtree(path, onexc=_make_writable_and_retry)
        else:
            shutil.rmtree(path, onerror=_make_writable_and_retry)


class WorktreePool:
    """Numbered worktree slots `directory/slot-N` of one repository, reset per attempt.

    A slot belongs to one caller between `checkout` and `release` (the engine hands
    slots out); each operation on a slot also holds `directory/slot-N.lock` so two
    processes never reset or remove the same directory at once. `directory/pool.lock`
    (`admin_lock`) is held exclusively while a worktree's admin files are written (add,
    remove) and shared by everything that lists worktrees (a reset: `switch -C` checks
    where the branch is checked out; the merge): git writes those files one by one, and
    a command that read them half-written failed ("failed to read
    .git/worktrees/slot-0/commondir"), seen with two slots created at once.
    """

    def __init__(self, repo: Path, directory: Path) -> None:
        self.repo = repo.resolve()
        self.directory = directory.resolve()
        self._common: Path | None = None

    # -- public -------------------------------------------------------------------

    def checkout(self, slot: int, branch: str, base_sha: str) -> Path:
        """Slot `slot` on a fresh `branch` at commit `base_sha`, clean; its path.

        `base_sha` must be a full commit SHA, resolved once by the caller: a branch name
        would be read again here, and a merge in between would silently change the base.
        """
        check_branch_name(branch)
        sha = _full_sha(base_sha)
        path = self._slot_path(slot)
        with self.admin_lock(shared=True), exclusive(self._lock_path(slot)):
            # A reset that git reports as done is trusted: `switch --force -C` leaves HEAD
            # on the branch at the SHA with the tracked files restored, and `clean`
            # exits non-zero when it cannot remove something (then the slot is remade).
            # Checking again with `status` would walk every file a third time.
            if self._reset(path, branch, sha):
                return path
        # Remade in two steps: the worktree's admin files alone, with every other
        # worktree operation waiting; then its files, which take long on a large
        # repository, while other slots go on.
        with self.admin_lock(), exclusive(self._lock_path(slot)):
            self._check_commit(sha)
            self._recreate(path, branch, sha)
        with self.admin_lock(shared=True), exclusive(self._lock_path(slot)):
            self._inspect(path)  # what `worktree add` made must be a sound worktree too
            # Never leave it at --no-checkout: a worktree with an empty index commits the
            # deletion of every file (DESIGN.md §4). This fills index and files from HEAD.
            git(["reset", "--hard", "--quiet"], path, env=worktree_env(path))
            problem = self._problem(path, branch, sha)
            if problem is not None:
                raise GitError(f"worktree slot {slot} ({path}) is not usable: {problem}")
            return path

    def release(self, slot: int) -> None:
        """Detach the slot's HEAD (files untouched) so its branch can be deleted; keep the directory."""
        path = self._slot_path(slot)
        with self.admin_lock(), exclusive(self._lock_path(slot)):  # may prune or remove
            if not path.exists():
                git(["worktree", "prune"], self.repo)
                return
            try:
                self._inspect(path)
                env = worktree_env(path)
                head = git(["rev-parse", "--verify", "HEAD"], path, env=env).out.strip()
                # update-ref, not `switch --detach`: it works even when the agent left a
                # rebase or merge in progress, and touches neither index nor files.
                git(
                    ["update-ref", "--no-deref", "-m", "specloop: release slot", "HEAD", head],
                    path,
                    env=env,
                )
            except GitError:
                # A slot we cannot detach would pin its branch: drop it; checkout remakes it.
                self._remove(path)

    def retire(self, slot: int, branch: str, head: str) -> None:
        """After a merge: detach the slot at `head` and delete `branch`, which points there.

        Two `update-ref` calls instead of `release` plus `delete_branch` (four); git
        refuses to move HEAD and its branch in one transaction. When they cannot run
        as expected (the branch moved, the slot is damaged) it falls back to exactly
        those two steps.
        """
        check_branch_name(branch)
        sha = _full_sha(head)
        path = self._slot_path(slot)
        with self.admin_lock(shared=True), exclusive(self._lock_path(slot)):
            try:
                self._inspect(path)  # never move the HEAD of the user's checkout
                env = worktree_env(path)
                # As in `release`: HEAD moves, index and files stay.
                message = "specloop: retire slot"
                git(["update-ref", "--no-deref", "-m", message, "HEAD", sha], path, env=env)
                # Deleted only while it still points at `head` (compare-and-swap).
                git(["update-ref", "-d", f"refs/heads/{branch}", sha], path, env=env)
                return
            except GitError:
                pass
        self.release(slot)
        with self.admin_lock(shared=True):  # `branch -D` lists the worktrees
            delete_branch(self.repo, branch)

    def slots(self) -> list[Path]:
        """The slot directories that exist now, by number."""
        if not self.directory.is_dir():
            return []
        found = [
            (int(match.group(1)), entry)
            for entry in self.directory.iterdir()
            if (match := _SLOT_NAME.fullmatch(entry.name)) and entry.is_dir()
        ]
        return [entry for _, entry in sorted(found)]

    def remove_all(self) -> None:
        """Remove every slot (worktree and directory) and prune git's records of them."""
        with self.admin_lock():
            for path in self.slots():
                number = int(path.name.removeprefix("slot-"))
                with exclusive(self._lock_path(number)):
                    self._remove(path)
            git(["worktree", "prune"], self.repo)

    def admin_lock(self, *, shared: bool = False) -> AbstractContextManager[None]:
        """Exclusive while a worktree's admin files are written (add, remove, prune);
        shared to reset a slot or to list the worktrees safely (the merge does).

        Always taken before a slot's own lock, never inside one, so the two never deadlock.
        """
        return exclusive(self.directory / "pool.lock", shared=shared)

    # -- internals ----------------------------------------------------------------

    def _slot_path(self, slot: int) -> Path:
        if slot < 0:
            raise ValueError(f"slot numbers start at 0, got {slot}")
        return self.directory / f"slot-{slot}"

    def _lock_path(self, slot: int) -> Path:
        return self.directory / f"slot-{slot}.lock"

    def _check_commit(self, sha: str) -> None:
        """Raise ValueError unless `sha` names a commit (not a tree or blob) that exists."""
        try:
            found = resolve(self.repo, sha)
        except GitError:
            found = None
        if found != sha:
            raise ValueError(f"{sha} is not a commit of {self.repo}")

    def _common_dir(self) -> Path:
        if self._common is None:
            out = git(["rev-parse", "--path-format=absolute", "--git-common-dir"], self.repo).out
            self._common = Path(out.strip()).resolve()
        return self._common

    def _inspect(self, path: Path) -> LinkedWorktree:
        linked = inspect_worktree(path)
        if linked.common != self._common_dir():
            raise DamagedWorktree(f"{path} is a worktree of another repository ({linked.common})")
        return linked

    def _reset(self, path: Path, branch: str, sha: str) -> bool:
        """Reset a healthy slot in place; False when it must be recreated instead."""
        if not path.exists():
            return False
        try:
            linked = self._inspect(path)
        except DamagedWorktree:
            return False
        if (linked.gitdir / "index.lock").exists():
            # Left by a killed git; what else it left half-written is unknown.
            return False
        clear_operation_state(linked.gitdir)
        env = worktree_env(path)
        try:
            # The SHA, never a branch name: see DESIGN.md §4 "Git pitfalls".
            git(["switch", "--quiet", "--force", "-C", branch, sha], path, env=env)
            git(["clean", "-ffdxq"], path, env=env)
        except GitError as exc:
            if _checked_out_elsewhere(exc):
                raise  # a caller error: recreating would fail the same way
            return False
        return True

    def _recreate(self, path: Path, branch: str, sha: str) -> None:
        self._remove(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # --no-checkout only because `checkout` fills it right after (see there).
        git(
            [
                "worktree",
                "add",
                "--quiet",
                "--force",
                "--no-checkout",
                "-B",
                branch,
                str(path),
                sha,
            ],
            self.repo,
        )

    def _remove(self, path: Path) -> None:
        if path.parent != self.directory:  # never delete outside the pool
            raise ValueError(f"{path} is not a slot of {self.directory}")
        if path.exists() or path.is_symlink():
            # Twice --force: also removes a locked worktree and one with changes. It
            # fails on a damaged one; deleting the directory then makes prune drop it.
            git(["worktree", "remove", "--force", "--force", str(path)], self.repo, ok=None)
            _remove_directory(path)
        git(["worktree", "prune"], self.repo)

    def _problem(self, path: Path, branch: str, sha: str) -> str | None:
        """What is wrong with a slot that should be clean on `branch` at `sha`; None if nothing.

        One `status` answers both questions: the v2 headers carry HEAD's commit and
        branch, the entries every tracked change, untracked or ignored file.
        """
        try:
            done = git(
                [
                    "status",
                    "--porcelain=v2",
                    "--branch",
                    "-z",
                    "--untracked-files=all",
                    "--ignored",
                ],
                path,
                env=worktree_env(path),
            )
        except GitError as exc:
            return str(exc)
        fields = nul_split(done.out)
        headers = dict(
            field[2:].split(" ", 1)
            for field in fields
            if field.startswith("# ") and " " in field[2:]
        )
        leftovers = [field for field in fields if not field.startswith("# ")]
        found = (headers.get("branch.oid"), headers.get("branch.head"))
        if found != (sha, branch):
            return f"HEAD is {found[0]} on {found[1]}, expected {sha} on {branch}"
        if leftovers:
            return f"not clean after reset: {', '.join(leftovers[:10])}"
        return None


def _full_sha(base_sha: str) -> str:
    if not _FULL_SHA.fullmatch(base_sha):
        raise ValueError(
            f"checkout needs a full commit SHA, got {base_sha!r}: resolve the base once "
            "(gitops.resolve) and pass the SHA"
        )
    return base_sha


def _checked_out_elsewhere(exc: GitError) -> bool:
    text = str(exc)
    return "checked out at" in text or "is already used by worktree" in text
