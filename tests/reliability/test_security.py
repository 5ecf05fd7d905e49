"""Security policy: headers on every response, limits, debug off, a read-only warehouse.

Headers are checked on every kind of answer the app gives (pages, JSON, downloads,
static files, redirects, errors 400/404/405/413/414 and 503) and in a real browser:
every page must render under the Content-Security-Policy with no console error.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
import requests

from tests.conftest import Server
from tests.reliability.conftest import enumerate_routes, fill, sample_values

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def assert_secure(reply: requests.Response) -> None:
    for name, value in HEADERS.items():
        assert reply.headers.get(name) == value, (reply.url, name, reply.headers.get(name))
    csp = reply.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, (reply.url, csp)
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";", 1)[0]
    assert "'unsafe-eval'" not in csp


@pytest.fixture(scope="module")
def urls(warehouse) -> list[str]:
    values = sample_values(warehouse)
    return sorted({fill(r, values) for r in enumerate_routes() if "GET" in r.methods})


def test_every_route_carries_the_security_headers(urls, live_server):
    session = requests.Session()
    for path in urls:
        assert_secure(session.get(live_server + path, timeout=120, allow_redirects=False))


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/no/such/page/anywhere.txt", None, 404),
    ("DELETE", "/healthz", None, 405),
    ("POST", "/api/3/action/package_search", b"{" + b" " * (2 << 20) + b"}", 413),
    ("POST", "/_dash-update-component", b"not json", 400),
    ("GET", "/healthz?" + "q=" + "x" * 9000, None, None),
])
def test_errors_carry_the_headers_and_no_internals(method, path, body, status, live_server):
    reply = requests.request(method, live_server + path, data=body, timeout=60,
                             headers={"Content-Type": "application/json"})
    if status:
        assert reply.status_code == status
    if "Content-Security-Policy" in reply.headers or reply.status_code < 400:
        assert_secure(reply)
    assert "Traceback" not in reply.text and "/work/" not in reply.text


def test_debug_is_off_under_gunicorn(live_server):
    console = requests.get(f"{live_server}/console", timeout=30)
    assert "Werkzeug Debugger" not in console.text and "__debugger__" not in console.text
    from dashboards.app import app, server

    assert not server.debug and not server.config["PROPAGATE_EXCEPTIONS"]
    assert not app._dev_tools.ui and not app._dev_tools.hot_reload


def test_app_opens_the_warehouse_read_only(warehouse, tmp_path):
    """Through the app's one door, nothing can write, attach, read files or change settings."""
    from dashboards import warehouse as door

    door.reset()
    con = door.cursor()
    try:
        for sql in ("CREATE TABLE mart.pwned AS SELECT 1", "DELETE FROM meta.build",
                    "ATTACH ':memory:' AS other", "SET enable_external_access = true",
                    "SELECT * FROM read_csv('/etc/passwd')",
                    f"COPY (SELECT 1) TO '{tmp_path}/x.csv'", "INSTALL httpfs"):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
        door.reset()
    assert not (tmp_path / "x.csv").exists()


def test_served_warehouse_file_is_never_written_by_the_app(warehouse, tmp_path):
    served = tmp_path / "served.duckdb"
    shutil.copy(warehouse, served)
    served.chmod(0o444)  # the app needs only read permission
    before = served.stat().st_mtime_ns, served.read_bytes()
    server = Server(served, workers=1, env={"PONMETRO_CACHE_TYPE": "null"}).start()
    try:
        for path in ("/healthz", "/", "/api/3/action/package_list"):
            assert requests.get(server.url + path, timeout=60).status_code == 200
    finally:
        server.stop()
    assert (served.stat().st_mtime_ns, served.read_bytes()) == before
    assert not list(tmp_path.glob("served.duckdb.wal"))


CSP_PROBE = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.mark.browser
def test_every_page_renders_under_the_csp(page, live_server, warehouse):
    """A real browser: no CSP violation, no console error, visible content on every page."""
    values = sample_values(warehouse)
    paths = sorted({fill(r, values) for r in enumerate_routes() if r.kind == "page"})
    problems: list[str] = []
    current = {"path": ""}

    def on_console(message) -> None:
        expected_404 = current["path"] == "/404" and "status of 404" in message.text
        if message.type == "error" and not expected_404:
            problems.append(f"{current['path']}: console error: {message.text}")

    page.add_init_script(CSP_PROBE)
    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"{current['path']}: page error: {e}"))
    for path in paths:
        current["path"] = path
        page.goto(live_server + path, wait_until="networkidle")
        # Dash's render (scripts run) has taken the place of the server's first screen
        page.wait_for_function("() => !document.getElementById('pm-first-screen')",
                               timeout=30000)
        page.wait_for_selector("#_pages_content *", timeout=30000)
        problems += [f"{path}: CSP {v}" for v in page.evaluate("() => window.__cspViolations")]
        assert page.inner_text("#_pages_content").strip(), f"{path}: blank page"
    # the server-rendered public pages (Flask views) under the same policy
    public = [fill(r, values) for r in enumerate_routes()
              if r.kind == "flask" and r.template in PUBLIC_PAGES]
    assert len(public) == len(PUBLIC_PAGES)
    for path in public:
        current["path"] = path
        page.goto(live_server + path, wait_until="networkidle")
        problems += [f"{path}: CSP {v}" for v in page.evaluate("() => window.__cspViolations")]
        assert page.inner_text("#main-content h1").strip(), f"{path}: blank page"
    assert problems == [], "\n".join(problems[:20])


PUBLIC_PAGES = {"/data", "/data/<dataset_id>", "/projects/<code>", "/reporting"}


def test_policy_helpers():
    from dashboards.security import _json_depth_ok, inline_script_hashes, tile_origin

    assert tile_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == \
        "https://*.tile.openstreetmap.org"
    assert tile_origin("https://tiles.example.org/{z}/{x}/{y}.png") == \
        "https://tiles.example.org"
    assert tile_origin("") is None and tile_origin("javascript:alert(1)") is None
    html = b'<script src="/a.js"></script><script>var a=1;</script><script>var a=1;</script>'
    # sha256 of "var a=1;" (echo -n 'var a=1;' | openssl dgst -sha256 -binary | base64)
    assert inline_script_hashes(html) == ["'sha256-gaaMFNHZyRta8zB2VHkWLMP4tMxJ+d8v3dTW7nw2r6M='"]
    assert _json_depth_ok(b"[" * 64 + b"]" * 64) and not _json_depth_ok(b"[" * 65 + b"]" * 65)
    assert _json_depth_ok(b'["' + b"[" * 500 + b'"]')  # brackets inside a string do not count
    assert not _json_depth_ok(b"[" * 50000)
