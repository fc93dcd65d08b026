"""Read-only opening, as ``specloop status`` does: never create, work on read-only folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specloop.ledger import LEDGER_RELPATH, Ledger, TaskState

BWRAP = shutil.which("bwrap")
needs_bwrap = pytest.mark.skipif(
    BWRAP is None,
    reason="bubblewrap (bwrap) is not installed; it is needed to make a folder read-only "
    "for a process running as root, where chmod does not stop writes",
)

# Runs inside the sandbox: prints the task states it can read, or the error it got.
READER = """
import json, sys
from pathlib import Path
from specloop.ledger import Ledger, LedgerError
opener = Ledger.open if sys.argv[2:] == ["write"] else Ledger.open_existing
try:
    ledger = opener(Path(sys.argv[1]))
except LedgerError as exc:
    print(json.dumps({"error": str(exc)}))
    raise SystemExit(0)
with ledger:
    print(json.dumps({k: [s.state, s.reason] for k, s in ledger.task_statuses().items()}))
"""


def _read_in_read_only_folder(db: Path, *mode: str) -> dict[str, object]:
    assert BWRAP is not None
    folder = str(db.parent)
    sandbox = [BWRAP, "--bind", "/", "/", "--ro-bind", folder, folder]
    sandbox += ["--dev", "/dev", "--proc", "/proc"]
    result = subprocess.run(
        [*sandbox, sys.executable, "-c", READER, str(db), *mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def _make_ledger(path: Path) -> Ledger:
    ledger = Ledger.open(path)
    ledger.upsert_task("0x01", title="a")
    ledger.set_task_state("0x01", TaskState.MERGED, reason="all checks passed")
    return ledger


def test_missing_ledger_gives_none_and_creates_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    assert Ledger.open_existing(project / LEDGER_RELPATH) is None
    assert list(project.iterdir()) == []

    state = project / ".specloop" / "state"
    state.mkdir(parents=True)
    assert Ledger.open_existing(state / "ledger.db") is None
    assert list(state.iterdir()) == []


def test_reads_what_a_writer_wrote(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_RELPATH
    with _make_ledger(path) as writer:
        reader = Ledger.open_existing(path)
        assert reader is not None
        with reader:
            assert reader.task_statuses()["0x01"].state is TaskState.MERGED
            writer.set_task_state("0x01", TaskState.BLOCKED, reason="reverted")
            # A later write by another connection is visible to the open reader.
            assert reader.task_statuses()["0x01"].reason == "reverted"


@needs_bwrap
def test_works_when_the_folder_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_RELPATH
    _make_ledger(path).close()  # the last close removes -wal/-shm: a reader cannot add them
    before = sorted(p.name for p in path.parent.iterdir())

    assert _read_in_read_only_folder(path) == {"0x01": ["merged", "all checks passed"]}
    assert sorted(p.name for p in path.parent.iterdir()) == before


@needs_bwrap
def test_read_only_folder_still_sees_writes_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_RELPATH
    with _make_ledger(path) as writer:
        # The writer stays open, so this change sits in the -wal file, not the main file.
        writer.set_task_state("0x01", TaskState.FAILED, reason="only in the WAL")
        assert path.with_name(path.name + "-wal").exists()
        assert _read_in_read_only_folder(path) == {"0x01": ["failed", "only in the WAL"]}


@needs_bwrap
def test_non_ledger_in_read_only_folder_reports_the_path(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_RELPATH
    path.parent.mkdir(parents=True)
    path.write_text("not sqlite at all\n" * 50)
    error = _read_in_read_only_folder(path)["error"]
    assert isinstance(error, str)
    assert str(path) in error
    assert "not an SQLite database" in error


@needs_bwrap
def test_opening_for_writing_in_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_RELPATH
    _make_ledger(path).close()
    error = _read_in_read_only_folder(path, "write")["error"]
    assert isinstance(error, str)
    assert error.startswith(f"ledger {path} ")
    assert "permissions" in error
