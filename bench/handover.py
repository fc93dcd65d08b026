#!/usr/bin/env python3
"""Benchmark: tokens per handover against the whole repository's text.

Runs `specloop demo` (the examples/ project, planned and executed by the builtin agent
on the scripted model), then reads every handover it wrote under
.specloop/state/handovers/ and compares each with the text of the whole repository
(every file tracked on main when the demo ends, read as UTF-8): what a naive "send
everything" agent would pay per task. Tokens are bytes / 4, the estimate specloop's
handover uses too. Deterministic: no timing, one run is enough.

    python bench/handover.py
    python bench/handover.py --json
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib


def repository_tokens(root: Path) -> tuple[int, int]:
    """(text files, bytes / 4 of their contents) of everything tracked on main."""
    names = benchlib.run_checked(["git", "-C", str(root), "ls-files", "-z"]).split("\0")
    files = total = 0
    for name in filter(None, names):
        try:
            size = len((root / name).read_text(encoding="utf-8").encode("utf-8"))
        except (OSError, UnicodeDecodeError):
            continue  # binary: no agent would be sent it as text
        files += 1
        total += size
    return files, total // 4


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    benchlib.add_common_arguments(parser, default_runs=1)
    args = parser.parse_args(argv)
    specloop = benchlib.find_specloop(args.specloop)
    machine = benchlib.machine_info(specloop)
    parent = Path(tempfile.mkdtemp(prefix="specloop-bench-handover-"))
    try:
        target = parent / "demo"
        proc = subprocess.run(
            [specloop, "demo", "--dir", str(target)],
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise benchlib.BenchError(f"specloop demo exited {proc.returncode}:\n{proc.stderr}")
        handovers = sorted((target / ".specloop" / "state" / "handovers").glob("*.md"))
        if not handovers:
            raise benchlib.BenchError("the demo wrote no handover")
        sizes = {h.stem: len(h.read_bytes()) // 4 for h in handovers}
        files, whole = repository_tokens(target)
    except (benchlib.BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    median = statistics.median(sizes.values())
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "handover",
                "handover_tokens": sizes,
                "median_tokens": median,
                "repository_text_files": files,
                "repository_tokens": whole,
                "median_share": median / whole if whole else None,
                "machine": machine,
            }
        )
        return 0
    print(f"tokens per handover (the demo's {len(sizes)} attempts; bytes / 4):")
    for name, tokens in sizes.items():
        print(f"  {name:<28} {tokens:7,d}  ({tokens / whole:.0%} of the repository)")
    print(
        f"  median {median:,.0f}  (min {min(sizes.values()):,}, max {max(sizes.values()):,})"
        f" against {whole:,} for the whole repository ({files} text files):"
        f" {median / whole:.0%}"
    )
    print(benchlib.format_machine(machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
