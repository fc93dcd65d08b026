"""A real `specloop run` with one merged, one failed, one blocked and one waiting task,
whose titles, diffs, check output and model output hold HTML that must stay text.

Built once per test session (a run takes seconds) and shared read-only by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import Result, git, make_task, run_specloop
from specloop.ledger import LEDGER_RELPATH, Ledger

#: Sets window.__pwned if it ever runs; every injection below uses it.
SCRIPT = "<script>window.__pwned = 1</script>"
IMG = "<img src=x onerror=window.__pwned=2>"
TITLE_MERGED = f"Add {SCRIPT} & \"quotes\" 'too'"
TITLE_FAILED = f"Break {IMG} & more"
#: What the merged task's agent writes, so the diff holds it.
NEW_FILE = f'# {SCRIPT}\nVALUE = "a & b < c"  # {IMG}\n'
#: Printed by the failed task's completion check, so the check output holds it.
CHECK_NOISE = f"{SCRIPT} {IMG} &amp; done"
SUMMARY = f"Model says: {SCRIPT} all done & dusted"
FINDING = f"Reviewer saw {SCRIPT} in the diff"
DECISION = f"human said {IMG} is fine"

_AGENT = f"""set -e
case "$SPECLOOP_TASK_ID" in
  0x01) cat > src/new.py <<'PY'
{NEW_FILE}PY
  ;;
  0x02) echo 'nothing useful' > src/two.txt ;;
esac
"""


@dataclass(frozen=True)
class ReportProject:
    """The project after its run; ``run`` is the result of `specloop run`."""

    root: Path
    run: Result

    def report(self, *args: str) -> Result:
        return run_specloop("report", *args, cwd=self.root)


def _write_task(root: Path, task_id: str, title: str, **parts: object) -> None:
    text = make_task(task_id, title=title, **parts)  # type: ignore[arg-type]
    (root / "tasks" / f"{task_id}-task.md").write_text(text, encoding="utf-8")


def _build(base: Path) -> ReportProject:
    root = base / "project"
    (root / "tasks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / ".specloop").mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.invalid")
    (root / ".specloop" / "config.toml").write_text(
        '[run]\nautonomy = "verified"\nmax_attempts = 1\ntimeout = 60\nsandbox = "optional"\n'
    )
    (root / ".gitignore").write_text(".specloop/state/\n")
    (root / "src" / "app.py").write_text("def hello():\n    return 'hi'\n")
    (root / "SPEC.md").write_text(
        f'# Spec\n\n## Problem statement\n\nShow {SCRIPT} as text & keep "quotes".\n\n'
        "## Architecture\n\n- one `module`\n- ![tracker](https://example.invalid/x.png)\n",
        encoding="utf-8",
    )
    _write_task(
        root,
        "0x01",
        TITLE_MERGED,
        scope=("src/new.py",),
        criteria=("`test -f src/new.py` passes", "No TODOs left in code"),
    )
    noisy = f"`sh -c 'echo \"{CHECK_NOISE}\"; test -f src/two.py'` passes"
    _write_task(root, "0x02", TITLE_FAILED, scope=("src/two.txt", "src/two.py"), criteria=(noisy,))
    _write_task(root, "0x03", "Blocked by a missing task", depends_on="[0x09]")
    _write_task(root, "0x04", "Waits for the failed one", depends_on="[0x02]")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    agent = base / "agent.sh"
    agent.write_text(_AGENT)
    run = run_specloop("run", "--executor", f"cmd:sh {agent}", cwd=root)
    _add_model_output(root)
    return ReportProject(root, run)


def _add_model_output(root: Path) -> None:
    """What a builtin agent and a reviewer would have recorded: text written by a model."""
    with Ledger.open(root / LEDGER_RELPATH) as ledger:
        attempt = ledger.attempt_details()[0]
        assert attempt.task_id == "0x01"
        ledger.append_event(
            "attempt.executed",
            task_id="0x01",
            attempt_id=attempt.id,
            data={"summary": SUMMARY, "ok": True},
        )
        ledger.record_finding(
            attempt.id,
            reviewer="openai:gpt-test",
            priority=1,
            title=f"Title {SCRIPT}",
            body=FINDING,
            path="src/new.py",
            line_start=1,
            line_end=2,
            category="security",
            confidence=0.9,
            blocking=False,
        )
        ledger.record_decision("0x01", decision="note", actor="human:test", reason=DECISION)
        ledger.record_usage(
            role="executor",
            model="openai:gpt-test",
            input_tokens=1200,
            output_tokens=340,
            cached_tokens=100,
            cost_usd=0.0123,
            task_id="0x01",
            attempt_id=attempt.id,
        )


_BUILT: dict[str, ReportProject] = {}


def built_project(factory: pytest.TempPathFactory) -> ReportProject:
    """The shared project (built on first use)."""
    if "project" not in _BUILT:
        _BUILT["project"] = _build(factory.mktemp("report"))
    return _BUILT["project"]
