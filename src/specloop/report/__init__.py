"""specloop.report: the single-file HTML page of a run (`specloop report`).

``gather`` reads the ledger and the parsed task files (plus what the caller passes in:
each task's state, each attempt's diff) into a ``ReportData``; ``render_html`` turns it
into one self-contained page: inline CSS, no script, nothing fetched, everything escaped.
Imports only ``ledger`` and ``artifacts`` of specloop (DESIGN.md §7).
"""

from specloop.report._data import (
    AttemptView,
    CheckView,
    ReportData,
    StateOf,
    TaskView,
    Totals,
    gather,
)
from specloop.report._html import render_html
from specloop.report._layout import GraphLayout, layout_graph
from specloop.report._reviews import FindingRow, ReviewerPrecision, ReviewsPart

__all__ = [
    "AttemptView",
    "CheckView",
    "FindingRow",
    "GraphLayout",
    "ReportData",
    "ReviewerPrecision",
    "ReviewsPart",
    "StateOf",
    "TaskView",
    "Totals",
    "gather",
    "layout_graph",
    "render_html",
]
