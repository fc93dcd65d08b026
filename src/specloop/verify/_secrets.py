"""Secrets in added lines: private keys, cloud and API tokens, secret-looking assignments.

Each pattern is anchored on a fixed prefix or a keyword so scanning a long line (a
minified bundle) stays linear. Findings name the file, line and kind, never the value:
this output goes to the ledger, the report and the next agent's handover.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_PLACEHOLDER = re.compile(
    r"example|sample|dummy|changeme|placeholder|your|xxxx|\*\*\*|<|\$\{|\{\{", re.I
)


@dataclass(frozen=True)
class SecretFinding:
    """One secret-looking value: its kind and where it sits in the line (for masking)."""

    kind: str
    start: int
    end: int


#: (kind, pattern, group holding the secret value (0: the whole match), whether the value
#: must look random: free-form formats also match ordinary words and placeholders).
_PATTERNS: tuple[tuple[str, re.Pattern[str], int, bool], ...] = (
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), 0, False),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"), 0, False),
    ("GitHub token", re.compile(r"\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,}\b"), 0, False),
    ("GitHub token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), 0, False),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"), 0, True),
    ("OpenAI API key", re.compile(r"\bsk-(?!ant-)[A-Za-z0-9_-]{20,}"), 0, True),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"), 0, True),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), 0, False),
    (
        "JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        0,
        False,
    ),
    # `password = "..."`, `"api_key": '...'`, `aws_secret_access_key: "..."` (a quoted value).
    (
        "secret assignment",
        re.compile(
            r"(?i)(?:secret|passw(?:or)?d|api[_-]?key|access[_-]?key|private[_-]?key|token)"
            r"[\w.-]{0,40}[\"']?\s*(?::|=|:=)\s*[\"']([^\"'\s]{12,200})[\"']"
        ),
        1,
        True,
    ),
    # `.env` style: `export AWS_SECRET_ACCESS_KEY=...` (an unquoted value, alone on its line).
    (
        "secret assignment",
        re.compile(
            r"^\s*(?:export\s+)?[A-Z0-9_]{0,60}(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|ACCESS_KEY)"
            r"[A-Z0-9_]{0,60}\s*=\s*([^\s\"'#]{12,200})\s*$"
        ),
        1,
        True,
    ),
)


def _looks_random(value: str) -> bool:
    # A free-form value is only a likely secret when it mixes letters and digits and is
    # not an obvious placeholder (`sk-your-key-here`, `password = "${PASSWORD}"`).
    has_letter = any(char.isalpha() for char in value)
    has_digit = any(char.isdigit() for char in value)
    return has_letter and has_digit and not _PLACEHOLDER.search(value)


def find_secrets(line: str) -> list[SecretFinding]:
    """The secret-looking values in `line`, left to right, without overlaps."""
    found: list[SecretFinding] = []
    for kind, pattern, group, must_look_random in _PATTERNS:
        for match in pattern.finditer(line):
            if must_look_random and not _looks_random(match.group(group)):
                continue
            start, end = match.span(group)
            if not any(start < other.end and other.start < end for other in found):
                found.append(SecretFinding(kind, start, end))
    return sorted(found, key=lambda finding: finding.start)


def mask_secrets(line: str) -> str:
    """`line` with every secret-looking value replaced by `[redacted <kind>]`."""
    out: list[str] = []
    position = 0
    for finding in find_secrets(line):
        out.append(line[position : finding.start])
        out.append(f"[redacted {finding.kind}]")
        position = finding.end
    out.append(line[position:])
    return "".join(out)


def scan_added_lines(
    added: dict[str, list[tuple[int, str]]],
) -> Iterator[tuple[str, int, str]]:
    """(path, line number, kind) for each secret in the added lines, in path order."""
    for path in sorted(added):
        for number, text in added[path]:
            for finding in find_secrets(text):
                yield path, number, finding.kind
