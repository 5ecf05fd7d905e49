"""Callback replies at zstd 1, pages at zstd 6, other encodings left to flask-compress."""

from __future__ import annotations

import gc
import gzip
import json

import pytest
import requests

from dashboards import compress
from dashboards.compress import zstd
from tests.dashboards.conftest import route_payload

ZSTD = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def _reply(client, path: str, headers: dict[str, str]):
    return client.post("/_dash-update-component", json=route_payload(path), headers=headers)


@pytest.mark.parametrize("path", ["/social", "/housing"])
def test_callback_reply_is_zstd_at_the_reply_level(app, path):
    client = app.server.test_client()
    plain = _reply(client, path, {"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    body = plain.get_data()
    reply = _reply(client, path, ZSTD)
    assert reply.headers["Content-Encoding"] == "zstd"
    packed = reply.get_data()
    assert zstd.decompress(packed) == body
    # zstd is deterministic: the same bytes as the reply level, not flask-compress's 6
    assert packed == zstd.compress(body, compress.REPLY_ZSTD_LEVEL)
    assert packed != zstd.compress(body, compress.PAGE_ZSTD_LEVEL)
    assert int(reply.headers["Content-Length"]) == len(packed)
    assert "Accept-Encoding" in reply.headers["Vary"]


def test_pages_keep_the_page_level(app):
    client = app.server.test_client()
    page = client.get("/social", headers=ZSTD)
    assert page.headers["Content-Encoding"] == "zstd"
    html = zstd.decompress(page.get_data())
    assert b"<html" in html
    assert page.get_data() == zstd.compress(html, compress.PAGE_ZSTD_LEVEL)


@pytest.mark.parametrize("accept", ["gzip", "gzip, zstd;q=0", ""])
def test_clients_without_zstd_get_what_flask_compress_chooses(app, accept):
    client = app.server.test_client()
    plain = _reply(client, "/social", {"Accept-Encoding": "identity"}).get_data()
    reply = _reply(client, "/social", {"Accept-Encoding": accept})
    assert reply.headers.get("Content-Encoding") != "zstd"
    if "gzip" in accept:
        assert reply.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(reply.get_data()) == plain
    else:
        assert reply.get_data() == plain


def test_small_and_failed_replies_are_left_alone(app):
    client = app.server.test_client()
    bad = client.post("/_dash-update-component", data="{not json",
                      headers={**ZSTD, "Content-Type": "application/json"})
    assert bad.status_code != 200
    assert bad.headers.get("Content-Encoding") != "zstd"
    frame = client.post("/_dash-update-component", json={
        "output": "social-lang.data", "outputs": {"id": "social-lang", "property": "data"},
        "inputs": [], "changedPropIds": [], "state": []}, headers=ZSTD)
    assert frame.headers.get("Content-Encoding") != "zstd"  # no such callback: not a 200


def test_gunicorn_sends_the_reply_level(live_server):
    """Through the real server and client: the hook runs before flask-compress."""
    body = json.dumps(route_payload("/social"))
    raw = requests.post(live_server + "/_dash-update-component", data=body, stream=True,
                        headers={**ZSTD, "Content-Type": "application/json"}, timeout=60)
    assert raw.status_code == 200 and raw.headers["Content-Encoding"] == "zstd"
    packed = raw.raw.read(decode_content=False)
    plain = requests.post(live_server + "/_dash-update-component", data=body,
                          headers={"Accept-Encoding": "identity",
                                   "Content-Type": "application/json"}, timeout=60)
    assert zstd.decompress(packed) == plain.content
    assert packed == zstd.compress(plain.content, compress.REPLY_ZSTD_LEVEL)


def test_the_loaded_app_is_frozen_out_of_the_garbage_collector(app):
    """finish_setup freezes what the app loaded (a full collection walked it all)."""
    assert gc.get_freeze_count() > 10_000
