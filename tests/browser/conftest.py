"""Browser fixtures of the dashboards suite: error capture and axe under the site's CSP.

The site sends a strict Content-Security-Policy, which (rightly) blocks the inline
``<script>`` that ``page.add_script_tag`` would insert; axe-core is therefore
evaluated through the DevTools protocol, which CSP does not govern, so the page
under test keeps its real policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AXE

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
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core missing: run `make test-deps` (npm install axe-core)")
    return AXE.read_text("utf-8")


@pytest.fixture
def axe_serious(axe_source):
    """``axe_serious(page)``: serious and critical axe violations of the page as it is."""

    def run(page) -> list[dict]:
        page.evaluate(axe_source + "\n;undefined")
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        return [v for v in result if v["impact"] in ("serious", "critical")]

    return run


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900},
            "locale": "it-IT", "accept_downloads": True}


def settle(page, url: str) -> None:
    """Open ``url`` and wait until Dash has rendered the page and its callbacks."""
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector("#main-content h1")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


class PatientServer:
    """``tests.conftest.Server`` that also retries when /healthz times out while the
    workers are still importing (it only retries refused connections; on a loaded
    2-core machine a booting worker can take longer than its 2 s read timeout)."""

    @staticmethod
    def start(server, timeout: float = 90):
        import time

        import requests

        try:
            return server.start(timeout=timeout)
        except requests.Timeout:
            pass  # the process is up; keep polling with a longer read timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.proc.returncode}")
            try:
                if requests.get(server.url + "/healthz", timeout=10).status_code in (200, 503):
                    return server
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)
        server.stop()
        raise RuntimeError("gunicorn did not start in time")


@pytest.fixture(scope="session")
def live_server(warehouse, tmp_path_factory):
    """The shared real gunicorn (2 workers, filesystem cache), started patiently."""
    from tests.conftest import Server

    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    cache_dir = tmp_path_factory.mktemp("cache")
    server = PatientServer.start(Server(warehouse, env={"PONMETRO_CACHE_DIR": str(cache_dir)},
                                        log=log))
    yield server.url
    server.stop()
