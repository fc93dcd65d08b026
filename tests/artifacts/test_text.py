"""Reading files: binary, oversized and non-UTF-8 input get clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.artifacts import MAX_TEXT_BYTES, ParseError, read_text


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0IHDR")
    with pytest.raises(ParseError, match="binary file"):
        read_text(path)


def test_non_utf8_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(b"---\nid: 0x01\ntitle: caf\xe9\n---\n")
    with pytest.raises(ParseError, match=r"not valid UTF-8 \(byte 0xe9 at line 3\)") as caught:
        read_text(path)
    assert (caught.value.line, caught.value.column) == (3, 11)


def test_a_10_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    with pytest.raises(ParseError, match=r"file is 10\.0 MiB; the limit is 1\.0 MiB"):
        read_text(path)
    assert MAX_TEXT_BYTES == 1024 * 1024


def test_a_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes("\ufeff---\n".encode())
    assert read_text(path) == "---\n"
