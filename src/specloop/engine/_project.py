"""Finding the project a command works on, and loading its configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specloop.config import CONFIG_RELPATH, Config, load_config
from specloop.gitops import repo_root


class ProjectError(Exception):
    """The command cannot work here (exit code 2): the message says why and what to do."""


@dataclass(frozen=True)
class Project:
    """A specloop project: a directory inside a git work tree, and its effective config."""

    root: Path
    git_root: Path
    config: Config


def find_project_root(start: Path) -> tuple[Path, Path]:
    """(project root, git root): the nearest directory from `start` up to the git root
    holding `.specloop/config.toml`, else the git root. Raises ProjectError."""
    if not start.exists():
        raise ProjectError(f"no such directory: {start}")
    if not start.is_dir():
        raise ProjectError(f"not a directory: {start}")
    start = start.resolve()
    git_root = repo_root(start)
    for directory in (start, *start.parents):
        if (directory / CONFIG_RELPATH).is_file():
            return directory, git_root
        if directory == git_root or not directory.is_relative_to(git_root):
            break
    return git_root, git_root


def open_project(start: Path, env: dict[str, str] | None = None) -> Project:
    """Find the project around `start` and load its config (ConfigError propagates)."""
    root, git_root = find_project_root(start)
    return Project(root, git_root, load_config(root, env))
