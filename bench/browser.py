"""Page first render in Debian Chromium, and the callback payloads pages really send.

Each page is opened in a fresh browser context (empty HTTP cache, like a first
visit). We record the time to the first drawn chart or map, the bytes the
browser transferred (Resource Timing ``transferSize``: compressed bytes on the
wire), and every ``POST /_dash-update-component`` body, which the callback
benchmark then replays against gunicorn.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import brotli
import requests

from dashboards import precompress

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Same launch arguments as tests/conftest.py (Debian chromium as root, in a container).
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]
#: A drawn chart (Plotly SVG) or map (Leaflet panes) is the first visual.
FIRST_VISUAL = ".js-plotly-plot .main-svg, .leaflet-container .leaflet-pane"
CALLBACK_PATH = "/_dash-update-component"
VIEWPORT = {"width": 1280, "height": 900}
#: How long after network idle a page may still draw its first chart or map.
VISUAL_GRACE_MS = 5000

#: Installed before any page script: notes when the first chart or map is attached.
_OBSERVER_JS = """(() => {
  const sel = __SELECTOR__;
  const check = () => {
    if (window.__firstVisual === undefined && document.querySelector(sel)) {
      window.__firstVisual = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  document.addEventListener('DOMContentLoaded', () => {
    observer.observe(document.body, {childList: true, subtree: true}); check();
  });
})();""".replace("__SELECTOR__", json.dumps(FIRST_VISUAL))

_RESOURCES_JS = """() => performance.getEntriesByType('resource').concat(
    performance.getEntriesByType('navigation')).map(e => ({
        name: e.name, transfer: e.transferSize || 0, decoded: e.decodedBodySize || 0}))"""


#: Scripts and styles a page names (``src``/``href``, preloads included).
_STATIC = re.compile(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+\.(?:js|css)[^"]*)"')


def warm_static(base_url: str, paths: list[str], workers: int, timeout_s: float = 180) -> int:
    """Wait until every worker sends each script and style of ``paths`` as the brotli-11
    copy ``dashboards.precompress`` makes once per process, as a server that has been up
    for a minute does; returns how many files. Visits measured right after a start would
    otherwise get the on-the-fly encoding of the first requests, which no user sees for
    long. A copy is recognised by its length: brotli is deterministic."""
    with requests.Session() as http:
        urls = sorted({urljoin(base_url, m) for path in paths
                       for m in _STATIC.findall(http.get(base_url + path, timeout=60).text)})
        expected = {}
        for url in urls:
            body = http.get(url, headers={"Accept-Encoding": "identity"}, timeout=60).content
            if len(body) >= precompress.MIN_SIZE:
                expected[url] = len(brotli.compress(body, quality=11))
        urls = sorted(expected)
        deadline = time.monotonic() + timeout_s
        for url in urls:
            streak = 0  # answers in a row at the expected length: every worker has it
            while streak < 3 * workers:
                resp = http.get(url, headers={"Accept-Encoding": "br"}, timeout=60,
                                stream=True)
                size = int(resp.headers.get("Content-Length") or -1)
                resp.close()
                ok = resp.headers.get("Content-Encoding") != "br" or size == expected[url]
                streak = streak + 1 if ok else 0
                if not ok:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{url} not precompressed after {timeout_s:.0f} s")
                    time.sleep(0.5)
    return len(urls)


@dataclass
class PageVisit:
    path: str
    first_visual_ms: float | None
    settled_ms: float
    transfer_bytes: int
    decoded_bytes: int
    requests: int
    plotly_transfer_bytes: int
    plotly_decoded_bytes: int
    plotly_url: str | None = None
    payloads: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def visit_pages(base_url: str, paths: list[str], timeout_s: float = 60,
                cold: bool = True) -> list[PageVisit]:
    """Open every page once and measure it; raises if Chromium cannot start.

    ``cold``: a fresh context (empty HTTP cache) per page, like a first visit.
    Otherwise one context for all, so only the first page loads the scripts
    (the smoke run, where the figures only need to exist).
    """
    from playwright.sync_api import sync_playwright

    visits = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        shared = None if cold else browser.new_context(viewport=VIEWPORT)
        try:
            for path in paths:
                context = shared or browser.new_context(viewport=VIEWPORT)
                try:
                    visits.append(_visit(context, base_url, path, timeout_s))
                finally:
                    if shared is None:
                        context.close()
        finally:
            browser.close()
    return visits


def _visit(context, base_url: str, path: str, timeout_s: float) -> PageVisit:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    payloads: list[dict] = []
    errors: list[str] = []

    def on_request(req) -> None:
        url = urlsplit(req.url)
        if req.method == "POST" and url.path == CALLBACK_PATH and req.post_data:
            try:
                payloads.append({"query": url.query, "body": json.loads(req.post_data)})
            except ValueError:
                errors.append("unparseable callback body")

    def on_response(resp) -> None:
        if resp.status >= 400:
            errors.append(f"{resp.status} {resp.url.replace(base_url, '')}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(f"js: {str(exc)[:120]}"))
    page.add_init_script(_OBSERVER_JS)
    try:
        page.goto(base_url + path, wait_until="networkidle", timeout=timeout_s * 1000)
        # plotly.js is preloaded, so a chart may be drawn after the network went idle
        try:
            page.wait_for_function("() => window.__firstVisual !== undefined",
                                   timeout=VISUAL_GRACE_MS)
        except PlaywrightTimeout:
            if page.query_selector(".js-plotly-plot, .leaflet-container"):
                page.wait_for_function("() => window.__firstVisual !== undefined",
                                       timeout=timeout_s * 1000)
        # both in ms since navigation start; first is None on a page without visuals
        first, settled = page.evaluate(
            "() => [window.__firstVisual === undefined ? null : window.__firstVisual, "
            "performance.now()]")
        resources = page.evaluate(_RESOURCES_JS)
    finally:
        page.close()
    plotly = [r for r in resources if "plotly" in r["name"].rsplit("/", 1)[-1]]
    return PageVisit(
        path=path, first_visual_ms=first, settled_ms=settled,
        transfer_bytes=sum(r["transfer"] for r in resources),
        decoded_bytes=sum(r["decoded"] for r in resources), requests=len(resources),
        plotly_transfer_bytes=sum(r["transfer"] for r in plotly),
        plotly_decoded_bytes=sum(r["decoded"] for r in plotly),
        plotly_url=next((r["name"] for r in plotly), None),
        payloads=payloads, errors=errors)
