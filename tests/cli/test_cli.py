"""The `specloop` command as users run it: real subprocesses, exit codes, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo
from helpers import EXAMPLES, REPO_ROOT, make_task, run_specloop


def no_traceback(text: str) -> bool:
    return "Traceback" not in text


def test_version_and_help() -> None:
    version = run_specloop("--version", cwd=REPO_ROOT)
    assert (version.code, version.stdout.strip()) == (0, "specloop 0.1.0")
    helped = run_specloop("--help", cwd=REPO_ROOT)
    assert helped.code == 0
    for command in ("init", "lint", "status", "next", "graph", "config"):
        assert command in helped.stdout


def test_help_imports_no_core_yaml_or_sqlite() -> None:
    code = (
        "import sys\n"
        "from specloop.cli import app\n"
        "try:\n    app(['--help'], prog_name='specloop')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('yaml', 'sqlite3', 'specloop.artifacts', 'specloop.ledger', 'pydantic', 'specloop.engine') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout


def test_outside_a_git_repository_exits_2_with_one_line(tmp_path: Path) -> None:
    for command in (["lint"], ["status"], ["next"], ["graph"], ["init"], ["config", "show"]):
        result = run_specloop(*command, cwd=tmp_path)
        assert result.code == 2, command
        assert result.stderr.startswith("specloop: not a git repository: ")
        assert result.stderr.count("\n") == 1 and no_traceback(result.stderr)


def test_a_missing_directory_and_a_missing_path_exit_2(repo: Repo) -> None:
    result = run_specloop("-C", "nowhere", "status", cwd=repo.root)
    assert (result.code, result.stderr.strip()) == (2, "specloop: no such directory: nowhere")
    result = run_specloop("lint", "tasks/0x99-missing.md", cwd=repo.root)
    assert (result.code, result.stderr.strip()) == (
        2,
        "specloop: path not found: tasks/0x99-missing.md",
    )


def test_lint_exit_codes_and_json_shape(repo: Repo) -> None:
    repo.task("0x01", criteria=("It works", "`true` passes"))
    warned = run_specloop("lint", "--json", cwd=repo.root)
    assert warned.code == 0
    diagnostics = json.loads(warned.stdout)["diagnostics"]
    assert set(diagnostics[0]) == {"path", "line", "column", "code", "severity", "message"}
    assert ("tasks/0x01-task.md", 21, "T009", "warning") in {
        (d["path"], d["line"], d["code"], d["severity"]) for d in diagnostics
    }
    assert run_specloop("lint", "--strict", cwd=repo.root).code == 1
    repo.write("tasks/0x02-broken.md", "---\nid: 0x02\ntitle: [\n---\n")
    failed = run_specloop("lint", cwd=repo.root)
    assert failed.code == 1
    assert "tasks/0x02-broken.md:4:1: T002 error: invalid YAML in front matter" in failed.stdout
    assert failed.stdout.strip().splitlines()[-1].startswith("1 error, ")


def test_bad_input_from_the_issue_never_shows_a_traceback(repo: Repo) -> None:
    repo.write("tasks/0x01-yaml.md", "---\nid: 0x01\ntitle: 'open\n---\n")
    repo.write("tasks/0x02-binary.md", b"\0\1\2\3")
    repo.write("tasks/0x03-latin1.md", make_task("0x03").encode().replace(b"A task", b"T\xe2che"))
    repo.write("tasks/0x04-bare.md", "---\nid: 0x04\ntitle: Bare\n---\n")
    repo.task("0x05", depends_on="[0x05]", scope=("src/5.py",))
    repo.task("0x06", scope=("src/6.py",))
    repo.task("0x06", "duplicate", scope=("src/7.py",))
    with (repo.root / "tasks" / "0x07-huge.md").open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    lint = run_specloop("lint", cwd=repo.root)
    assert lint.code == 1 and no_traceback(lint.stdout + lint.stderr)
    for expected in (
        "tasks/0x01-yaml.md:3:",
        "tasks/0x02-binary.md:1:1: F001 error: binary file",
        "tasks/0x03-latin1.md:3:",
        "tasks/0x04-bare.md:5:1: T005 error",
        "tasks/0x05-task.md:4:1: G003 error: 0x05 depends on itself",
        "tasks/0x06-task.md:2:1: G001 error: duplicate id 0x06",
        "tasks/0x07-huge.md:1:1: F001 error: file is 10.0 MiB",
    ):
        assert expected in lint.stdout, expected
    status = run_specloop("status", cwd=repo.root)
    assert status.code == 2 and no_traceback(status.stderr)
    assert "tasks/0x01-yaml.md:3:" in status.stderr
    assert "0x05" in status.stdout and "blocked" in status.stdout


def test_status_next_and_graph_on_the_examples(tmp_path: Path) -> None:
    project = tmp_path / "examples"
    shutil.copytree(EXAMPLES, project)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    status = json.loads(run_specloop("status", "--json", cwd=project).stdout)
    assert status["run"] is None
    assert {t["state"] for t in status["tasks"]} == {"ready", "pending"}
    first = status["tasks"][0]
    assert set(first) == {"id", "title", "state", "depends_on", "attempts", "reason"}
    ready = json.loads(run_specloop("next", "--json", cwd=project).stdout)
    assert ready == {"ready": [t["id"] for t in status["tasks"] if t["state"] == "ready"]}
    mermaid = run_specloop("graph", "--format", "mermaid", cwd=project)
    assert mermaid.stdout.startswith("graph TD\n") and "-->" in mermaid.stdout
    dot = run_specloop("graph", "--format", "dot", cwd=project)
    assert dot.stdout.startswith("digraph tasks {") and dot.stdout.rstrip().endswith("}")
    text = run_specloop("graph", cwd=project)
    assert "May run in parallel" in text.stdout
    bad = run_specloop("graph", "--format", "svg", cwd=project)
    assert bad.code == 2 and no_traceback(bad.stderr)


def test_dash_c_finds_a_project_below_the_git_root(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copytree(EXAMPLES, tmp_path / "sub")
    from_root = run_specloop("-C", "sub", "status", "--json", cwd=tmp_path)
    assert len(json.loads(from_root.stdout)["tasks"]) >= 6
    inside = run_specloop("status", "--json", cwd=tmp_path / "sub" / "tasks")
    assert json.loads(inside.stdout) == json.loads(from_root.stdout)


def test_init_then_config_show_with_sources(repo: Repo) -> None:
    (repo.root / "tasks").rmdir()
    init = run_specloop("init", cwd=repo.root)
    assert init.code == 0 and "created  .specloop/config.toml" in init.stdout
    shown = run_specloop(
        "config", "show", "--json", cwd=repo.root, env={"SPECLOOP_RUN_PARALLEL": "4"}
    )
    entries = {e["key"]: e for e in json.loads(shown.stdout)["config"]}
    assert entries["run.parallel"] == {
        "key": "run.parallel",
        "value": 4,
        "source": "env SPECLOOP_RUN_PARALLEL",
    }
    assert entries["run.autonomy"]["source"].startswith(".specloop/config.toml")
    table = run_specloop("config", "show", cwd=repo.root)
    assert "run.autonomy" in table.stdout and "default" in table.stdout


def test_a_bad_config_exits_2_naming_file_and_line(repo: Repo) -> None:
    repo.write(".specloop/config.toml", '[run]\nparallel = 2\nautonomy = "yolo"\n')
    result = run_specloop("status", cwd=repo.root)
    assert result.code == 2
    assert result.stderr.startswith("specloop: .specloop/config.toml:3: ")
    assert "yolo" in result.stderr and no_traceback(result.stderr)


@pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="needs bubblewrap to make .specloop/ read-only as root"
)
def test_a_read_only_specloop_directory(repo: Repo) -> None:
    run_specloop("init", cwd=repo.root)
    repo.task("0x01")
    (repo.root / ".specloop" / "config.toml").unlink()
    readonly = str(repo.root / ".specloop")
    prefix = (
        "bwrap",
        "--bind",
        "/",
        "/",
        "--ro-bind",
        readonly,
        readonly,
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    )
    init = run_specloop("init", cwd=repo.root, prefix=prefix)
    assert init.code == 2
    assert (
        init.stderr.strip() == "specloop: cannot write .specloop/config.toml: Read-only file system"
    )
    status = run_specloop("status", "--json", cwd=repo.root, prefix=prefix)
    assert status.code == 0, status.stderr
    assert json.loads(status.stdout)["tasks"][0]["state"] == "ready"


def test_without_git_on_path_exits_3_with_the_fix(repo: Repo) -> None:
    result = run_specloop("status", cwd=repo.root, env={"PATH": str(repo.root / "no-bin")})
    assert result.code == 3
    assert result.stderr.startswith("specloop: git is not installed or not on PATH: install git")


def test_status_does_not_import_pydantic(repo: Repo) -> None:
    # Typer 0.29 builds pydantic adapters for every option (~55 ms a command); we pin 0.28.
    repo.task("0x01")
    code = (
        "import sys\n"
        "from specloop.cli import app\n"
        "try:\n    app(['status', '--json'], prog_name='specloop')\nexcept SystemExit:\n    pass\n"
        "print('PYDANTIC', 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo.root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().endswith("PYDANTIC False")
    assert json.loads(done.stdout.rsplit("PYDANTIC", 1)[0])["tasks"][0]["id"] == "0x01"


def test_nested_agents_files_are_found_through_git(repo: Repo) -> None:
    repo.task("0x01")
    repo.write("AGENTS.md", "# Rules\n\n## Review guidelines\n\n- Keep it small.\n")
    repo.write("svc/AGENTS.md", "service rules\n")
    repo.write("svc/AGENTS.override.md", "override\n")
    result = run_specloop("lint", cwd=repo.root)
    assert "svc/AGENTS.md:1:1: A001 warning: shadowed by AGENTS.override.md" in result.stdout


def test_a_closed_pipe_is_not_an_error_message(repo: Repo) -> None:
    # `specloop status --json | head -1`: the reader is gone before specloop writes.
    repo.task("0x01")
    proc = subprocess.Popen(
        [sys.executable, "-m", "specloop", "status", "--json"],
        cwd=repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait() == 1
    assert stderr == ""


def test_an_empty_tasks_directory(repo: Repo) -> None:
    status = run_specloop("status", cwd=repo.root)
    assert (status.code, status.stdout) == (
        0,
        "No run yet.\nNo tasks yet: write tasks/0x01-slug.md.\n",
    )
    assert json.loads(run_specloop("next", "--json", cwd=repo.root).stdout) == {"ready": []}
    lint = run_specloop("lint", cwd=repo.root)
    assert lint.code == 0
    assert (
        "tasks/:1:1: T020 warning: no task files in tasks/ (write tasks/0x01-slug.md)"
        in lint.stdout
    )
