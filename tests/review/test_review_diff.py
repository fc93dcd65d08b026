"""Parsing `git diff-tree -p` into files and hunks, and cutting a diff into chunks."""

from __future__ import annotations

from review_support import change

from helpers import Repo
from specloop.gitops import diff_text
from specloop.review import chunk_files, parse_diff


def test_statuses_paths_spans_and_binary_files(repo: Repo) -> None:
    base, head = change(
        repo,
        {
            "keep.py": "a\nb\nc\n",
            "gone.py": "x\ny\n",
            "sp ace.txt": "one\n",
            "old.txt": "same\n" * 5,
        },
        {
            "keep.py": "a\nB\nc\nd\n",
            "blob.bin": b"\x00\x01\x02binary",
            "sp ace.txt": "two\n",
            "dir/caf\u00e9.py": "new\n",
        },
    )
    (repo.root / "gone.py").unlink()
    (repo.root / "old.txt").rename(repo.root / "new.txt")
    from review_support import commit_all

    head = commit_all(repo, "delete and rename")
    files = {f.path: f for f in parse_diff(diff_text(repo.root, base, head))}

    assert files["keep.py"].status == "modified" and files["keep.py"].spans() == [(1, 4)]
    assert files["blob.bin"].binary and files["blob.bin"].hunks == []
    assert files["sp ace.txt"].spans() == [(1, 1)]
    assert files["dir/caf\u00e9.py"].status == "added"
    assert files["gone.py"].status == "deleted" and files["gone.py"].spans() == [(1, 2)]
    assert files["new.txt"].status == "renamed" and files["new.txt"].old_path == "old.txt"
    assert files["new.txt"].hunks == []  # a pure rename has nothing to review
    assert files["keep.py"].overlaps(4, 9) and not files["keep.py"].overlaps(5, 9)


def test_lines_that_look_like_headers_inside_a_hunk_stay_lines() -> None:
    text = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,1 +1,3 @@\n"
        " keep\n++++ not a header\n+diff --git a/fake b/fake\n"
    )
    (diff,) = parse_diff(text)
    assert [line.text for line in diff.hunks[0].lines] == [
        "keep",
        "+++ not a header",
        "diff --git a/fake b/fake",
    ]
    assert [line.new_no for line in diff.hunks[0].lines] == [1, 2, 3]


def test_chunks_show_line_numbers_and_cover_every_line_once(repo: Repo) -> None:
    lines = "".join(f"value_{n} = {n}\n" for n in range(1, 2001))
    base, head = change(repo, {"README": "x\n"}, {"big.py": lines, "small.py": "tiny = 1\n"})
    files = parse_diff(diff_text(repo.root, base, head))
    chunks = chunk_files(files, max_chars=5_000)

    assert len(chunks) > 5
    assert all(len(chunk.text) <= 5_200 for chunk in chunks)
    numbered = [
        int(line.split("|")[0])
        for chunk in chunks
        for line in chunk.text.splitlines()
        if "|+value_" in line
    ]
    assert numbered == list(range(1, 2001))  # nothing lost, nothing twice, in order
    assert "     1 |+value_1 = 1" in chunks[0].text
    assert "(continued)" in chunks[1].text  # one hunk split inside, its header repeated
    assert chunks[-1].segments[-1].path == "small.py"
    assert chunks[0].segments[0].where == f"big.py lines 1-{chunks[0].segments[0].last_line}"


def test_binary_and_rename_only_files_make_no_chunk(repo: Repo) -> None:
    base, head = change(repo, {"a.txt": "a\n"}, {"b.bin": b"\x00\xff"})
    assert chunk_files(parse_diff(diff_text(repo.root, base, head)), 1_000) == []
    assert parse_diff("") == []
