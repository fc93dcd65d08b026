"""specloop.review: multi-model code and security review of a diff, failing closed.

The engine and the ``specloop review`` command call one function::

    result = review_change(repo=root, base=base_sha, head=head_sha, reviewers=clients,
                           task_text=task, agents_text=agents, spec_text=threat_model,
                           security=False)
    result.blocking, result.findings, result.summary(), result.report()

Every reviewer (``roles.reviewers``) reads the diff, with line numbers, in one or more
chunks, plus the task, the AGENTS.md chain and, in security mode, the threat model;
its output is validated and repaired (``_schema``), findings outside the diff are
dropped and counted, and the findings of all reviewers are merged and judged by a
``BlockPolicy`` (``_consensus``). Unusable reviewer output blocks.

This package imports only ``specloop.models`` and ``specloop.gitops`` (DESIGN.md §7);
recording a review in the ledger is the caller's job (``Ledger.record_review``).

``--prove`` (``_prove``): for a blocking security finding, its reviewer is asked for
a failing test (``ProofOutput``, checked by ``proof_validator``); running it in the
sandbox is the engine's job (``specloop.engine._proving``).
"""

from specloop.review._consensus import BlockPolicy, Finding, ReviewerFinding, merge_findings
from specloop.review._diff import Chunk, DiffFile, Hunk, Segment, chunk_files, parse_diff
from specloop.review._prove import (
    ProofOutput,
    head_files,
    is_provable,
    path_problems,
    proof_problems,
    proof_validator,
    prove_prompt,
    prove_system_prompt,
)
from specloop.review._result import NO_VERDICT, ReviewBudget, ReviewResult
from specloop.review._review import review_change, reviewer_labels
from specloop.review._schema import (
    CATEGORIES,
    CORRECT,
    INCORRECT,
    MAX_TITLE,
    CodeLocation,
    FindingOutput,
    LineRange,
    ReviewOutput,
    finding_problems,
    output_validator,
)

__all__ = [
    "CATEGORIES",
    "CORRECT",
    "INCORRECT",
    "MAX_TITLE",
    "NO_VERDICT",
    "BlockPolicy",
    "Chunk",
    "CodeLocation",
    "DiffFile",
    "Finding",
    "FindingOutput",
    "Hunk",
    "LineRange",
    "ProofOutput",
    "ReviewBudget",
    "ReviewOutput",
    "ReviewResult",
    "ReviewerFinding",
    "Segment",
    "chunk_files",
    "finding_problems",
    "head_files",
    "is_provable",
    "merge_findings",
    "output_validator",
    "parse_diff",
    "path_problems",
    "proof_problems",
    "proof_validator",
    "prove_prompt",
    "prove_system_prompt",
    "review_change",
    "reviewer_labels",
]
