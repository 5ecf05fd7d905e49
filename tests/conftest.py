"""Shared fixtures: one demo warehouse per test session, a real gunicorn, a real browser.

Area fixtures live in ``tests/<area>/conftest.py``; these are the ones every area uses.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BIN = Path(sys.executable).parent
# The suite fires thousands of API calls from one address; only the tests of the rate
# limit itself (tests/deploy) switch it on, with the production default.
os.environ.setdefault("PONMETRO_RATE_LIMIT", "off")
# A query cache of this test session's own: cache keys are build ids, and some tests give
# warehouses fixed build ids, so a cache left by an earlier run would answer for them.
os.environ["PONMETRO_CACHE_DIR"] = tempfile.mkdtemp(prefix="ponmetro-test-cache-")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str, install: str) -> str:
    """Path of a tool `make test-deps` installs: skip without it locally, fail under CI=true,
    where its absence means the test command is broken, not that the test does not apply."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not installed ({install}, or run `make test-deps`)"
        if IN_CI:
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    return path


def assert_sheet_matches(rows: list[tuple], frame) -> None:
    """An XLSX sheet read back (header first) holds ``frame`` value by value, in order.
    Excel has one number type and one date-time type, so 3382 == 3382.0 and dates compare
    by day; every other value must be equal."""
    header, *body = rows
    assert list(header) == frame.columns
    assert len(body) == frame.height
    for got, want in zip(body, frame.iter_rows(), strict=True):
        for cell, value in zip(got, want, strict=True):
            if isinstance(value, float):
                assert cell == pytest.approx(value, rel=1e-12), (got, want)
            elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                assert isinstance(cell, dt.datetime) and cell.date() == value, (got, want)
            else:
                assert cell == value, (got, want)


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real recorded files beside the project; tests skip clearly when absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real recorded files not present at {REALDATA}")
    return REALDATA


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    """Demo landing files at scale 1 (seed 42), generated once per session."""
    from etl.demo import generate

    out = tmp_path_factory.mktemp("landing")
    generate(out, seed=42, scale=1)
    return out


@pytest.fixture(scope="session")
def warehouse(demo_landing, tmp_path_factory) -> Path:
    """A demo warehouse built by the real pipeline, also exported as PONMETRO_WAREHOUSE."""
    from etl.build import build

    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    build(demo_landing, path, progress=False)
    os.environ["PONMETRO_WAREHOUSE"] = str(path)
    return path


class Server:
    """A gunicorn process serving ``dashboards.app:server`` on a free local port."""

    def __init__(self, warehouse: Path, workers: int = 2, env: dict[str, str] | None = None,
                 log: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PONMETRO_WAREHOUSE": str(warehouse),
                    "PONMETRO_TILE_URL": "", **(env or {})}
        self.workers = workers
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> Server:
        out = self.log.open("wb") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "dashboards.app:server", "-b", f"127.0.0.1:{self.port}",
             "-w", str(self.workers), "--timeout", "120", "--chdir", str(ROOT)],
            env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                # a booting worker on a loaded host can take seconds to answer
                if requests.get(self.url + "/healthz", timeout=10).status_code in (200, 503):
                    return self
            except requests.RequestException:  # not listening yet, or a slow first reply
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def live_server(warehouse, tmp_path_factory):
    """Base URL of a real gunicorn (2 workers) serving the demo warehouse."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    cache_dir = tmp_path_factory.mktemp("cache")
    server = Server(warehouse, env={"PONMETRO_CACHE_DIR": str(cache_dir)}, log=log).start()
    yield server.url
    server.stop()


# ----------------------------------------------------------------- browser (Playwright)

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright: use Debian's chromium, never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make test-deps` (apt-get install chromium)")
    return {"executable_path": CHROMIUM, "headless": True, "args": BROWSER_ARGS}


@pytest.fixture
def axe():
    """``axe(page)`` injects axe-core and returns serious/critical violations."""
    if not AXE.exists():
        pytest.fail("axe-core missing: run `make test-deps` (npm install axe-core)")

    source = AXE.read_text("utf-8") + ";undefined"

    def run(page) -> list[dict]:
        page.evaluate(source)  # evaluated, not injected as a tag: the page keeps its real CSP
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        return [v for v in result if v["impact"] in ("serious", "critical")]

    return run
