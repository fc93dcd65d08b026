"""The report in a real headless Chromium (Debian's `chromium`, driven by Playwright).

The page must load with no console error, make no request besides itself, run none of
the scripts hidden in titles, diffs, check output and model output, and fit a phone's
width. Screenshots (desktop and phone) are saved under pytest's temporary directory.
Chromium missing: the test skips on a developer's machine and fails under CI=true
(`.ci/run` installs it), like the agent CLIs in tests/agents_support.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_support import REVIEW_BODY, REVIEW_TITLE, built_project

#: Desktop first, then a phone (iPhone 12-ish CSS pixels).
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        _missing("chromium is not installed: apt-get install chromium (Debian's package)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        # Debian's browser, never one downloaded by `playwright install`.
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = built_project(tmp_path_factory)
    out = tmp_path_factory.mktemp("browser") / "run.html"
    result = project.report("-o", str(out))
    assert result.code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report-screenshots")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_page_loads_cleanly_offline_and_runs_no_injected_script(
    browser: Any, page_path: Path, screenshots: Path, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    console: list[tuple[str, str]] = []
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: console.append((message.type, message.text)))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    # Nothing may leave the machine even if the page asked: abort anything but the file.
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    page.goto(page_path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)  # late requests (fonts, lazy images) would show up here

    assert [m for m in console if m[0] in ("error", "warning")] == []
    assert errors == []
    assert requests == [page_path.as_uri()]
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title().startswith("specloop report:")
    assert page.locator("section#tasks details.task").count() == 4
    assert "merged" in page.locator("#task-0x01 > summary").inner_text()
    assert "<script>window.__pwned = 1</script>" in page.locator("#task-0x01 h3").inner_text()

    # Open every fold, as a reader would, so the screenshot shows diffs and check output.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("pre.diff .dl.add").count() >= 2
    # A reviewer's finding, under its attempt and in the run-wide list: text, never markup.
    card = page.locator("#task-0x01 .finding", has_text="BLOCKING").first
    assert card.locator(".ftitle").inner_text() == REVIEW_TITLE
    assert REVIEW_BODY in card.inner_text()
    assert page.locator("#findings table.findings tbody tr").count() == 3
    assert REVIEW_TITLE in page.locator("#findings table.findings").inner_text()
    assert page.locator("script, img").count() == 0
    if viewport == "phone":  # readable without zooming out: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot = screenshots / f"report-{viewport}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # The review parts on their own, easier to look at than the whole page.
    page.locator("#task-0x01 .review").first.screenshot(
        path=str(screenshots / f"review-{viewport}.png")
    )
    page.locator("#findings").screenshot(path=str(screenshots / f"findings-{viewport}.png"))
    print(f"screenshot: {shot}")
    context.close()


def test_the_probe_would_see_a_script_that_ran(browser: Any) -> None:
    # The control for the test above: without escaping, the same probe reports it.
    page = browser.new_page()
    page.set_content("<p>x</p><script>window.__pwned = 1</script>")
    assert page.evaluate("typeof window.__pwned") == "number"
    page.close()
