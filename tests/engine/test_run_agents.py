"""`specloop run` with misbehaving cmd: agents: specloop decides by evidence."""

from __future__ import annotations

import subprocess
from pathlib import Path

from run_project import git, new_project

NEW = ("src/new.py",)
MAKES_NEW = ("`test -f src/new.py` passes", "No TODOs left in code")


def test_a_good_agent_is_verified_and_merged(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    result = p.specloop("run", "--executor", p.agent("good", "echo 'VALUE = 1' > src/new.py\n"))
    assert result.code == 0, result.stdout + result.stderr
    assert "0x01: merged into main" in result.stdout
    assert p.status()["0x01"]["state"] == "merged"
    assert p.show("src/new.py") == "VALUE = 1\n"
    assert (p.root / "src" / "new.py").read_text() == "VALUE = 1\n"  # the main worktree follows
    assert git(p.root, "status", "--porcelain") == ""
    assert "specloop/0x01/attempt-1" not in git(p.root, "branch")


def run_bad(
    tmp_path: Path,
    body: str,
    *,
    files: tuple[str, ...] = NEW,
    criteria: tuple[str, ...] = MAKES_NEW,
    extra_front: str = "",
) -> tuple[object, dict[str, object]]:
    p = new_project(tmp_path)
    p.task("0x01", files=files, criteria=criteria, extra_front=extra_front)
    p.commit()
    before = p.main_files()
    result = p.specloop("run", "--executor", p.agent("bad", body))
    status = p.status()["0x01"]
    assert result.code == 1, result.stdout + result.stderr
    assert status["state"] == "failed"
    assert p.main_files() == before  # nothing merged
    assert "specloop/0x01/attempt-1" in git(p.root, "branch")  # kept for inspection
    return result, status


def test_an_edit_outside_the_scope_fails(tmp_path: Path) -> None:
    _, status = run_bad(tmp_path, "echo 'VALUE = 1' > src/new.py\necho '# sneaky' >> src/app.py\n")
    assert "scope" in str(status["reason"])


def test_a_deleted_test_fails(tmp_path: Path) -> None:
    _, status = run_bad(
        tmp_path,
        "echo 'VALUE = 1' > src/new.py\nrm tests/test_app.py\n",
        files=("src/new.py", "tests/test_app.py"),
    )
    assert "test" in str(status["reason"])


def test_a_todo_fails(tmp_path: Path) -> None:
    _, status = run_bad(tmp_path, "printf 'VALUE = 1  # TODO: make it 2\\n' > src/new.py\n")
    assert "todo" in str(status["reason"]).lower()


def test_failing_criteria_fail(tmp_path: Path) -> None:
    _, status = run_bad(tmp_path, "echo 'x' > src/other.py\n", files=("src/new.py", "src/other.py"))
    assert "test -f src/new.py" in str(status["reason"]) or "command" in str(status["reason"])


def test_a_hanging_agent_is_stopped_by_its_timeout(tmp_path: Path) -> None:
    _, status = run_bad(tmp_path, "sleep 120\n", extra_front="timeout: 2\n")
    assert "timed out" in str(status["reason"])


def test_a_non_zero_exit_fails_even_if_the_work_looks_done(tmp_path: Path) -> None:
    _, status = run_bad(tmp_path, "echo 'VALUE = 1' > src/new.py\nexit 3\n")
    assert "exit" in str(status["reason"])


def test_megabytes_of_output_do_not_matter(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    body = "head -c 30000000 /dev/zero | tr '\\0' 'x'\necho 'VALUE = 1' > src/new.py\n"
    result = p.specloop("run", "--executor", p.agent("loud", body))
    assert result.code == 0, result.stderr
    assert len(result.stdout) < 100_000
    assert p.status()["0x01"]["state"] == "merged"


def test_children_that_outlive_the_agent_are_killed(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    body = "(sleep 3171 &)\n(setsid sleep 3172 &)\necho 'VALUE = 1' > src/new.py\n"
    result = p.specloop("run", "--executor", p.agent("forks", body))
    assert result.code == 0, result.stderr
    survivors = subprocess.run(
        ["pgrep", "-f", "sleep 317[12]"], capture_output=True, text=True
    ).stdout
    assert survivors == ""


def test_writes_outside_the_worktree_are_contained(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    body = (
        'root=$(dirname "$(dirname "$SPECLOOP_TASK_FILE")")\n'
        'echo hacked >> "$root/src/app.py" || true\n'
        "echo hacked > /etc/specloop-hacked || true\n"
        f"echo hacked > {tmp_path}/outside.txt || true\n"
        "echo 'VALUE = 1' > src/new.py\n"
    )
    result = p.specloop("run", "--executor", p.agent("escape", body))
    assert result.code == 0, result.stderr
    assert (p.root / "src" / "app.py").read_text() == "def hello():\n    return 'hi'\n"
    assert not Path("/etc/specloop-hacked").exists()
    assert not (tmp_path / "outside.txt").exists()


def test_an_agent_that_commits_and_switches_branches_is_absorbed(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    body = (
        "echo 'VALUE = 1' > src/new.py\ngit add -A\ngit commit -qm 'agent commit'\n"
        "git switch -q -c rogue\necho 'OTHER = 2' >> src/new.py\ngit commit -qam 'more'\n"
    )
    result = p.specloop("run", "--executor", p.agent("committer", body))
    assert result.code == 0, result.stdout + result.stderr
    assert p.show("src/new.py") == "VALUE = 1\nOTHER = 2\n"
    subjects = git(p.root, "log", "--format=%s", "main")
    assert "agent commit" not in subjects and "specloop: 0x01" in subjects


def test_criteria_that_already_pass_are_no_evidence(tmp_path: Path) -> None:
    _, status = run_bad(
        tmp_path, "echo 'VALUE = 1' > src/new.py\n", criteria=("`test -f src/app.py` passes",)
    )
    assert "evidence" in str(status["reason"])


def test_json_events_verify_and_clean(tmp_path: Path) -> None:
    import json

    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    bad = p.agent("bad", "echo 'VALUE = 1' > src/new.py\necho '# sneaky' >> src/app.py\n")
    result = p.specloop("run", "--json", "--executor", bad)
    assert result.code == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "run.started"
    assert any(e["event"] == "task.failed" and e["task"] == "0x01" for e in events)
    verified = p.specloop("verify", "0x01")
    assert verified.code == 1
    assert (
        "failed" in verified.stdout
        and "scope" in verified.stdout
        and "src/app.py" in verified.stdout
    )
    cleaned = p.specloop("clean")
    assert cleaned.code == 0 and "removed branch specloop/0x01/attempt-1" in cleaned.stdout
    assert "specloop/" not in git(p.root, "branch")
    assert not [
        d for d in (p.root / ".specloop" / "state" / "worktrees").glob("slot-*") if d.is_dir()
    ]


def test_a_successful_run_leaves_no_specloop_branches(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    assert (
        p.specloop("run", "--executor", p.agent("good", "echo 'VALUE = 1' > src/new.py\n")).code
        == 0
    )
    assert git(p.root, "branch", "--list", "specloop/*") == ""
    verified = p.specloop("verify", "0x01")
    assert verified.code == 0, verified.stdout + verified.stderr


def test_what_the_criteria_write_on_the_base_never_reaches_the_attempt(tmp_path: Path) -> None:
    """The "before" run happens in the attempt's own worktree, before the agent; whatever
    it writes (a new file, a change to a tracked one) is reset away before the agent starts."""
    p = new_project(tmp_path)
    criterion = (
        "`sh -c 'echo leak > leaked.txt; echo tamper >> src/app.py; test -f out/done.txt'` passes"
    )
    p.task("0x01", files=("out/done.txt",), criteria=(criterion,))
    p.commit()
    agent = p.agent(
        "clean-worktree",
        "test ! -e leaked.txt\ngrep -qv tamper src/app.py\nmkdir -p out && echo ok > out/done.txt\n",
    )

    result = p.specloop("run", "--executor", agent)

    assert result.code == 0, result.stdout + result.stderr
    assert p.status()["0x01"]["state"] == "merged"
    assert "leaked.txt" not in p.main_files()
    assert "tamper" not in p.show("src/app.py")
