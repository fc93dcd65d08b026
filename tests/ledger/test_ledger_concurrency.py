"""Several processes opening and writing one fresh ledger at the same moment."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from specloop.ledger import LEDGER_RELPATH, Ledger

WORKERS = 4
EVENTS_PER_WORKER = 50

# Each worker announces it is ready, waits for the "go" file so all of them open the
# brand-new database together (racing on WAL setup and migrations), then writes.
WORKER = f"""
import sys, time
from pathlib import Path
from specloop.ledger import Ledger

db, ready, go, worker = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
ready.touch()
while not go.exists():
    time.sleep(0.001)
with Ledger.open(db) as ledger:
    ledger.upsert_task("0x01", title="shared task")
    for i in range({EVENTS_PER_WORKER}):
        ledger.append_event("test.tick", task_id="0x01", data={{"worker": worker, "i": i}})
        ledger.start_attempt("0x01", executor=f"worker-{{worker}}")
print("done")
"""


def test_processes_opening_a_fresh_ledger_together_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "project" / LEDGER_RELPATH
    go = tmp_path / "go"
    readies = [tmp_path / f"ready-{w}" for w in range(WORKERS)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db), str(readies[w]), str(go), str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in readies) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    for p, (out, err) in zip(procs, results, strict=True):
        assert "locked" not in err
        assert p.returncode == 0, err
        assert out.strip() == "done"

    reader = Ledger.open_existing(db)
    assert reader is not None
    with reader:
        events = reader.events(task_id="0x01")
        statuses = reader.task_statuses()
    seen = sorted((e.data or {})["worker"] * 1000 + (e.data or {})["i"] for e in events)
    expected = sorted(w * 1000 + i for w in range(WORKERS) for i in range(EVENTS_PER_WORKER))
    assert seen == expected
    assert statuses == {}  # ticks carry no state

    conn = sqlite3.connect(db)
    try:
        numbers = [n for (n,) in conn.execute("SELECT number FROM attempts ORDER BY number")]
        migrations = conn.execute("SELECT id, count(*) FROM _migrations GROUP BY id").fetchall()
        per_worker = dict(conn.execute("SELECT executor, count(*) FROM attempts GROUP BY 1"))
    finally:
        conn.close()
    assert numbers == list(range(1, WORKERS * EVENTS_PER_WORKER + 1))
    assert all(count == 1 for _, count in migrations)
    assert per_worker == {f"worker-{w}": EVENTS_PER_WORKER for w in range(WORKERS)}
