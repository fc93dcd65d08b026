"""The rendered page: everything escaped, nothing that could fetch, diffs coloured."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from report_support import CHECK_NOISE, DECISION, NEW_FILE, SCRIPT, SUMMARY, built_project

from specloop.report._highlight import diff_html
from specloop.report._html import cost, duration, markdown_html, state_class

DIFF = (
    "diff --git a/src/x.py b/src/x.py\nindex 1..2 100644\n--- a/src/x.py\n+++ b/src/x.py\n"
    '@@ -1,2 +1,2 @@\n def f():\n-    return "<b>"\n+    return "</pre><script>x()</script>"\n'
    "\\ No newline at end of file\n"
    "diff --git a/notes.unknownext b/notes.unknownext\n--- a/notes.unknownext\n"
    "+++ b/notes.unknownext\n@@ -0,0 +1 @@\n+<i>&amp;</i>\n"
)


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    project = built_project(tmp_path_factory)
    out = project.root.parent / "page.html"
    result = project.report("-o", str(out))
    assert result.code == 0, result.stderr
    return out.read_text(encoding="utf-8")


class _Tags(HTMLParser):
    """Every element and attribute the browser will see (text content is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_the_page_has_no_element_that_could_run_or_fetch(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    fetching = {"script", "iframe", "object", "embed", "link", "img", "video", "audio", "source"}
    assert parser.tags & (fetching | {"base", "form", "input"}) == set()
    names = {name for name, _ in parser.attributes}
    assert not {n for n in names if n.startswith("on")}  # no event handlers
    assert names.isdisjoint({"src", "srcset", "action", "formaction", "background", "style"})
    links = {value for name, value in parser.attributes if name == "href"}
    assert {link for link in links if not link.startswith("#")} == {
        "https://example.invalid/x.png"  # the spec's own link: user content, not fetched
    }
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # a CSP as a second line of defence


def test_the_only_web_address_is_the_specs_own_link(html: str) -> None:
    addresses = re.findall(r"https?://[^\s\"'<>)]+", html)
    assert addresses == ["https://example.invalid/x.png"]  # user content, shown as a link


def test_untrusted_text_appears_escaped_everywhere(html: str) -> None:
    escaped = SCRIPT.replace("<", "&lt;").replace(">", "&gt;")
    assert SCRIPT not in html
    for text in (SUMMARY, DECISION, CHECK_NOISE, "Reviewer saw"):
        assert text.split("<")[0] in html
    assert html.count(escaped) >= 5  # title, spec, summary, check output, finding...
    assert "&amp;amp; done" in html  # "&amp;" in check output stays literal text
    assert "&#34;quotes&#34;" in html


def test_the_diff_shows_the_agents_file_as_text(html: str) -> None:
    assert "src/new.py" in html
    assert 'class="dl add"' in html
    assert "a &amp; b &lt; c" in html or "a &amp; b" in html
    assert NEW_FILE.splitlines()[1].split("#")[0].strip()[:5] == "VALUE"
    assert "VALUE" in html


def test_diff_html_marks_lines_and_colours_code_by_language() -> None:
    out = str(diff_html(DIFF))
    assert "<script>" not in out and "</pre><script>" not in out
    assert out.count("</pre>") == 1  # the diff cannot close its own block
    assert 'class="dl add"' in out and 'class="dl del"' in out and 'class="dl hunk"' in out
    assert 'class="dl meta"' in out  # headers and "\ No newline at end of file"
    assert '<span class="k">def</span>' in out  # Python keywords coloured
    assert "&lt;i&gt;&amp;amp;&lt;/i&gt;" in out  # unknown language: escaped plain text
    assert out.count('class="dl ') == DIFF.rstrip("\n").count("\n") + 1


def test_markdown_keeps_raw_html_as_text_and_drops_images() -> None:
    out = str(markdown_html(f"# T\n\n{SCRIPT}\n\n![x](https://e.invalid/i.png)\n\n<img src=x>"))
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "<h1>T</h1>" in out


def test_small_formatters() -> None:
    assert duration(None) == "–" and duration(1.25) == "1.2 s" and duration(65) == "1 min 05 s"
    assert duration(3720) == "1 h 02 min"
    assert cost(None) == "unknown" and cost(0) == "$0.00" and cost(0.001) == "$0.0010"
    assert cost(1.234) == "$1.23"
    assert state_class("merged") == "st-merged"
    assert state_class('x" onclick="y') == "st-other"
