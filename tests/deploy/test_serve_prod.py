"""`make serve-prod`: nginx + gunicorn + redis on one machine, as the README documents it.

Pages, API and downloads answer through the proxy with the app's security headers;
the proxy serves assets itself (long cache lifetimes, compressed) and puts HSTS and
the security headers on its own error pages; downloads are capped per client; and
SIGTERM stops every process the command started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time

import pytest
import requests

from tests.deploy.topology import ServeProd, processes_mentioning, reachable_folder
from tests.reliability.test_security import assert_secure

HSTS = "max-age=31536000"
BIG_DOWNLOAD = "/download/station-status-hourly.csv"  # ~7 MB: outlasts socket buffers


def assert_proxy_secure(reply: requests.Response) -> None:
    assert_secure(reply)
    assert reply.headers.get("Strict-Transport-Security") == HSTS, reply.headers


def test_pages_api_and_health_through_the_proxy(prod):
    health = requests.get(prod.url + "/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["cache"]["backend"] == "redis"
    assert health.headers["X-Build-Id"] == health.json()["build_id"]
    for path in ("/", "/data", "/api/3/action/package_list"):
        reply = requests.get(prod.url + path, timeout=60)
        assert reply.status_code == 200, path
        assert_proxy_secure(reply)
        assert reply.headers["X-Build-Id"] == health.json()["build_id"]
    api = requests.get(prod.url + "/api/3/action/package_list", timeout=60)
    assert int(api.headers["RateLimit-Limit"]) == 50
    assert 0 <= int(api.headers["RateLimit-Remaining"]) < 50
    assert "Retry-After" not in api.headers


def test_assets_are_served_by_the_proxy_with_long_lifetimes(prod):
    page = requests.get(prod.url + "/", timeout=60).text
    css = next(part.split('"')[0] for part in page.split('href="')[1:]
               if part.startswith("/assets/") and ".css" in part.split('"')[0])
    reply = requests.get(prod.url + css, headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert reply.status_code == 200
    assert "X-Build-Id" not in reply.headers  # nginx answered, not the app
    assert "immutable" in reply.headers["Cache-Control"]
    assert "max-age=31536000" in reply.headers["Cache-Control"]
    assert reply.headers.get("Content-Encoding") == "gzip"
    assert_proxy_secure(reply)
    assert requests.get(prod.url + "/assets/no-such-file.css", timeout=30).status_code == 404


def test_proxy_error_pages_carry_the_security_headers(prod):
    too_long = requests.get(prod.url + "/healthz?q=" + "x" * 5000, timeout=30)
    assert too_long.status_code == 414
    assert_proxy_secure(too_long)
    assert "Retry-After" not in too_long.headers
    too_big = requests.post(prod.url + "/api/3/action/package_search",
                            data=b"{" + b" " * (2 << 20) + b"}", timeout=30,
                            headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    assert_proxy_secure(too_big)
    for reply in (too_long, too_big):
        assert "nginx" not in reply.text.lower() and "Traceback" not in reply.text


def test_concurrent_downloads_are_capped_per_client(prod):
    """The fifth parallel download from one address gets 429 with Retry-After; another
    address still downloads."""
    held = []
    try:
        statuses = []
        for _ in range(6):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a slow reader
            s.connect(("127.0.0.1", prod.port))
            s.sendall(f"GET {BIG_DOWNLOAD} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            held.append(s)
            s.settimeout(60)
            statuses.append(s.recv(64).split(b" ")[1].decode())
        assert statuses[:4] == ["200"] * 4 and statuses[4:] == ["429", "429"], statuses
        other = socket.create_connection(("127.0.0.1", prod.port),
                                         source_address=("127.0.9.9", 0))
        held.append(other)
        other.sendall(f"HEAD {BIG_DOWNLOAD} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        other.settimeout(60)
        assert other.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for s in held:
            s.close()
    time.sleep(0.5)
    refused = requests.get(prod.url + BIG_DOWNLOAD, timeout=120)
    assert refused.status_code == 200  # the cap counts open downloads, not past ones


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_every_process(prod_tools, warehouse, stop):
    """SIGTERM (a service manager) or SIGINT (Ctrl-C, sent to the whole foreground
    group) stops redis, gunicorn and nginx; nothing is left and the port is closed."""
    run = reachable_folder("serve-prod")
    server = ServeProd(warehouse, run)
    try:
        server.start()
        running = processes_mentioning(str(run))
        os.killpg(server.proc.pid, getattr(signal, stop))
        server.proc.wait(60)
        left = server.leftovers()
    finally:
        if server.proc and server.proc.poll() is None:
            server.terminate()
        shutil.rmtree(run, ignore_errors=True)
    assert any("redis" in p for p in running) and any("nginx" in p for p in running) \
        and any("gunicorn" in p for p in running), running
    assert left == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_when_one_process_dies_all_stop_with_an_error(prod_tools, warehouse):
    """redis killed with -9: the supervisor stops nginx and gunicorn and exits non-zero,
    so a service manager restarts the whole set."""
    run = reachable_folder("serve-prod")
    server = ServeProd(warehouse, run)
    try:
        server.start()
        redis = next(int(p.split(":")[0]) for p in processes_mentioning(str(run))
                     if "redis-server" in p)
        os.kill(redis, signal.SIGKILL)
        code = server.proc.wait(90)
        left = server.leftovers()
        said = (run / "make.out").read_text()
    finally:
        if server.proc and server.proc.poll() is None:
            server.terminate()
        shutil.rmtree(run, ignore_errors=True)
    assert code != 0 and left == []
    assert "error: redis exited" in said, said
