"""A missing or corrupt warehouse: every page explains it in both languages, no traceback,
and /healthz answers 503 so the load balancer can tell."""

from __future__ import annotations

import pytest
import requests

from tests.browser.conftest import settle
from tests.conftest import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["corrupt", "missing"])
def broken_server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    path = folder / "warehouse.duckdb"
    if request.param == "corrupt":
        path.write_bytes(b"this is not a DuckDB file\x00" * 100)
    server = Server(path, workers=1, log=folder / "gunicorn.log").start()
    yield server.url
    server.stop()


def test_healthz_is_503(broken_server):
    reply = requests.get(broken_server + "/healthz", timeout=30)
    assert reply.status_code == 503
    assert reply.json()["status"] == "unhealthy"


@pytest.mark.parametrize("route", ["/", "/housing", "/projects/MI4.1.1.c", "/axis/2?lang=en",
                                   "/data", "/data/projects", "/reporting"])
def test_pages_explain_the_outage(page, console, broken_server, route):
    public = not route.startswith(("/?", "/housing", "/axis")) and route != "/"
    response = page.goto(broken_server + route, wait_until="networkidle")
    if public:  # server-rendered: the status says it too
        assert response.status == 503
    settle(page, broken_server + route)
    text = page.locator("#main-content").inner_text()
    assert "Dati temporaneamente non disponibili" in text
    assert "Data temporarily unavailable" in text
    assert "Traceback" not in page.content()
    assert page.locator(".dash-fe-error__title").count() == 0
    assert console.unexpected(allowed=("http 503", "status of 503") if public else ()) == []
