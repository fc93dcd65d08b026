"""One review of one diff range: every reviewer reads every chunk, then consensus.

Fail closed at every step: a reviewer call that fails, or whose output stays invalid
after the repair rounds, is a failure that blocks; nothing is approved by default.
An empty diff makes no model call. The diff is never cut silently: what the budget
leaves out, and every binary file, is named in ``not_reviewed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from specloop.gitops import diff_text
from specloop.models import ModelClient, ModelError, StructuredResult
from specloop.review._consensus import BlockPolicy, ReviewerFinding, merge_findings
from specloop.review._diff import Chunk, DiffFile, chunk_files, parse_diff
from specloop.review._prompts import review_prompt, system_prompt
from specloop.review._result import NO_VERDICT, ReviewBudget, ReviewResult
from specloop.review._schema import INCORRECT, ReviewOutput, output_validator

_NO_REVIEWER = (
    "no reviewer model configured: set roles.reviewers in .specloop/config.toml"
    ' (e.g. ["openai:gpt-5"]) or SPECLOOP_ROLES_REVIEWERS'
)


@dataclass(frozen=True)
class _Call:
    """The outcome of one reviewer reading one chunk."""

    reviewer: str
    chunk: Chunk
    result: StructuredResult[ReviewOutput] | None
    error: str | None


def review_change(
    *,
    repo: Path,
    base: str,
    head: str,
    reviewers: Sequence[ModelClient],
    task_text: str | None,
    agents_text: str,
    spec_text: str | None,
    security: bool,
    policy: BlockPolicy = BlockPolicy(),  # noqa: B008 - frozen, so sharing it is safe
    stage: str = "review",
    run_id: int | None = None,
    task_id: str | None = None,
    attempt_id: int | None = None,
    budget: ReviewBudget = ReviewBudget(),  # noqa: B008 - frozen, so sharing it is safe
) -> ReviewResult:
    """Review the change ``base..head`` in ``repo`` with every reviewer; merge the findings.

    ``task_text`` (the task file, when reviewing an attempt), ``agents_text`` (the
    AGENTS.md chain with its review guidelines) and ``spec_text`` (the threat model, read
    in security mode) go into every prompt. Usage goes to each client's ledger under
    ``stage`` and ``task_id``; ``run_id``/``attempt_id`` are carried into the result for
    the caller to record the review with. Raises GitError when the range is unknown.
    """
    files = parse_diff(diff_text(repo, base, head))
    result = ReviewResult(
        diff_range=f"{_short(base)}..{_short(head)}",
        security=security,
        run_id=run_id,
        task_id=task_id,
        attempt_id=attempt_id,
    )
    result.not_reviewed.extend(f"{f.path}: binary file, not reviewed" for f in files if f.binary)
    chunks = chunk_files(files, budget.max_chunk_chars)
    if not chunks:
        return result  # nothing a model could read: no call, nothing to approve or block
    result.reviewed_files = sorted({s.path for c in chunks for s in c.segments})
    if not reviewers:
        result.failures.append(_NO_REVIEWER)
        return result
    total = len(chunks)  # prompts and messages say "part 3 of 10" even past the budget
    if total > budget.max_chunks:
        result.not_reviewed.extend(
            f"{segment.where}: past the review budget of {budget.max_chunks} calls per"
            f" reviewer (the diff needed {total})"
            for chunk in chunks[budget.max_chunks :]
            for segment in chunk.segments
        )
        chunks = chunks[: budget.max_chunks]
    result.chunks = len(chunks)

    labels = reviewer_labels(reviewers)
    system = system_prompt(security=security)
    jobs = [
        (label, client, chunk)
        for label, client in zip(labels, reviewers, strict=True)
        for chunk in chunks
    ]

    def ask(job: tuple[str, ModelClient, Chunk]) -> _Call:
        label, client, chunk = job
        prompt = review_prompt(
            reviewer=label,
            diff_range=result.diff_range,
            diff=chunk.text,
            chunk=chunk.number,
            chunks=total,
            task_text=task_text,
            agents_text=agents_text,
            spec_text=spec_text,
            security=security,
        )
        try:
            answer = client.structured(
                stage=stage,
                system=system,
                prompt=prompt,
                output_type=ReviewOutput,
                validators=[output_validator(security=security)],
                task_id=task_id,
            )
        except ModelError as exc:
            return _Call(label, chunk, None, f"{label}, part {chunk.number} of {total}: {exc}")
        return _Call(label, chunk, answer, None)

    with ThreadPoolExecutor(max_workers=max(1, min(budget.parallel, len(jobs)))) as pool:
        calls = list(pool.map(ask, jobs))
    _collect(result, calls, files, repo, labels, policy)
    return result


def _collect(
    result: ReviewResult,
    calls: list[_Call],
    files: list[DiffFile],
    repo: Path,
    labels: list[str],
    policy: BlockPolicy,
) -> None:
    """Fill ``result`` from the calls: failures, verdicts, located findings, consensus."""
    by_path = {f.path: f for f in files}
    located: list[ReviewerFinding] = []
    incorrect: set[str] = set()
    heard: set[str] = set()
    for call in calls:
        result.calls += 1
        if call.result is None:
            result.failures.append(call.error or f"{call.reviewer}: no output")
            continue
        heard.add(call.reviewer)
        usage = call.result.usage
        if result.cost_usd is not None and usage.cost_usd is not None:
            result.cost_usd += usage.cost_usd
        else:
            result.cost_usd = None
        output = call.result.output
        result.explanations.setdefault(call.reviewer, []).append(output.overall_explanation)
        if output.overall_correctness == INCORRECT:
            incorrect.add(call.reviewer)
        for finding in output.findings:
            lines = finding.code_location.line_range
            diff = _match_file(finding.code_location.file_path, by_path, repo)
            if diff is None or not diff.overlaps(lines.start, lines.end):
                result.dropped_outside_diff += 1
                continue
            located.append(
                ReviewerFinding(
                    reviewer=call.reviewer,
                    priority=finding.priority,
                    title=finding.title.strip(),
                    body=_body(finding.body, finding.attack_vector, finding.mitigation),
                    path=diff.path,
                    line_start=lines.start,
                    line_end=lines.end,
                    category=finding.category,
                    confidence=finding.confidence_score,
                )
            )
    failed = {call.reviewer for call in calls if call.result is None}
    for label in labels:
        if label in failed:
            result.verdicts[label] = NO_VERDICT
        else:
            result.verdicts[label] = INCORRECT if label in incorrect else "patch is correct"
    result.findings = merge_findings(located, policy=policy, reviewers_heard=len(heard))


def _body(body: str, attack_vector: str | None, mitigation: str | None) -> str:
    # Security details are kept inside the body so every reader (ledger, report, the
    # next attempt's handover) shows them without knowing about security mode.
    parts = [body.strip()]
    if attack_vector and attack_vector.strip():
        parts.append(f"Attack vector: {attack_vector.strip()}")
    if mitigation and mitigation.strip():
        parts.append(f"Mitigation: {mitigation.strip()}")
    return "\n\n".join(parts)


def _match_file(path: str, by_path: dict[str, DiffFile], repo: Path) -> DiffFile | None:
    """The diff file a reviewer's path names, allowing for ./, a/ or b/ and absolute paths."""
    candidate = path.strip().replace("\\", "/")
    for prefix in (str(repo.resolve()), str(repo)):
        if candidate.startswith(prefix.rstrip("/") + "/"):
            candidate = candidate[len(prefix.rstrip("/")) + 1 :]
            break
    candidate = candidate.removeprefix("./").lstrip("/")
    if candidate in by_path:
        return by_path[candidate]
    if candidate[:2] in ("a/", "b/"):  # the diff header's prefix, copied along
        return by_path.get(candidate[2:])
    return None


def reviewer_labels(reviewers: Sequence[ModelClient]) -> list[str]:
    """Each reviewer's ``PROVIDER:MODEL``; the same model twice gets ``#2``."""
    labels: list[str] = []
    for client in reviewers:
        label = client.label
        number = 2
        while label in labels:
            label = f"{client.label}#{number}"
            number += 1
        labels.append(label)
    return labels


def _short(rev: str) -> str:
    """A full SHA shortened for messages; anything else (a branch, ``HEAD~2``) as given."""
    if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev):
        return rev[:12]
    return rev
