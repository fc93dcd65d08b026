"""`specloop init`: creates what is missing and never overwrites a user's files."""

from __future__ import annotations

from conftest import Repo
from specloop.config import CONFIG_RELPATH, load_config
from specloop.engine import init_project


def test_init_creates_config_tasks_and_the_gitignore_line(repo: Repo) -> None:
    (repo.root / "tasks").rmdir()
    result = init_project(repo.root)
    assert result.created == [
        ".specloop/config.toml",
        "tasks/",
        ".gitignore (added .specloop/state/)",
    ]
    assert (repo.root / "tasks").is_dir()
    assert (repo.root / ".gitignore").read_text().splitlines()[-1] == ".specloop/state/"
    config = load_config(repo.root, env={})
    assert config.autonomy == "gated"
    assert config.sources["run.autonomy"].startswith(".specloop/config.toml")


def test_init_twice_changes_nothing_and_keeps_user_edits(repo: Repo) -> None:
    init_project(repo.root)
    config = repo.root / CONFIG_RELPATH
    config.write_text('[run]\nautonomy = "full"\n', encoding="utf-8")
    gitignore = (repo.root / ".gitignore").read_bytes()
    again = init_project(repo.root)
    assert again.created == []
    assert again.kept == [".specloop/config.toml", "tasks/", ".gitignore"]
    assert config.read_text() == '[run]\nautonomy = "full"\n'
    assert (repo.root / ".gitignore").read_bytes() == gitignore


def test_init_appends_to_an_existing_gitignore_without_a_final_newline(repo: Repo) -> None:
    repo.write(".gitignore", "node_modules/\n*.log")
    init_project(repo.root)
    text = (repo.root / ".gitignore").read_text()
    assert text.startswith("node_modules/\n*.log\n")
    assert text.endswith(".specloop/state/\n")


def test_init_honours_a_configured_tasks_directory(repo: Repo) -> None:
    repo.write(".specloop/config.toml", '[paths]\ntasks = "work/tasks"\n')
    result = init_project(repo.root)
    assert "work/tasks/" in result.created
    assert (repo.root / "work" / "tasks").is_dir()
