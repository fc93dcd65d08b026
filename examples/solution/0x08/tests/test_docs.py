"""Every `$ readlog` example in docs/ runs, in order, and prints what the guide shows."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import unittest
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


@dataclass
class Example:
    where: str  # file:line
    argv: list[str]  # the arguments after `readlog`
    output: list[str]  # the lines the guide shows under the command


def examples(text: str, name: str) -> list[Example]:
    """The `$ readlog` commands of the fenced console blocks of `text`, with their output."""
    found: list[Example] = []
    in_console = False
    current: Example | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            in_console = not in_console and line.strip() == "```console"
            current = None
        elif in_console and line.startswith("$ "):
            words = shlex.split(line[2:])
            current = None
            if words[0] == "readlog":
                current = Example(f"{name}:{number}", words[1:], [])
                found.append(current)
        elif in_console and current is not None:
            current.output.append(line)
    return found


class UserGuideTest(unittest.TestCase):
    def test_the_examples_run_as_shown(self) -> None:
        guides = sorted(DOCS.glob("*.md"))
        self.assertTrue(guides, "no guide in docs/")
        with tempfile.TemporaryDirectory() as directory:
            env = {
                **os.environ,
                "TZ": "UTC",
                "READLOG_DB": str(Path(directory) / "readlog.db"),
                "PYTHONPATH": str(ROOT / "src"),
            }
            seen = set()
            for guide in guides:
                for example in examples(guide.read_text(encoding="utf-8"), guide.name):
                    seen.add(example.argv[0])
                    with self.subTest(example.where):
                        result = subprocess.run(
                            [sys.executable, "-m", "readlog", *example.argv],
                            capture_output=True,
                            text=True,
                            cwd=directory,
                            env=env,
                            check=False,
                        )
                        self.assertEqual(result.returncode, 0, result.stderr)
                        self.assertEqual(result.stdout.splitlines(), example.output)
        self.assertEqual(seen, {"log", "list", "weekly", "export"})


class ExtractTest(unittest.TestCase):
    def test_only_readlog_commands_in_console_blocks(self) -> None:
        text = (
            "$ readlog list\n```console\n$ pip install .\nok\n$ readlog list --limit 1\na\nb\n```\n"
        )
        (example,) = examples(text, "guide.md")
        self.assertEqual((example.where, example.argv), ("guide.md:5", ["list", "--limit", "1"]))
        self.assertEqual(example.output, ["a", "b"])


if __name__ == "__main__":
    unittest.main()
