"""Fixtures for verification tests: a real repository with a first commit."""

from __future__ import annotations

import pytest
from verify_repo import GitRepo

from helpers import Repo


@pytest.fixture
def git_repo(repo: Repo) -> GitRepo:
    """The shared `repo` fixture with a README, ready for a base commit."""
    project = GitRepo(repo.root)
    project.write("README.md", "# project\n")
    return project
