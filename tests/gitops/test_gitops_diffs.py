"""changed_files, diff_text, numstat, added_lines between two commits."""

from __future__ import annotations

import pytest
from gitops_support import git, make_branch, start

from helpers import Repo
from specloop.gitops import (
    FileChange,
    added_lines,
    changed_files,
    diff_summary,
    diff_text,
    numstat,
)

MIDDLE = "".join(f"line {n}\n" for n in range(1, 11))


@pytest.fixture
def base(repo: Repo) -> str:
    return start(
        repo,
        {
            "keep.txt": MIDDLE,
            "gone.txt": "to be deleted\n",
            "moved/from.py": "".join(f"def f{n}(): return {n}\n" for n in range(20)),
            "logo.bin": "\0\1\2",
        },
    )


def test_changed_files_reports_adds_deletes_modifications_and_renames(
    repo: Repo, base: str
) -> None:
    moved = "".join(f"def f{n}(): return {n}\n" for n in range(20))
    head = make_branch(
        repo.root,
        "work",
        base,
        {
            "gone.txt": None,
            "moved/from.py": None,
            "moved/to.py": moved + "def extra(): return 0\n",
            "keep.txt": MIDDLE.replace("line 5\n", "line five\n"),
            "new dir/with space é.txt": "new\n",
        },
    )

    changes = changed_files(repo.root, base, head)

    assert sorted(changes, key=lambda c: c.path) == [
        FileChange("D", "gone.txt"),
        FileChange("M", "keep.txt"),
        FileChange("R", "moved/to.py", "moved/from.py"),
        FileChange("A", "new dir/with space é.txt"),
    ]
    assert changed_files(repo.root, base, base) == []


def test_added_lines_numbers_lines_in_the_new_file(repo: Repo, base: str) -> None:
    lines = MIDDLE.splitlines(keepends=True)
    lines[4:6] = ["line five\n", "inserted\n", "line six\n"]  # 5,6 replaced by 3 lines
    head = make_branch(
        repo.root,
        "work",
        base,
        {
            "keep.txt": "".join(lines) + "no newline at end",
            "fresh.py": "a\n+++ b/looks like a header\n@@ -1 +1 @@\n",
            "gone.txt": None,
            "tab\there.txt": "quoted path\n",
            "space here.txt": "spaced path\n",
            "naïve.txt": "unicode path\n",
        },
    )

    added = added_lines(repo.root, base, head)

    assert added["keep.txt"] == [
        (5, "line five"),
        (6, "inserted"),
        (7, "line six"),
        (12, "no newline at end"),
    ]
    assert added["fresh.py"] == [(1, "a"), (2, "+++ b/looks like a header"), (3, "@@ -1 +1 @@")]
    assert added["tab\there.txt"] == [(1, "quoted path")]
    assert added["space here.txt"] == [(1, "spaced path")]
    assert added["naïve.txt"] == [(1, "unicode path")]
    assert "gone.txt" not in added and "logo.bin" not in added


def test_added_lines_of_a_renamed_file_are_only_the_new_ones(repo: Repo, base: str) -> None:
    moved = "".join(f"def f{n}(): return {n}\n" for n in range(20))
    head = make_branch(
        repo.root,
        "work",
        base,
        {"moved/from.py": None, "moved/to.py": moved + "def extra(): return 0\n"},
    )

    assert added_lines(repo.root, base, head) == {"moved/to.py": [(21, "def extra(): return 0")]}


def test_numstat_counts_lines_and_marks_binary_files(repo: Repo, base: str) -> None:
    head = make_branch(
        repo.root,
        "work",
        base,
        {
            "logo.bin": "\0\3\4\5",
            "keep.txt": MIDDLE.replace("line 2\n", "two\nlines\n"),
            "gone.txt": None,
        },
    )

    rows = sorted(numstat(repo.root, base, head), key=lambda row: row[2])

    assert rows == [(0, 1, "gone.txt"), (2, 1, "keep.txt"), (None, None, "logo.bin")]


def test_numstat_reports_a_rename_under_its_new_path(repo: Repo, base: str) -> None:
    moved = "".join(f"def f{n}(): return {n}\n" for n in range(20))
    head = make_branch(
        repo.root, "work", base, {"moved/from.py": None, "moved/to.py": moved + "x = 1\n"}
    )

    assert numstat(repo.root, base, head) == [(1, 0, "moved/to.py")]


def test_diff_text_is_a_unified_diff_whatever_the_user_config(repo: Repo, base: str) -> None:
    git(repo.root, "config", "diff.noprefix", "true")
    git(repo.root, "config", "diff.external", "false")
    git(repo.root, "config", "color.diff", "always")
    moved = "".join(f"def f{n}(): return {n}\n" for n in range(20))
    head = make_branch(
        repo.root,
        "work",
        base,
        {"moved/from.py": None, "moved/to.py": moved, "keep.txt": MIDDLE + "end\n"},
    )

    text = diff_text(repo.root, base, head)

    assert "rename from moved/from.py\nrename to moved/to.py" in text
    assert "--- a/keep.txt\n+++ b/keep.txt\n" in text and "\n+end\n" in text
    assert "\x1b[" not in text
    assert diff_text(repo.root, base, base) == ""


def test_diff_summary_reads_both_lists_from_one_call_even_with_odd_names(
    repo: Repo, base: str
) -> None:
    """Paths that look like headers (`:x`, `1\t2\t3`) stay paths; renames keep both names."""
    moved = "".join(f"def f{n}(): return {n}\n" for n in range(20))
    head = make_branch(
        repo.root,
        "work",
        base,
        {
            ":colon.txt": "a\nb\n",
            "1\t2\t3": "tabs\n",
            "moved/from.py": None,
            "moved/to.py": moved + "x = 1\n",
            "gone.txt": None,
        },
    )

    summary = diff_summary(repo.root, base, head)

    assert sorted(summary.changes, key=lambda c: c.path) == [
        FileChange("A", "1\t2\t3"),
        FileChange("A", ":colon.txt"),
        FileChange("D", "gone.txt"),
        FileChange("R", "moved/to.py", "moved/from.py"),
    ]
    assert sorted(summary.numstat, key=lambda row: row[2]) == [
        (1, 0, "1\t2\t3"),
        (2, 0, ":colon.txt"),
        (0, 1, "gone.txt"),
        (1, 0, "moved/to.py"),
    ]
    assert summary.changes == changed_files(repo.root, base, head)
    assert summary.numstat == numstat(repo.root, base, head)
