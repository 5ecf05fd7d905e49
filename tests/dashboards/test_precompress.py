"""Scripts and styles: compressed once at brotli 11, then served from that copy."""

from __future__ import annotations

import re
import time

import brotli
import pytest


def _script_url(app, name: str) -> str:
    if name == "plotly":
        from dashboards import plotlyjs

        return plotlyjs.url("/")
    page = app.server.test_client().get("/housing").get_data(as_text=True)
    return next(u for u in re.findall(r'src="([^"]+)"', page) if name in u)


def _wait_ready(client, url: str) -> None:
    from dashboards import precompress

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with precompress._lock:
            if any(key.startswith(url.split("?")[0]) for key in precompress._ready):
                return
        time.sleep(0.1)
    pytest.fail(f"{url} was never precompressed")


@pytest.mark.parametrize("name", ["dash_leaflet", "dash_renderer", "plotly"])
def test_scripts_are_served_from_the_brotli_copy(app, name):
    client = app.server.test_client()
    url = _script_url(app, name)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    client.get(url, headers={"Accept-Encoding": "br"})  # starts the compression
    _wait_ready(client, url)
    reply = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert reply.headers["Content-Encoding"] == "br"
    assert brotli.decompress(reply.get_data()) == plain.get_data()
    assert len(reply.get_data()) == int(reply.headers["Content-Length"])
    assert "Accept-Encoding" in reply.headers["Vary"]
    if "ETag" in reply.headers:  # unversioned URLs revalidate (fingerprinted ones need not)
        assert reply.headers["ETag"].endswith(':br"')
        again = client.get(url, headers={"Accept-Encoding": "br",
                                         "If-None-Match": reply.headers["ETag"]})
        assert again.status_code == 304
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers.get("Content-Encoding") != "br"


def test_callback_replies_and_pages_are_not_precompressed(app):
    from dashboards import precompress
    from tests.dashboards.conftest import route_payload

    client = app.server.test_client()
    before = set(precompress._pending) | set(precompress._ready)
    client.post("/_dash-update-component", json=route_payload("/social"),
                headers={"Accept-Encoding": "br"})
    client.get("/social", headers={"Accept-Encoding": "br"})
    after = set(precompress._pending) | set(precompress._ready)
    assert not [k for k in after - before if not k.startswith(precompress.PREFIXES)]
