"""What a reviewer returns when asked to prove a blocking security finding with a test.

``specloop review --security --prove`` asks the reviewer that raised a blocking
security finding for one new test file and the command that runs it; the engine
(``specloop.engine._proving``) writes the file into a throwaway worktree of the
change's head and runs the command in the sandbox. The test must FAIL on the change
(the vulnerability is there), which is the only outcome it may predict.

The checks here run inside ``ModelClient.structured``'s repair rounds, so a model
that names an existing file or a path outside the repository is told why and may
correct itself; if it cannot, the proof is an error and the finding keeps blocking.
Writing over an existing file would test something other than the change, and a
path outside the repository would let a model's answer write anywhere the user can.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from specloop.gitops import GitError, run_git
from specloop.review._consensus import Finding
from specloop.review._prompts import _environment

#: Bounds on what a proposed test may be: a proof is one small file and one command.
MAX_TEST_CHARS = 50_000
MAX_COMMAND_CHARS = 500
MAX_PATH_CHARS = 200
#: How much of the repository a proof prompt shows: the finding's file and a file list.
MAX_FILE_CHARS = 40_000
MAX_LISTED_FILES = 300
_FORBIDDEN_PARTS = frozenset({".git", ".specloop"})
# Characters that have no business in a test's file name and would make the command
# and the path hard to match or quote.
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


class ProofOutput(BaseModel):
    """One new test file that fails on this change because of the finding."""

    test_path: str = Field(
        description=(
            "Repository-relative path of a NEW test file (it must not exist yet), e.g."
            " tests/test_exploit_shell_injection.py; no '..', not absolute."
        )
    )
    test_code: str = Field(description="The whole content of that file.")
    command: str = Field(
        description=(
            "The shell command, run from the repository root, that runs only this test,"
            " e.g. python3 -m unittest tests/test_exploit_shell_injection.py"
        )
    )
    expected: Literal["fails"] = Field(
        description="Always 'fails': the test fails on this change because of the finding."
    )


def path_problems(test_path: str, existing: Collection[str]) -> list[str]:
    """Why ``test_path`` cannot be the new test file (empty when it can).

    ``existing`` holds the repository-relative paths of the files at the change's head.
    """
    path = test_path.strip()
    if not path:
        return ["test_path is empty: name a new file inside the repository"]
    if len(path) > MAX_PATH_CHARS:
        return [f"test_path is longer than {MAX_PATH_CHARS} characters"]
    if path.startswith("/") or "\\" in path or re.match(r"^[A-Za-z]:", path):
        return [f"test_path {path!r} must be relative to the repository root, not absolute"]
    if not _SAFE_PATH.match(path):
        return [f"test_path {path!r} may only use letters, digits, '.', '_', '-' and '/'"]
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return [f"test_path {path!r} must be a plain relative path: no '..', '.' or '//'"]
    if _FORBIDDEN_PARTS.intersection(parts):
        return [f"test_path {path!r} may not be inside .git or .specloop"]
    if path in existing:
        return [f"test_path {path!r} already exists: name a NEW file, never change existing ones"]
    prefix = f"{path}/"
    if any(name.startswith(prefix) for name in existing):
        return [f"test_path {path!r} is an existing directory: name a new file"]
    parents = ["/".join(parts[:i]) for i in range(1, len(parts))]
    clash = next((p for p in parents if p in existing), None)
    if clash is not None:
        return [f"test_path {path!r} is below {clash!r}, which is a file"]
    return []


def proof_problems(output: ProofOutput, existing: Collection[str]) -> list[str]:
    """Everything wrong with a proposed proof, one line each (empty when it is usable)."""
    problems = path_problems(output.test_path, existing)
    if not output.test_code.strip():
        problems.append("test_code is empty: give the whole test file")
    elif len(output.test_code) > MAX_TEST_CHARS:
        problems.append(f"test_code is longer than {MAX_TEST_CHARS} characters: keep it small")
    command = output.command.strip()
    if not command:
        problems.append("command is empty: give the shell command that runs the test")
    elif len(command) > MAX_COMMAND_CHARS or "\n" in command:
        problems.append(f"command must be one line of at most {MAX_COMMAND_CHARS} characters")
    elif not problems and not _names_test(command, output.test_path.strip()):
        # Otherwise any failing command (`false`) would "reproduce" the finding.
        problems.append(
            f"command {command!r} must run the test file {output.test_path.strip()!r}:"
            " name it (or its dotted module name) in the command"
        )
    return problems


def _names_test(command: str, test_path: str) -> bool:
    pure = PurePosixPath(test_path)
    module = ".".join((*pure.parent.parts, pure.stem)) if pure.suffix == ".py" else None
    return test_path in command or (module is not None and module in command)


def proof_validator(existing: Collection[str]) -> Callable[[ProofOutput], Sequence[str]]:
    """The validator ``ModelClient.structured`` runs on each proof reply (problems -> repair)."""
    known = frozenset(existing)

    def check(output: ProofOutput) -> list[str]:
        return proof_problems(output, known)

    return check


def head_files(repo: Path, head: str) -> frozenset[str]:
    """Every file path in commit ``head`` (what a new test file must not collide with)."""
    out = run_git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", head], repo)
    return frozenset(name for name in out.split("\0") if name)


def is_provable(finding: Finding) -> bool:
    """Whether ``--prove`` asks for a test for this finding: blocking and about security."""
    return finding.blocking and finding.category == "security"


def prove_system_prompt(*, timeout: float) -> str:
    """The rules for writing a proof test (``prompts/prove.md``, system part)."""
    return _render(part="system", timeout=f"{timeout:g}")


def prove_prompt(
    *,
    repo: Path,
    head: str,
    finding: Finding,
    reviewer: str,
    diff_range: str,
    spec_text: str | None,
    files: Collection[str],
) -> str:
    """The user prompt asking ``reviewer`` to prove ``finding`` on commit ``head``."""
    listed = sorted(files)
    shown = "\n".join(f"- {name}" for name in listed[:MAX_LISTED_FILES])
    if len(listed) > MAX_LISTED_FILES:
        shown += f"\n- ... and {len(listed) - MAX_LISTED_FILES} more"
    return _render(
        part="prompt",
        range=diff_range,
        spec_text=(spec_text or "").strip(),
        title=finding.title,
        location=finding.location,
        reviewers=", ".join(finding.reviewers),
        body=finding.body.strip(),
        path=finding.path,
        file_text=_numbered_file(repo, head, finding.path),
        files=shown or "(none)",
        reviewer=reviewer,
    )


def _render(**values: str) -> str:
    return _environment().get_template("prove.md").render(**values).strip() + "\n"


def _numbered_file(repo: Path, head: str, path: str) -> str:
    """The finding's file at ``head`` with line numbers, bounded; empty when unreadable."""
    try:
        text = run_git(["show", f"{head}:{path}"], repo)
    except GitError:
        return ""  # deleted by the change, or binary git refused to print
    if "\0" in text:
        return ""
    if len(text) > MAX_FILE_CHARS:
        text = text[:MAX_FILE_CHARS] + "\n... (cut: the file is longer)\n"
    return "\n".join(f"{n} | {line}" for n, line in enumerate(text.splitlines(), start=1))
