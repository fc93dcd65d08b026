"""ReportData -> one self-contained HTML page (inline CSS, no script, nothing fetched).

Everything from the ledger, the files and the agents is untrusted text: Jinja2 escapes
it (autoescape on), and the only markup made outside the template comes from Pygments
and markdown-it, which escape what they are given (markdown-it with raw HTML off). A
Content-Security-Policy in the page forbids scripts and every network request, as a
second line of defence should any of that ever fail.
"""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup

from specloop.report._data import ReportData
from specloop.report._highlight import diff_html, highlight_css

#: Task states that have a colour in the page's CSS; anything else is shown as "other".
STATES = (
    "pending",
    "ready",
    "running",
    "verifying",
    "awaiting_approval",
    "merged",
    "failed",
    "blocked",
)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("specloop.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["diff_html"] = diff_html
    env.filters["markdown"] = markdown_html
    env.filters["duration"] = duration
    env.filters["tokens"] = tokens
    env.filters["cost"] = cost
    env.filters["state_class"] = state_class
    env.filters["location"] = location
    env.filters["precision"] = precision
    env.filters["outcome_class"] = outcome_class
    return env


@cache
def _markdown() -> object:
    from markdown_it import MarkdownIt

    # Raw HTML off: a spec's <script> shows as text. Images off: an <img> would fetch.
    return MarkdownIt("commonmark", {"html": False}).disable("image")


def markdown_html(text: str) -> Markup:
    """Markdown (SPEC.md, the idea) as HTML, with raw HTML escaped and no images."""
    from markdown_it import MarkdownIt

    md = _markdown()
    assert isinstance(md, MarkdownIt)
    return Markup(md.render(text))


def duration(seconds: float | None) -> str:
    """``1.2 s``, ``3 min 05 s``, ``1 h 02 min``; an en dash when unknown."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def tokens(count: int | None) -> str:
    """A token count with thousands separators; an en dash when unknown."""
    return "–" if count is None else f"{count:,}"


def cost(usd: float | None) -> str:
    """Dollars to the cent (to 4 places below one cent); ``unknown`` when not known."""
    if usd is None:
        return "unknown"
    return f"${usd:.2f}" if usd >= 0.01 or usd == 0 else f"${usd:.4f}"


def state_class(state: str) -> str:
    """The CSS class of a state, from a fixed list (a state is never put in markup as is)."""
    return "st-" + (state if state in STATES else "other")


def location(path: str | None, start: int | None, end: int | None) -> str:
    """``path:start-end`` (``path:start`` for one line, ``path`` alone); en dash for none."""
    if not path:
        return "–"
    if start is None:
        return path
    return f"{path}:{start}" if end is None or end == start else f"{path}:{start}-{end}"


def precision(value: float | None) -> str:
    """Two decimals, as `specloop review stats` prints them; an em dash before any vote."""
    return "—" if value is None else f"{value:.2f}"


#: Review verdicts and proof outcomes that have a colour; other text gets none.
_OUTCOME_CLASSES = {
    "patch is correct": "passed",
    "patch is incorrect": "failed",
    "reproduced": "failed",  # the reported problem is real: red, like a failing check
    "not reproduced": "skipped",
    "error": "error",
    "up": "passed",
    "down": "failed",
}


def outcome_class(text: str | None) -> str:
    """The CSS class of a verdict, proof outcome or vote, from a fixed map (never as is)."""
    return _OUTCOME_CLASSES.get(text or "", "")


def render_html(data: ReportData) -> str:
    """The whole page as one string."""
    template = _environment().get_template("report.html.j2")
    return template.render(data=data, highlight_css=highlight_css(), states=STATES)
