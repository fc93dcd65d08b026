"""The AGENTS.md chain: root to leaf, one file per directory, cap, diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.artifacts import resolve_agents_chain


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_chain_runs_from_root_to_the_target_directory(tmp_path: Path) -> None:
    write(tmp_path / "AGENTS.md", "root rules\n## Review guidelines\n- no PII")
    write(tmp_path / "svc" / "AGENTS.md", "service rules")
    write(tmp_path / "svc" / "api" / "AGENTS.md", "api rules")
    write(tmp_path / "other" / "AGENTS.md", "not on the path")
    chain = resolve_agents_chain(tmp_path, tmp_path / "svc" / "api")
    assert [f.path.relative_to(tmp_path).as_posix() for f in chain.files] == [
        "AGENTS.md",
        "svc/AGENTS.md",
        "svc/api/AGENTS.md",
    ]
    assert chain.text.endswith("service rules\n\napi rules")
    assert chain.has_review_section
    assert chain.diagnostics == ()


def test_override_wins_and_the_shadowed_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "AGENTS.md", "plain")
    write(tmp_path / "AGENTS.override.md", "override")
    chain = resolve_agents_chain(tmp_path)
    assert [f.text for f in chain.files] == ["override"]
    assert [(d.code, d.path) for d in chain.diagnostics] == [("A001", "AGENTS.md")]


def test_empty_files_are_skipped_and_fallback_names_are_used(tmp_path: Path) -> None:
    write(tmp_path / "AGENTS.md", "  \n")
    write(tmp_path / "sub" / "CONVENTIONS.md", "fallback rules")
    chain = resolve_agents_chain(tmp_path, tmp_path / "sub", fallback_names=("CONVENTIONS.md",))
    assert [f.text for f in chain.files] == ["fallback rules"]
    assert [d.code for d in chain.diagnostics] == ["A002"]


def test_the_byte_cap_cuts_one_file_and_names_the_dropped_ones(tmp_path: Path) -> None:
    write(tmp_path / "AGENTS.md", "a" * 600)
    write(tmp_path / "x" / "AGENTS.md", "b" * 600)
    write(tmp_path / "x" / "y" / "AGENTS.md", "c" * 10)
    chain = resolve_agents_chain(tmp_path, tmp_path / "x" / "y", max_bytes=1000)
    assert [len(f.text) for f in chain.files] == [600, 400]
    assert chain.files[1].truncated
    (diagnostic,) = chain.diagnostics
    assert diagnostic.code == "A003"
    assert diagnostic.path == "x/AGENTS.md"
    assert "cut after 400 of 600 bytes; dropped: x/y/AGENTS.md" in diagnostic.message


def test_a_global_file_comes_first(tmp_path: Path) -> None:
    write(tmp_path / "home" / "AGENTS.md", "global")
    write(tmp_path / "repo" / "AGENTS.md", "repo")
    chain = resolve_agents_chain(tmp_path / "repo", global_file=tmp_path / "home" / "AGENTS.md")
    assert [f.text for f in chain.files] == ["global", "repo"]


def test_a_target_outside_the_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not inside the repository"):
        resolve_agents_chain(tmp_path / "a", tmp_path / "b")
