"""Regenerate the demo's scripted model replies from the examples/ project.

    .venv/bin/python scripts/make_demo_script.py [OUT]

The demo (`specloop demo`) plays back src/specloop/engine/demo/script.yaml through the
scripted model server. Deriving it from examples/ keeps the demo's output and the
example project identical. The script shows one repair round on purpose: the first
task plan has a criterion specloop cannot check, lint's message goes back to the
"model", and the second plan fixes it.

After the planner's replies come the builtin agent's, two per task: an `apply_patch`
call that writes the task's files, then a final "done" reply. The files are
examples/solution/<task id>/, each tree holding the final text of every file that task
writes; a file an earlier task wrote becomes an Update hunk against that text, a new
file an Add. Each agent step matches its own task's handover only (the handover's rules
heading and the task's `id:` line), never a planning request.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from specloop.artifacts import Task, load_tasks, matches, normalize_title, parse_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SOLUTION = EXAMPLES / "solution"
OUT = ROOT / "src" / "specloop" / "engine" / "demo" / "script.yaml"
QUESTIONS = [
    "Should times be stored in UTC or in local time?",
    "Should weeks in the weekly summary start on Monday (ISO weeks) or on Sunday?",
]
BAD_CRITERION = "The log command works"
#: What each planning request carries that no agent session sees (the planner's steps'
#: `when`): the answered-questions round, each stage, and the tasks stage's repair round.
ANSWERED = "The user answered the open questions"
REPAIR = "specloop cannot check"
STAGES = {name: f"Stage: {name}." for name in ("spec", "agents", "tasks")}
#: The first line of every handover (specloop.engine._handover.RULES): only agent
#: sessions see it, so an agent step never answers a planning request.
HANDOVER_HEADING = "# How to work on this task"
#: What a handover costs beyond the task's own text: the rules, the agent's system
#: prompt and the tool schemas (tokens).
AGENT_OVERHEAD_TOKENS = 1_150


def bullets(text: str) -> list[str]:
    """`- a\n  more\n- b` -> ["a more", "b"]."""
    items: list[str] = []
    for line in text.splitlines():
        if re.match(r"^[-*] ", line):
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    return items


def numbered(text: str) -> list[str]:
    """`1. a\n   more\n2. b` -> ["a more", "b"]."""
    items: list[str] = []
    for line in text.splitlines():
        match = re.match(r"^\d+\. (.*)", line)
        if match:
            items.append(match.group(1).strip())
        elif line.startswith(" ") and items:
            items[-1] += " " + line.strip()
    return items


def spec_draft(open_questions: list[str]) -> dict[str, Any]:
    text = (EXAMPLES / "SPEC.md").read_text(encoding="utf-8")
    spec = parse_spec(text)

    def body(name: str) -> str:
        block = spec.section(name)
        assert block is not None, name
        return block.text

    return {
        "title": text.splitlines()[0].removeprefix("# ").strip(),
        "problem_statement": body("Problem statement"),
        "architecture": body("Architecture"),
        "data_models": body("Data models"),
        "entrypoints": body("Entrypoints"),
        "threat_model": body("Threat model"),
        "non_goals": bullets(body("Non-goals")),
        "constraints": bullets(body("Constraints")),
        "open_questions": open_questions,
        "success_criteria": bullets(body("Success criteria")),
    }


def agents_draft() -> dict[str, Any]:
    spec = parse_spec((EXAMPLES / "AGENTS.md").read_text(encoding="utf-8"))
    fields = {}
    for block in spec.sections:
        fields[normalize_title(block.title).replace(" ", "_")] = bullets(block.text)
    return fields


def task_plan(*, bad: bool) -> dict[str, Any]:
    tasks = []
    for task in load_tasks(EXAMPLES).tasks:
        criteria = [c.text for c in task.criteria]
        if bad and task.id == "0x04":
            criteria = [BAD_CRITERION if c == "No TODOs left in code" else c for c in criteria]
        tasks.append(
            {
                "id": task.id,
                "title": task.title,
                "depends_on": list(task.depends_on),
                "objective": task.objective,
                "files": list(task.scope_patterns),
                "steps": numbered(task.steps),
                "completion_criteria": criteria,
            }
        )
    return {"tasks": tasks}


def result(arguments: dict[str, Any], input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "tool_call": {"name": "final_result", "arguments": arguments},
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }


def solution_files(task_id: str) -> dict[str, str]:
    """The files task `task_id` writes, path -> final text, from examples/solution/."""
    tree = SOLUTION / task_id
    assert tree.is_dir(), f"no solution tree {tree.relative_to(ROOT)}"
    return {
        path.relative_to(tree).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(tree.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def dependency_order(tasks: list[Task]) -> list[Task]:
    """`tasks` with every task after all of its dependencies (ties by id)."""
    done: dict[str, Task] = {}
    pending = sorted(tasks, key=lambda task: task.id)
    while pending:
        ready = next(task for task in pending if set(task.depends_on) <= done.keys())
        done[ready.id] = ready
        pending.remove(ready)
    return list(done.values())


def closure(task: Task, by_id: dict[str, Task]) -> set[str]:
    """The ids of every task `task` depends on, directly or not."""
    found: set[str] = set()
    stack = list(task.depends_on)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(by_id[current].depends_on)
    return found


def base_files(task: Task, tasks: list[Task]) -> dict[str, str]:
    """The files the task's worktree starts from: its dependencies' trees, in order."""
    wanted = closure(task, {t.id: t for t in tasks})
    files: dict[str, str] = {}
    for earlier in dependency_order(tasks):
        if earlier.id in wanted:
            files.update(solution_files(earlier.id))
    return files


def update_hunks(old: str, new: str) -> list[str]:
    """Codex `@@` hunks turning `old` into `new`, three lines of context each.

    A blank context line is written as an empty line (the grammar allows it), so no
    patch line ends in a space and the script's YAML keeps its `|` blocks.
    """
    before, after = old.splitlines(), new.splitlines()
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        lines.append("@@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [f" {line}" if line else "" for line in before[i1:i2]]
                continue
            lines += [f"-{line}" for line in before[i1:i2]]
            lines += [f"+{line}" for line in after[j1:j2]]
    return lines


def task_patch(files: dict[str, str], base: dict[str, str]) -> str:
    """One patch writing `files`: an Add for a new file, an Update for one in `base`."""
    lines = ["*** Begin Patch"]
    for path, text in files.items():
        assert text.endswith("\n") and "\r" not in text, f"{path}: end with one newline, no CR"
        if path in base:
            lines.append(f"*** Update File: {path}")
            lines += update_hunks(base[path], text)
        else:
            lines.append(f"*** Add File: {path}")
            lines += [f"+{line}" for line in text.splitlines()]
    lines.append("*** End Patch")
    return "\n".join(lines) + "\n"


def tokens(text: str) -> int:
    """About four characters a token."""
    return (len(text) + 3) // 4


def agent_steps(task: Task, tasks: list[Task]) -> list[dict[str, Any]]:
    """The builtin agent's two turns for `task`: the patch, then "done"."""
    files = solution_files(task.id)
    outside = [path for path in files if not any(matches(p, path) for p in task.scope_patterns)]
    assert not outside, f"{task.id}: solution files outside its Files to Modify: {outside}"
    base = base_files(task, tasks)
    patch = task_patch(files, base)
    added = [path for path in files if path not in base]
    updated = [path for path in files if path in base]
    done = f"done: {task.title}: added {', '.join(added)}"
    done += f"; updated {', '.join(updated)}." if updated else "."
    done += " Assumptions: none."
    # The handover: AGENTS.md, the task file, the files in scope as they are now. No
    # planning step may match it, nor anything the agent sends back.
    assert task.path is not None
    seen = [
        (EXAMPLES / "AGENTS.md").read_text(encoding="utf-8"),
        task.path.read_text(encoding="utf-8"),
        *(base[path] for path in updated),
    ]
    for text in [*seen, patch, done]:
        for needle in (ANSWERED, REPAIR, *STAGES.values()):
            assert needle not in text, f"{task.id}: {needle!r} would match a planning step"
    for text in [seen[0], *seen[2:], patch, done]:  # all but the task file itself
        assert "id: 0x" not in text and HANDOVER_HEADING not in text, task.id
    handover = AGENT_OVERHEAD_TOKENS + sum(tokens(text) for text in seen)
    patch_tokens = tokens(patch) + 24
    result_tokens = 12 + 9 * len(files)  # "Success. Updated the following files: ..."
    needles = [HANDOVER_HEADING, f"id: {task.id}"]
    return [
        {
            "when": {"contains": needles},
            "tool_call": {"name": "apply_patch", "arguments": {"patch": patch}},
            "usage": {"input_tokens": handover, "output_tokens": patch_tokens},
        },
        {
            "when": {"contains": list(needles)},
            "reply": done,
            "usage": {
                "input_tokens": handover + patch_tokens + result_tokens,
                "output_tokens": tokens(done) + 6,
                "cached_tokens": handover // 128 * 128,
            },
        },
    ]


