"""The Codex apply_patch format: parsing, applying, matching tolerance, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.executors._patch import (
    AddFile,
    Chunk,
    DeleteFile,
    PatchError,
    UpdateFile,
    apply_patch,
    describe,
    parse_patch,
)


def patch(*lines: str) -> str:
    return "\n".join(["*** Begin Patch", *lines, "*** End Patch"]) + "\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "app.py").write_text(
        "import os\n\n\nclass App:\n    def old(self):\n        return 1\n\n"
        "    def other(self):\n        return 2\n"
    )
    return tree


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- parsing --------------------------------------------------------------------------


def test_parse_every_operation() -> None:
    ops = parse_patch(
        patch(
            "*** Add File: a.txt",
            "+one",
            "+two",
            "*** Delete File: b.txt",
            "*** Update File: c.py",
            "*** Move to: d.py",
            "@@ def f():",
            " keep",
            "-old",
            "+new",
            "*** End of File",
        )
    )
    assert ops == [
        AddFile("a.txt", ("one", "two")),
        DeleteFile("b.txt"),
        UpdateFile("c.py", (Chunk(("def f():",), ("keep", "old"), ("keep", "new"), True),), "d.py"),
    ]


def test_parse_accepts_missing_final_newline_crlf_and_heredoc_wrapper() -> None:
    text = "*** Begin Patch\r\n*** Delete File: x\r\n*** End Patch"
    assert parse_patch(text) == [DeleteFile("x")]
    wrapped = "apply_patch <<'EOF'\n" + patch("*** Delete File: x") + "EOF\n"
    assert parse_patch(wrapped) == [DeleteFile("x")]


def test_parse_several_anchors_and_hunks() -> None:
    (update,) = parse_patch(
        patch("*** Update File: f", "@@ class A", "@@     def f", "-a", "+b", "@@", "-c", "+d")
    )
    assert isinstance(update, UpdateFile)
    assert [c.anchors for c in update.chunks] == [("class A", "    def f"), ()]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*** Delete File: x\n*** End Patch\n", "must start with a line '*** Begin Patch'"),
        ("*** Begin Patch\n*** Delete File: x\n", "must end with a line '*** End Patch'"),
        ("", "must start with"),
        (patch(), "no file operations"),
        (patch("*** Rename File: x"), "unknown operation '*** Rename File: x'"),
        (patch("hello"), "expected a file operation"),
        (patch("*** Add File: "), "needs a file path"),
        (patch("*** Add File: a", "oops"), "every line starts with '+'"),
        (patch("*** Update File: a"), "a: the Update File section has no changes"),
        (patch("*** Update File: a", "@@ x", "?bad"), "every line starts with"),
        (patch("*** Update File: a", "@@x", "-a"), "write the anchor as '@@ TEXT'"),
        (patch("*** Update File: a", "@@ x", "@@ y"), "a hunk has no lines"),
        (patch("*** Update File: a", "-a", "*** End of File", "-b"), "starts with an '@@' line"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(PatchError, match=r"^apply_patch: ") as caught:
        parse_patch(text)
    assert message in str(caught.value)


def test_parse_error_names_the_line() -> None:
    with pytest.raises(PatchError, match=r"line 3: 'oops'"):
        parse_patch(patch("*** Add File: a", "oops"))


def test_blank_lines_between_operations_are_separators() -> None:
    ops = parse_patch(patch("*** Add File: a", "+x", "", "*** Update File: b", "-y", "+z", "", ""))
    assert ops == [AddFile("a", ("x",)), UpdateFile("b", (Chunk((), ("y",), ("z",)),))]


# --- applying -------------------------------------------------------------------------


def test_add_file_creates_directories(root: Path) -> None:
    changes = apply_patch(patch("*** Add File: pkg/new/mod.py", "+x = 1", "+", "+y = 2"), root)
    assert (root / "pkg/new/mod.py").read_text() == "x = 1\n\ny = 2\n"
    assert describe(changes) == "Success. Updated the following files:\nA pkg/new/mod.py"


def test_delete_file(root: Path) -> None:
    apply_patch(patch("*** Delete File: src/app.py"), root)
    assert not (root / "src/app.py").exists()


def test_update_with_anchor_and_context(root: Path) -> None:
    apply_patch(
        patch(
            "*** Update File: src/app.py",
            "@@ class App:",
            "     def old(self):",
            "-        return 1",
            "+        return 10",
        ),
        root,
    )
    assert "        return 10\n" in (root / "src/app.py").read_text()
    assert "return 1\n" not in (root / "src/app.py").read_text()


def test_update_multiple_hunks_in_order(root: Path) -> None:
    apply_patch(
        patch(
            "*** Update File: src/app.py",
            "@@",
            "-import os",
            "+import sys",
            "@@ def other(self):",
            "-        return 2",
            "+        return 20",
        ),
        root,
    )
    text = (root / "src/app.py").read_text()
    assert text.startswith("import sys\n")
    assert text.endswith("        return 20\n")


def test_anchor_picks_the_right_one_of_repeated_blocks(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("def a():\n    pass\n\ndef b():\n    pass\n")
    apply_patch(
        patch("*** Update File: f.py", "@@ def b():", "-    pass", "+    return 2"), tmp_path
    )
    assert (tmp_path / "f.py").read_text() == "def a():\n    pass\n\ndef b():\n    return 2\n"


def test_end_of_file_marker_matches_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x\ny\nx\n")
    apply_patch(patch("*** Update File: f", "@@", "-x", "+z", "*** End of File"), tmp_path)
    assert (tmp_path / "f").read_text() == "x\ny\nz\n"


def test_pure_addition_goes_after_the_anchor_or_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a\nb\n")
    apply_patch(patch("*** Update File: f", "@@ a", "+inserted"), tmp_path)
    assert (tmp_path / "f").read_text() == "a\ninserted\nb\n"
    apply_patch(patch("*** Update File: f", "@@", "+last"), tmp_path)
    assert (tmp_path / "f").read_text() == "a\ninserted\nb\nlast\n"


def test_move_with_and_without_changes(root: Path) -> None:
    changes = apply_patch(
        patch(
            "*** Update File: src/app.py",
            "*** Move to: lib/app2.py",
            "@@",
            "-import os",
            "+import re",
        ),
        root,
    )
    assert not (root / "src/app.py").exists()
    assert (root / "lib/app2.py").read_text().startswith("import re\n")
    assert describe(changes).endswith("M lib/app2.py (moved from src/app.py)")
    apply_patch(patch("*** Update File: lib/app2.py", "*** Move to: app3.py"), root)
    assert (root / "app3.py").read_text().startswith("import re\n")


@pytest.mark.parametrize(
    "old_line",
    ["        return 1   ", "return 1", "\t  return 1"],
    ids=["trailing-space", "no-indent", "other-indent"],
)
def test_whitespace_tolerant_matching(root: Path, old_line: str) -> None:
    apply_patch(patch("*** Update File: src/app.py", f"-{old_line}", "+        return 5"), root)
    assert "        return 5\n" in (root / "src/app.py").read_text()


def test_exact_match_wins_over_a_loose_earlier_one(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("  x\nx\n")
    apply_patch(patch("*** Update File: f", "-x", "+y"), tmp_path)
    assert (tmp_path / "f").read_text() == "  x\ny\n"


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"a\r\nb\r\n")
    apply_patch(patch("*** Update File: f", "-b", "+c"), tmp_path)
    assert (tmp_path / "f").read_bytes() == b"a\r\nc\r\n"


def test_trailing_blank_context_line_stands_for_the_final_newline(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a\nb\n")
    apply_patch(patch("*** Update File: f", "-b", "+c", " "), tmp_path)
    assert (tmp_path / "f").read_text() == "a\nc\n"


def test_operations_see_earlier_ones_in_the_same_patch(tmp_path: Path) -> None:
    apply_patch(
        patch("*** Add File: n.txt", "+one", "*** Update File: n.txt", "-one", "+two"), tmp_path
    )
    assert (tmp_path / "n.txt").read_text() == "two\n"


# --- refusals: nothing is written -----------------------------------------------------


def test_context_not_found_names_file_and_line_and_writes_nothing(root: Path) -> None:
    before = snapshot(root)
    text = patch(
        "*** Add File: created.txt",
        "+x",
        "*** Update File: src/app.py",
        "@@",
        "-import os",
        "+import sys",
        "@@",
        "     def missing(self):",
        "-        return 1",
        "+        return 3",
    )
    with pytest.raises(PatchError) as caught:
        apply_patch(text, root)
    assert (
        str(caught.value) == "apply_patch: src/app.py: context not found: '    def missing(self):'"
    )
    assert snapshot(root) == before


def test_anchor_not_found(root: Path) -> None:
    with pytest.raises(
        PatchError, match=r"^apply_patch: src/app.py: context not found: 'def gone\(\):'$"
    ):
        apply_patch(patch("*** Update File: src/app.py", "@@ def gone():", "-x", "+y"), root)


def test_lines_present_but_not_together(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a\nb\nc\n")
    with pytest.raises(PatchError, match="not together in this order"):
        apply_patch(patch("*** Update File: f", " c", "-a", "+z"), tmp_path)


def test_hunks_must_come_in_file_order(root: Path) -> None:
    with pytest.raises(PatchError, match="context not found"):
        apply_patch(
            patch(
                "*** Update File: src/app.py",
                "@@",
                "-        return 2",
                "+        return 20",
                "@@",
                "-import os",
                "+import sys",
            ),
            root,
        )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("*** Add File: src/app.py", "+x"), "apply_patch: src/app.py: file already exists"),
        (("*** Delete File: nope.py",), "apply_patch: nope.py: no such file to delete"),
        (("*** Update File: nope.py", "-a", "+b"), "apply_patch: nope.py: no such file to update"),
        (("*** Delete File: src",), "apply_patch: src: is a directory"),
        (
            ("*** Update File: src/app.py", "*** Move to: src/app.py.bak", "-import os", "+x"),
            None,
        ),
    ],
)
def test_file_state_errors(root: Path, lines: tuple[str, ...], message: str | None) -> None:
    (root / "src/app.py.bak").write_text("taken\n")
    before = snapshot(root)
    with pytest.raises(PatchError) as caught:
        apply_patch(patch(*lines), root)
    assert str(caught.value).startswith(
        message or "apply_patch: src/app.py.bak: file already exists"
    )
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../outside.txt", "'..' is not allowed"),
        ("/etc/passwd", "not an absolute path"),
        ("src/../../x", "'..' is not allowed"),
        (".git/config", "git's own files are off limits"),
        ("sub/.git/hooks/pre-commit", "git's own files are off limits"),
        ("link/evil.txt", "leads outside the worktree"),
    ],
)
def test_paths_are_confined_to_the_root(root: Path, tmp_path: Path, path: str, why: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(PatchError, match=r"^apply_patch: ") as caught:
        apply_patch(patch(f"*** Add File: {path}", "+x"), root)
    assert why in str(caught.value)
    assert list(outside.iterdir()) == []


def test_move_destination_is_confined(root: Path) -> None:
    with pytest.raises(PatchError, match=r"'\.\.' is not allowed"):
        apply_patch(patch("*** Update File: src/app.py", "*** Move to: ../x.py"), root)
    assert (root / "src/app.py").exists()


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PatchError, match="bin: not a UTF-8 text file"):
        apply_patch(patch("*** Update File: bin", "-x", "+y"), tmp_path)


def test_write_failure_rolls_back(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "blocker").write_text("a file where a directory is needed\n")
    text = patch("*** Update File: a.txt", "-a", "+b", "*** Add File: blocker/x.txt", "+x")
    with pytest.raises(PatchError, match="no file was changed"):
        apply_patch(text, tmp_path)
    assert (tmp_path / "a.txt").read_text() == "a\n"
