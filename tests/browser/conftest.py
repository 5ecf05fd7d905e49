"""Browser fixtures of the dashboards suite: console-error capture, viewport, settling.

axe-core and the live gunicorn come from tests/conftest.py (axe is evaluated through
the DevTools protocol, so pages keep their real Content-Security-Policy).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


class Console:
    """Console errors, uncaught page errors and failed responses of one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("response", lambda r: self.errors.append(f"http {r.status}: {r.url}")
                if r.status >= 400 else None)

    def unexpected(self, allowed: tuple[str, ...] = ()) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


@pytest.fixture
def console(page) -> Console:
    return Console(page)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900},
            "locale": "it-IT", "accept_downloads": True}


def fonts_in_use(page) -> None:
    """Wait until the page's web fonts are loaded and laid out. Titillium Web swaps in
    (font-display: swap) and may arrive after the load event on a busy machine; measured
    with the fallback font, the header wraps one line more and the heading sits 24 px
    lower. Works with JavaScript off too (Playwright's evaluate is not a page script)."""
    status = page.evaluate("""() => { document.body.getBoundingClientRect();
        return document.fonts.ready.then(() => document.fonts.status); }""")
    assert status == "loaded", status


def settle(page, url: str) -> None:
    """Open ``url`` and wait until Dash has rendered the page and its callbacks."""
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector("#main-content h1")
    # a dashboard answers with a server-written first screen (dashboards.shell), heading
    # included: wait until Dash's own render has taken its place
    page.wait_for_function("() => !document.getElementById('pm-first-screen')")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    fonts_in_use(page)
