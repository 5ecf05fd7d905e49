"""Reporting fixtures: a browser that may run axe, a live server patient with slow boots."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import Server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """axe-core is injected as an inline script, which the app's CSP rightly blocks."""
    return {**browser_context_args, "bypass_csp": True}


class _PatientServer(Server):
    """The shared Server treats a slow first reply (ReadTimeout) as fatal; wait for it instead."""

    def start(self, timeout: float = 120) -> Server:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return super().start(timeout=max(1.0, deadline - time.monotonic()))
            except requests.ReadTimeout:
                if time.monotonic() > deadline:
                    raise
                if self.proc is not None and self.proc.poll() is None:
                    # still booting: wait for its reply on the same process
                    if _healthy(self.url, deadline):
                        return self
                raise


def _healthy(url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=10).status_code in (200, 503):
                return True
        except (requests.ConnectionError, requests.ReadTimeout):
            time.sleep(0.5)
    return False


@pytest.fixture(scope="session")
def live_server(warehouse, tmp_path_factory):
    """As tests/conftest.py's live_server, tolerant of slow worker boot on a loaded host."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    cache_dir = tmp_path_factory.mktemp("cache")
    server = _PatientServer(warehouse, env={"PONMETRO_CACHE_DIR": str(cache_dir)},
                            log=log).start()
    yield server.url
    server.stop()
