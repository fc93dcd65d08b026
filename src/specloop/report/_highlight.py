"""Unified diffs as HTML: each line marked added/removed/context, its code coloured by the
language of its file (Pygments picks the lexer from the file name).

Pygments escapes every character it emits and we escape the rest ourselves, so the result
is safe to put into the page as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

#: Pygments CSS classes live under this class, so they cannot touch the rest of the page.
HIGHLIGHT_CLASS = "hl"

_FILE_HEADER = re.compile(r"^diff --git a/(?P<a>.*) b/(?P<b>.*)$")
#: One file's code is highlighted in one call; past this size it is shown uncoloured.
_MAX_HIGHLIGHT_CHARS = 200_000


@dataclass
class _FileDiff:
    path: str
    header: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)


def _split(text: str) -> list[_FileDiff]:
    files: list[_FileDiff] = []
    current: _FileDiff | None = None
    for line in text.split("\n"):
        match = _FILE_HEADER.match(line)
        if match is not None:
            current = _FileDiff(match.group("b"))
            files.append(current)
            current.header.append(line)
        elif current is None:  # text before the first file header: keep it, plain
            current = _FileDiff("")
            files.append(current)
            current.header.append(line)
        elif not current.body and not line.startswith("@@"):
            current.header.append(line)
        else:
            current.body.append(line)
    return files


def _code_lines(path: str, code: list[str]) -> list[Markup]:
    """Each code line as highlighted HTML (one call per file, so strings spanning lines
    keep their colour); plain escaped text when no lexer fits or the file is huge."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    joined = "\n".join(code)
    if path and len(joined) <= _MAX_HIGHLIGHT_CHARS:
        try:
            lexer = get_lexer_for_filename(path, stripnl=False, stripall=False, ensurenl=True)
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            html = highlight(joined, lexer, HtmlFormatter(nowrap=True))
            lines = html.split("\n")
            # The formatter closes and reopens spans at each newline, so line i of the
            # output is line i of the input; anything else means we cannot trust it.
            if len(lines) >= len(code):
                return [Markup(line) for line in lines[: len(code)]]
    return [escape(line) for line in code]


def _line(kind: str, sign: str, code: Markup) -> Markup:
    return Markup('<span class="dl {}"><span class="sg">{}</span>{}</span>').format(
        kind, sign, code
    )


def diff_html(text: str) -> Markup:
    """The diff as one ``<pre>``; each line a block ``span.dl`` of kind add, del, ctx,
    hunk or meta (for styling), its code coloured by the file's language."""
    out: list[Markup] = []
    for diff in _split(text.rstrip("\n")):
        out.extend(_line("meta", "", escape(line)) for line in diff.header)
        # Only code lines go to the lexer: hunk headers would break its sense of context.
        is_code = [line[:1] in ("+", "-", " ", "") for line in diff.body]
        code = [line[1:] for line, ok in zip(diff.body, is_code, strict=True) if ok]
        coloured = iter(_code_lines(diff.path, code))
        for line, ok in zip(diff.body, is_code, strict=True):
            if not ok:  # "@@ ... @@" and "\ No newline at end of file"
                out.append(_line("hunk" if line.startswith("@@") else "meta", "", escape(line)))
                continue
            kind = {"+": "add", "-": "del"}.get(line[:1], "ctx")
            out.append(_line(kind, line[:1], next(coloured)))
    body = Markup("").join(out)
    return Markup('<pre class="diff {}">{}</pre>').format(HIGHLIGHT_CLASS, body)


def highlight_css() -> Markup:
    """Pygments' colours for its token classes, scoped under ``.hl``."""
    from pygments.formatters import HtmlFormatter

    formatter = HtmlFormatter(style="default")
    # types-Pygments leaves get_style_defs unannotated; it returns the CSS text.
    css: str = formatter.get_style_defs(f".{HIGHLIGHT_CLASS}")  # type: ignore[no-untyped-call]
    # Built from Pygments' own style table, never from user text.
    return Markup(css)
