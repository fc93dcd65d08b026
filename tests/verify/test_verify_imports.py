""" "No unused imports": the analysis, and the check on real commits."""

from __future__ import annotations

import textwrap

from verify_repo import GitRepo, task

from specloop.verify import CheckResult, CheckStatus, Verification, unused_imports

CRITERIA = ("No unused imports",)


def names(source: str) -> list[str]:
    return [message for _, message in unused_imports(textwrap.dedent(source))]


def check(verification: Verification) -> CheckResult:
    (found,) = [c for c in verification.checks if c.name == "no-unused-imports"]
    return found


def test_unused_names_are_reported_with_their_line() -> None:
    source = "import os\nimport sys\nfrom pathlib import Path, PurePath\n\nprint(sys.argv, Path)\n"
    assert unused_imports(source) == [
        (1, "`import os`: os is never used"),
        (3, "`from pathlib import PurePath`: PurePath is never used"),
    ]


def test_dotted_imports_bind_their_first_name() -> None:
    assert names("import os.path\nos.getcwd()\n") == []
    assert names("import os.path\n") == ["`import os.path`: os is never used"]
    assert names("import xml.etree.ElementTree as ET\nET.parse\n") == []
    assert names("import xml.etree.ElementTree as ET\nxml\n") == [
        "`import xml.etree.ElementTree as ET`: ET is never used"
    ]


def test_uses_that_count() -> None:
    source = """
        from __future__ import annotations
        import typing
        from typing import TYPE_CHECKING
        import json, re as regex
        from . import sibling
        from .models import Model as Model
        from collections import *

        if TYPE_CHECKING:
            from pathlib import Path
            from decimal import Decimal

        __all__ = ["sibling"]

        @typing.final
        class A:
            def f(self, p: "Path") -> "list[Decimal]":
                return [json.dumps(p), regex.escape(f"{p}")]
        """
    assert names(source) == []


def test_assigning_to_a_name_is_not_using_it() -> None:
    assert names("import os\nos = None\n") == ["`import os`: os is never used"]


def test_relative_imports_are_shown_as_written() -> None:
    assert names("from ..pkg import thing\n") == ["`from ..pkg import thing`: thing is never used"]


def test_the_check_on_commits(git_repo: GitRepo) -> None:
    git_repo.write("src/old.py", "import os\n")  # unused, but not changed by the attempt
    git_repo.write("src/app.py", "import sys\nprint(sys.argv)\n")
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "import sys\nimport json\n\nprint(sys.argv)\n")
    git_repo.write("src/pkg/__init__.py", "from .core import run\n")  # a re-export
    git_repo.write("src/pkg/core.py", "from typing import Any\n\n\ndef run(x: Any) -> None: ...\n")
    git_repo.write("src/notes.txt", "import nothing\n")
    head = git_repo.commit("head")
    result = check(git_repo.verify(task(("src/",), CRITERIA), base, head))
    assert result.status is CheckStatus.FAILED and result.blocking and result.kind == "builtin"
    assert result.output == "1 problem(s):\n  src/app.py:2: `import json`: json is never used"


def test_a_syntax_error_fails_with_its_line(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "import sys\n\ndef broken(:\n    pass\n")
    head = git_repo.commit("head")
    result = check(git_repo.verify(task(("src/",), CRITERIA), base, head))
    assert result.status is CheckStatus.FAILED
    assert result.output.startswith("1 problem(s):\n  src/app.py:3: syntax error:")


def test_clean_files_pass_and_the_check_runs_only_when_asked(git_repo: GitRepo) -> None:
    base = git_repo.commit("base")
    git_repo.write("src/app.py", "import sys\nprint(sys.argv)\n")
    head = git_repo.commit("head")
    asked = git_repo.verify(task(("src/",), CRITERIA), base, head)
    assert check(asked).status is CheckStatus.PASSED
    assert check(asked).output == "1 Python file(s) checked"
    not_asked = git_repo.verify(task(("src/",)), base, head)
    assert not [c for c in not_asked.checks if c.name == "no-unused-imports"]
