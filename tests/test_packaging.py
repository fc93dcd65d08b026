"""What a regular (non-editable) install ships: every data file the code reads."""

from __future__ import annotations

import tomllib

from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "specloop"


def test_every_non_python_file_in_the_package_is_declared_as_package_data() -> None:
    # CI installs in editable mode, which finds these files anyway; a user's `pip install .`
    # ships only what package-data names (this once broke `specloop demo`).
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["specloop"]
    declared = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    data_files = {
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert sorted(str(p.relative_to(PACKAGE)) for p in data_files - declared) == []
