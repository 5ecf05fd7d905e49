"""Cold start: a freshly started gunicorn serves every script of the first page at once.

A browser's first visit requests ~15 component scripts in parallel. Dash registers
their URLs per process when it sets itself up; if that setup ran lazily on the first
request, parallel first requests in a threaded worker were answered 404 (a blank
page after every deploy). Each fresh start here gets the whole first page's scripts
as its very first requests, all at the same moment, and every one must answer 200.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import BIN, ROOT, free_port

FRESH_STARTS = 4
_SCRIPT = re.compile(r'<script (?:defer )?(?:nomodule )?src="(/_dash-component-suites/[^"]+)"')


def first_page_scripts(live_server: str) -> list[str]:
    """The scripts the home page loads (fingerprinted, so the same in every process)."""
    page = requests.get(live_server + "/", timeout=60).text
    scripts = _SCRIPT.findall(page)
    # the polyfill (nomodule), React, ReactDOM, prop-types, dash-leaflet, the renderer,
    # dcc (two files) and html: DataTable's bundle is left out (dashboards.shell)
    assert len(scripts) >= 9, scripts
    return scripts


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until the port accepts TCP connections: no HTTP request may warm the workers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"gunicorn exited with {proc.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("gunicorn did not listen in time")


def parallel_first_requests(url: str, paths: list[str]) -> dict[str, int]:
    barrier = threading.Barrier(len(paths))

    def fetch(path: str) -> tuple[str, int]:
        barrier.wait()
        return path, requests.get(url + path, timeout=120).status_code

    with ThreadPoolExecutor(len(paths)) as pool:
        return dict(pool.map(fetch, paths))


def test_parallel_first_requests_after_fresh_starts(live_server, warehouse, tmp_path):
    paths = ["/", *first_page_scripts(live_server)]
    failures = []
    for attempt in range(FRESH_STARTS):
        port = free_port()
        log = tmp_path / f"gunicorn-{attempt}.log"
        with log.open("wb") as out:
            # one worker with many threads: every parallel request meets the same cold process
            proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "dashboards.app:server", "-b", f"127.0.0.1:{port}",
                 "-w", "1", "--threads", str(len(paths)), "--chdir", str(ROOT)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PONMETRO_WAREHOUSE": str(warehouse),
                     "PONMETRO_CACHE_TYPE": "null"})
        try:
            wait_listening(port, proc)
            statuses = parallel_first_requests(f"http://127.0.0.1:{port}", paths)
        finally:
            proc.terminate()
            proc.wait(30)
        failures += [f"start {attempt}: {path} -> {status}"
                     for path, status in statuses.items() if status != 200]
    assert failures == [], "\n".join(failures)


def test_setup_is_complete_once_the_app_is_imported():
    """Before any request: script URLs registered, every callback (and the page router) known."""
    from dashboards.app import app

    assert "dash" in app.registered_paths and app.registered_paths["dash"]
    outputs = " ".join(app.callback_map)
    assert "_pages_content" in outputs and "frame-header" in outputs