def _block_strings(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Multi-line text as `|` blocks, so the script reads like the Markdown it carries.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def build_script() -> str:
    """The whole script.yaml text: the planner's replies, then the agent's per task."""
    yaml.add_representer(str, _block_strings, Dumper=yaml.SafeDumper)
    planning = [
        # Specific matches first: the first step whose `when` matches a request wins.
        {"when": {"contains": ANSWERED}, **result(spec_draft([]), 1890, 1460)},
        {"when": {"contains": STAGES["spec"]}, **result(spec_draft(QUESTIONS), 610, 1420)},
        {"when": {"contains": STAGES["agents"]}, **result(agents_draft(), 2240, 520)},
        {"when": {"contains": REPAIR}, **result(task_plan(bad=False), 4980, 2310)},
        {"when": {"contains": STAGES["tasks"]}, **result(task_plan(bad=True), 2760, 2300)},
    ]
    tasks = dependency_order(list(load_tasks(EXAMPLES).tasks))
    agent = [step for task in tasks for step in agent_steps(task, tasks)]
    header = (
        "# The scripted model replies for `specloop demo`: the planner's, then the builtin\n"
        "# agent's (one patch and one reply per task, matched by the task's handover).\n"
        "# Generated by scripts/make_demo_script.py from examples/; do not edit by hand.\n"
    )
    steps = planning + agent
    return header + yaml.safe_dump(steps, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUT
    text = build_script()
    out.write_text(text, encoding="utf-8")
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"wrote {shown} ({text.count(chr(10) + '- ')} steps)")


if __name__ == "__main__":
    main(sys.argv[1:])
