"""The demo warehouse served by a real gunicorn: the home page and the health check."""

from __future__ import annotations

import shutil
import time

import duckdb
import requests

from tests.conftest import Server


def test_healthz_reports_the_served_build(live_server, warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute("SELECT build_id FROM meta.build").fetchone()[0]
    reply = requests.get(f"{live_server}/healthz", timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {**reply.json(), "status": "ok", "build_id": expected, "demo": True}


def test_home_page_is_served(live_server):
    reply = requests.get(f"{live_server}/", timeout=30)
    assert reply.status_code == 200
    assert "text/html" in reply.headers["Content-Type"]
    assert "PON Metro" in reply.text


def test_missing_warehouse_is_unhealthy_not_a_crash(tmp_path):
    server = Server(tmp_path / "absent.duckdb", workers=1).start()
    try:
        reply = requests.get(f"{server.url}/healthz", timeout=10)
        assert reply.status_code == 503 and reply.json()["status"] == "unhealthy"
        assert requests.get(f"{server.url}/", timeout=30).status_code == 200
    finally:
        server.stop()


def test_new_build_is_picked_up_without_restart(warehouse, tmp_path):
    served = tmp_path / "served.duckdb"
    shutil.copy(warehouse, served)
    server = Server(served, workers=1).start()
    try:
        first = requests.get(f"{server.url}/healthz", timeout=10).json()["build_id"]
        replacement = tmp_path / "next.duckdb"
        shutil.copy(warehouse, replacement)
        with duckdb.connect(str(replacement)) as con:
            con.execute("UPDATE meta.build SET build_id = 'next-build'")
        replacement.replace(served)  # what the ETL's atomic publish does
        seen = set()
        for _ in range(50):  # the app rechecks the file at most once a second
            seen.add(requests.get(f"{server.url}/healthz", timeout=10).json()["build_id"])
            if "next-build" in seen:
                break
            time.sleep(0.1)
        assert first != "next-build" and "next-build" in seen
    finally:
        server.stop()
