"""The review part of the report: each attempt's reviews, every finding, reviewer precision.

Reviews live in their own tables (ledger migration 2): a review of an attempt
(``specloop run --review``) or of a range (``specloop review A..B``, no task). Findings
are model output; they stay plain text here and are escaped by the templates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from specloop.ledger import Ledger, ReviewerStats
from specloop.ledger._reads import ReviewFindingDetail, ReviewRecord

#: A proof's test output is bounded by its writer; this keeps a pathological row in check.
MAX_PROOF_OUTPUT_CHARS = 20_000


@dataclass(frozen=True)
class FindingRow:
    """A finding in the run-wide list, with the review it came from."""

    finding: ReviewFindingDetail
    review: ReviewRecord


# The same record `specloop review stats` prints, counted the same way over the
# findings shown (a finding several reviewers raised counts for each; its latest vote).
ReviewerPrecision = ReviewerStats


@dataclass(frozen=True)
class ReviewsPart:
    """Everything the page shows about reviews; ``proofs_known``: the ledger has proofs."""

    reviews: tuple[ReviewRecord, ...]
    findings: tuple[FindingRow, ...]
    precision: tuple[ReviewerPrecision, ...]
    proofs_known: bool

    def of_attempt(self, attempt_id: int) -> tuple[ReviewRecord, ...]:
        """The reviews of one attempt, oldest first."""
        return tuple(r for r in self.reviews if r.attempt_id == attempt_id)


NO_REVIEWS = ReviewsPart((), (), (), False)


def _bounded(review: ReviewRecord) -> ReviewRecord:
    findings = []
    for finding in review.findings:
        proof = finding.proof
        if proof is not None and len(proof.output) > MAX_PROOF_OUTPUT_CHARS:
            proof = replace(proof, output=proof.output[:MAX_PROOF_OUTPUT_CHARS] + "\n[cut]")
            finding = replace(finding, proof=proof)
        findings.append(finding)
    return replace(review, findings=tuple(findings))


def precision_of(findings: Sequence[ReviewFindingDetail]) -> tuple[ReviewerPrecision, ...]:
    """Per reviewer model, sorted by name: findings raised, confirmed, rejected."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for finding in findings:
        for reviewer in finding.reviewers:
            row = counts[reviewer]
            row[0] += 1
            row[1] += finding.vote == "up"
            row[2] += finding.vote == "down"
    return tuple(ReviewerPrecision(name, *counts[name]) for name in sorted(counts))


def gather_reviews(ledger: Ledger, run_id: int | None) -> ReviewsPart:
    """The reviews (of one run, if given) and their findings, most urgent first."""
    reviews = tuple(_bounded(r) for r in ledger.reviews(run_id=run_id))
    rows = [FindingRow(f, r) for r in reviews for f in r.findings]
    rows.sort(key=lambda row: (row.finding.priority, row.finding.id))
    return ReviewsPart(
        reviews=reviews,
        findings=tuple(rows),
        precision=precision_of([row.finding for row in rows]),
        # Proofs came with a later migration: no table, no column (not an empty one).
        proofs_known=ledger.has_table("finding_proofs"),
    )
