"""The example project's solution and the demo's script built from it.

Each task of examples/ is done by its tree in examples/solution/ (the files it writes,
as they are after it). Laid over its dependencies' trees, the task's command criteria
must pass with a plain `python3` from the shell, as specloop runs them, and must have
failed before the task's files were there (specloop's before/after evidence). The
demo's script must be what scripts/make_demo_script.py makes of those trees today.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import EXAMPLES, REPO_ROOT, run_specloop
from specloop.artifacts import CriterionKind, Task, load_tasks, matches
from specloop.testing import load_script

SOLUTION = EXAMPLES / "solution"
SCRIPT = REPO_ROOT / "src" / "specloop" / "engine" / "demo" / "script.yaml"
GENERATOR = REPO_ROOT / "scripts" / "make_demo_script.py"
#: The project's whole suite (checks.test_command): it may pass before a task too.
WHOLE_SUITE = "python3 -m unittest"
TASKS = sorted(load_tasks(EXAMPLES).tasks, key=lambda task: task.id)
BY_ID = {task.id: task for task in TASKS}


def dependencies(task: Task) -> list[str]:
    """Every task `task` depends on, directly or not, in id order (ids grow with the build)."""
    found: set[str] = set()
    stack = list(task.depends_on)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(BY_ID[current].depends_on)
    return sorted(found)


def tree(task_id: str) -> dict[str, str]:
    """The solution files of one task: relative path -> text."""
    root = SOLUTION / task_id
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def lay(directory: Path, *task_ids: str) -> None:
    """Write the trees of `task_ids` into `directory`, later trees winning."""
    for task_id in task_ids:
        for relative, text in tree(task_id).items():
            target = directory / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def commands(task: Task) -> list[str]:
    return [c.command for c in task.criteria if c.kind is CriterionKind.COMMAND and c.command]


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`command` through `sh -c` with the system's python3, as specloop runs a criterion."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_task_has_a_solution_inside_its_scope() -> None:
    assert [task.id for task in TASKS] == sorted(p.name for p in SOLUTION.iterdir())
    for task in TASKS:
        files = tree(task.id)
        assert files, task.id
        outside = [f for f in files if not any(matches(p, f) for p in task.scope_patterns)]
        assert outside == [], f"{task.id} writes outside its Files to Modify"
        assert all(dep < task.id for dep in task.depends_on)


def test_python3_on_path_is_3_11_or_newer() -> None:
    found = shutil.which("python3")
    assert found, "python3 is not on PATH"
    version = shell("python3 -c 'import sys; print(sys.version_info >= (3, 11))'", REPO_ROOT)
    assert version.stdout.strip() == "True"


@pytest.mark.parametrize("task", TASKS, ids=[task.id for task in TASKS])
def test_criteria_fail_before_and_pass_after(task: Task, tmp_path: Path) -> None:
    checks = commands(task)
    assert checks, f"{task.id} has no command criterion"
    assert all("pytest" not in c and not c.startswith("python ") for c in checks)
    lay(tmp_path, *dependencies(task))
    before = {command: shell(command, tmp_path).returncode for command in checks}
    for command, code in before.items():
        if command != WHOLE_SUITE:
            assert code != 0, f"{task.id}: `{command}` already passes before the task"
    assert any(code != 0 for code in before.values()), f"{task.id}: no evidence"
    lay(tmp_path, task.id)
    for command in checks:
        result = shell(command, tmp_path)
        assert result.returncode == 0, f"{task.id}: `{command}`\n{result.stdout}{result.stderr}"


def test_no_todos_and_ruff_clean() -> None:
    for path in SOLUTION.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "TODO" not in text and "FIXME" not in text, path
    config = str(REPO_ROOT / "pyproject.toml")
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", config, str(SOLUTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_the_demo_script_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "script.yaml"
    made = subprocess.run(
        [sys.executable, str(GENERATOR), str(fresh)], capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    assert fresh.read_text(encoding="utf-8") == SCRIPT.read_text(encoding="utf-8"), (
        "run: .venv/bin/python scripts/make_demo_script.py"
    )


def test_each_task_has_one_patch_and_one_reply_matching_only_its_handover() -> None:
    steps = load_script(SCRIPT).steps
    agent = [step for step in steps if "# How to work on this task" in step.when]
    planning = [step for step in steps if step not in agent]
    assert len(planning) == 5 and len(agent) == 2 * len(TASKS)
    for task in TASKS:
        patch, reply = [step for step in agent if f"id: {task.id}" in step.when]
        assert steps.index(patch) < steps.index(reply)
        (call,) = patch.tool_calls
        assert call.name == "apply_patch"
        assert json.loads(call.arguments)["patch"].startswith("*** Begin Patch\n")
        assert reply.kind == "reply" and reply.text.startswith("done: ")
        assert reply.text.endswith("Assumptions: none.")
        assert 0 < reply.usage.cached_tokens <= reply.usage.input_tokens
    handover = f"# How to work on this task\n...\n---\nid: {TASKS[2].id}\ntitle: x\n---\n"
    first = next(step for step in steps if step.matches(handover))
    assert first.kind == "tool_calls" and first.when[1] == f"id: {TASKS[2].id}"
    prompts = REPO_ROOT / "src" / "specloop" / "planning" / "prompts"
    for prompt in prompts.glob("*.md"):
        text = prompt.read_text(encoding="utf-8")
        assert not any(step.matches(text) for step in agent), prompt.name


def test_the_patches_rebuild_the_solution(tmp_path: Path) -> None:
    from specloop.executors._patch import apply_patch

    steps = load_script(SCRIPT).steps
    for task in TASKS:
        work = tmp_path / task.id
        lay(work, *dependencies(task))
        expected = {
            p.relative_to(work).as_posix(): p.read_text(encoding="utf-8")
            for p in work.rglob("*")
            if p.is_file()
        }
        expected.update(tree(task.id))
        patch = next(s for s in steps if s.kind == "tool_calls" and f"id: {task.id}" in s.when)
        apply_patch(json.loads(patch.tool_calls[0].arguments)["patch"], work)
        got = {
            p.relative_to(work).as_posix(): p.read_text(encoding="utf-8")
            for p in work.rglob("*")
            if p.is_file()
        }
        assert got == expected, task.id


def test_the_examples_lint_clean_under_strict() -> None:
    result = run_specloop("-C", "examples", "lint", "--strict", cwd=REPO_ROOT)
    assert result.code == 0, result.stdout + result.stderr
    config = (EXAMPLES / ".specloop" / "config.toml").read_text(encoding="utf-8")
    assert f'test_command = "{WHOLE_SUITE}"' in config
