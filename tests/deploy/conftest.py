"""Fixtures of the production-topology tests: `make serve-prod` and a health probe."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import threading
import time

import pytest
import requests

from tests.deploy.topology import NGINX, REDIS, ServeProd, reachable_folder
from tests.reliability.hostile import is_location_driven, location_body


@pytest.fixture(scope="session")
def prod_tools():
    for tool in (NGINX, REDIS):
        if not os.path.exists(tool):
            pytest.fail(f"{tool} is missing: run `make test-deps` (apt-get install nginx "
                        "redis-server)")


@pytest.fixture(scope="module")
def prod(prod_tools, warehouse, tmp_path_factory):
    """`make serve-prod` on a free port, serving a copy of the demo warehouse."""
    folder = tmp_path_factory.mktemp("serve-prod")
    served = folder / "warehouse.duckdb"
    shutil.copyfile(warehouse, served)
    run = reachable_folder("serve-prod")
    server = ServeProd(served, run)
    try:
        yield server.start()
    finally:
        if server.proc and server.proc.poll() is None:
            server.terminate()
        left = server.leftovers()
        shutil.rmtree(run, ignore_errors=True)
    assert left == []


def router_body(base: str, path: str) -> str:
    """The Dash callback that renders ``path``'s content, as the browser posts it."""
    deps = requests.get(f"{base}/_dash-dependencies", timeout=60).json()
    router = next(d for d in deps if is_location_driven(d) and "_pages_content" in d["output"])
    return json.dumps(location_body(router, path, ""))


class Probe(threading.Thread):
    """/healthz every 0.25 s and a page (shell + its content callback) every second,
    each on a new connection with a client timeout, while something else goes on."""

    TIMEOUT = 5.0

    def __init__(self, base: str, callback: str):
        super().__init__(daemon=True)
        self.base, self.callback = base, callback
        self.health: list[float] = []
        self.failures: list[str] = []
        self.pages = 0
        self._halt = threading.Event()

    def _get(self, method: str, path: str, body: str | None = None) -> float:
        started = time.monotonic()
        try:
            reply = requests.request(method, self.base + path, data=body, timeout=self.TIMEOUT,
                                     headers={"Connection": "close",
                                              "Content-Type": "application/json"})
            if reply.status_code != 200:
                self.failures.append(f"{method} {path}: {reply.status_code}")
        except requests.RequestException as exc:
            self.failures.append(f"{method} {path}: {type(exc).__name__}")
        return time.monotonic() - started

    def run(self) -> None:
        tick = 0
        while not self._halt.is_set():
            self.health.append(self._get("GET", "/healthz"))
            if tick % 4 == 0:
                self._get("GET", "/data")
                self._get("POST", "/_dash-update-component", self.callback)
                self.pages += 1
            tick += 1
            self._halt.wait(0.25)

    def finish(self) -> dict[str, float]:
        self._halt.set()
        self.join(30)
        ordered = sorted(self.health)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] if ordered else float("nan")
        figures = {"probes": len(ordered), "healthz_p50_s": round(statistics.median(ordered), 3),
                   "healthz_p95_s": round(p95, 3), "healthz_max_s": round(ordered[-1], 3),
                   "pages": self.pages, "failures": len(self.failures)}
        return figures
