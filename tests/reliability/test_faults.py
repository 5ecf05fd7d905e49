"""Fault injection: killed builds, builds racing readers, full disk, broken warehouse files.

The promise under test: the warehouse being served is never half-written. A build
killed at any moment leaves the previous file intact and served; a build that
finishes is picked up by the running app without a restart; a build that cannot
write says so in one ``error:`` line; a missing or corrupt warehouse makes
``/healthz`` unhealthy instead of crashing the app.
"""

from __future__ import annotations

import hashlib
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import requests

from tests.conftest import Server
from tests.reliability.conftest import enumerate_routes, fill
from tests.reliability.hostile import check, is_location_driven, location_body

PONMETRO = [sys.executable, "-m", "ponmetro.cli"]


def build_cmd(landing: Path, target: Path) -> list[str]:
    return [*PONMETRO, "build", "--quiet", "--landing", str(landing), "--warehouse",
            str(target)]


def build_id(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT build_id FROM meta.build").fetchone()[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Readers:
    """Threads reading the live app while a fault happens; they record every answer."""

    def __init__(self, base: str, paths: list[str], threads: int = 3):
        self.base, self.paths = base, paths
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.build_ids: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        session = requests.Session()
        i = 0
        while not self._stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                reply = session.get(self.base + path, timeout=30)
            except requests.RequestException as exc:
                self.failures.append(f"{path}: {type(exc).__name__}")
                continue
            self.statuses[reply.status_code] += 1
            if reply.status_code != 200:
                self.failures.append(f"{path}: HTTP {reply.status_code}")
            elif path == "/healthz":
                self.build_ids.append(reply.json()["build_id"])

    def __enter__(self) -> Readers:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(60)


@pytest.fixture
def served(small_warehouse, tmp_path):
    """A gunicorn serving a private copy of the small warehouse: (server, file)."""
    target = tmp_path / "served" / "warehouse.duckdb"
    target.parent.mkdir()
    shutil.copy(small_warehouse, target)
    server = Server(target, workers=2, env={"PONMETRO_CACHE_TYPE": "simple"},
                    log=tmp_path / "gunicorn.log").start()
    yield server, target
    server.stop()


def test_killed_builds_leave_the_previous_warehouse_intact_and_served(
        campaign, small_landing, served, tmp_path):
    server, target = served
    start = time.monotonic()
    assert subprocess.run(build_cmd(small_landing, tmp_path / "timing.duckdb"),
                          capture_output=True, timeout=300).returncode == 0
    duration = time.monotonic() - start
    rng = random.Random(1420)
    current, kills, finished = build_id(target), 0, 0
    with Readers(server.url, ["/healthz", "/"]) as readers:
        for _ in range(campaign.build_kills):
            proc = subprocess.Popen(build_cmd(small_landing, target),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, duration * 1.05))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            scratch = target.with_name(f".{target.name}.building-{proc.pid}")
            if proc.returncode == 0 or (build_id(target) != current and not scratch.exists()):
                # it finished first, or was killed between its atomic rename and its exit:
                # a complete new build is fine (checked whole below)
                finished += 1
                current = build_id(target)
            else:
                kills += 1
            assert build_id(target) == current
            with duckdb.connect(str(target), read_only=True) as con:
                assert con.execute("SELECT count(*) FROM mart.geo_nil").fetchone()[0] == 88
    assert kills >= campaign.build_kills // 2, f"only {kills} builds were killed mid-way"
    assert readers.failures == [], readers.failures[:5]
    assert sum(readers.statuses.values()) > 0
    # The next successful build sweeps away what the killed builds left behind.
    assert subprocess.run(build_cmd(small_landing, target), capture_output=True,
                          timeout=300).returncode == 0
    assert not list(target.parent.glob(".*.building-*"))


def test_builds_racing_live_traffic_never_disturb_readers(campaign, small_landing, served):
    server, target = served
    first = build_id(target)
    ids = [first]
    with Readers(server.url, ["/healthz", "/", "/healthz"], threads=4) as readers:
        for _ in range(campaign.racing_builds):
            result = subprocess.run(build_cmd(small_landing, target), capture_output=True,
                                    text=True, timeout=300)
            assert result.returncode == 0, result.stderr
            ids.append(build_id(target))
            time.sleep(1.2)  # the app rechecks the file at most once a second
        # A loaded machine may answer no /healthz in that second: give the readers a
        # bounded while to meet the last build before calling it missed.
        deadline = time.monotonic() + 30
        while ids[-1] not in readers.build_ids and time.monotonic() < deadline:
            time.sleep(0.2)
    assert readers.failures == [], readers.failures[:5]
    seen = set(readers.build_ids)
    assert seen <= set(ids), "a reader saw a build that was never published"
    assert ids[-1] in seen, "the app did not pick up the last build without a restart"


def _limit_file_size(limit: int):
    def apply() -> None:  # runs in the child: writes past `limit` fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("limit", [64 * 1024, 1024 * 1024])
def test_full_disk_is_a_clear_error_and_keeps_the_previous_warehouse(
        limit, small_landing, small_warehouse, tmp_path):
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, target)
    before = digest(target)
    result = subprocess.run(build_cmd(small_landing, target), capture_output=True, text=True,
                            timeout=300, preexec_fn=_limit_file_size(limit))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, \
        result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert digest(target) == before
    assert not list(tmp_path.glob(".*.building-*"))


@pytest.mark.parametrize("where", ["parent-is-a-file", "target-is-a-folder", "proc"])
def test_unwritable_target_is_a_clear_error(where, small_landing, tmp_path):
    if where == "parent-is-a-file":
        (tmp_path / "plain.txt").write_text("x")
        target = tmp_path / "plain.txt" / "warehouse.duckdb"
    elif where == "target-is-a-folder":
        target = tmp_path / "warehouse.duckdb"
        target.mkdir()
        (target / "keep").write_text("kept")
    else:
        target = Path("/proc/ponmetro/warehouse.duckdb")
    result = subprocess.run(build_cmd(small_landing, target), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    if where == "target-is-a-folder":  # refused by the CLI's own option check
        assert "is a directory" in result.stderr
        assert (target / "keep").read_text() == "kept"
    else:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, \
            result.stderr[-2000:]


def _garbage(path: Path, kind: str, original: Path) -> None:
    if kind == "missing":
        path.unlink()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        data = original.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "random-bytes":
        path.write_bytes(random.Random(7).randbytes(1 << 20))
    elif kind == "not-a-warehouse":  # a valid DuckDB file without meta.build
        path.unlink()
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE hello AS SELECT 1 AS x")


def _pages_say_unavailable(base: str) -> None:
    """Every page, rendered as the browser asks for it, shows a message: no crash, no path."""
    values = {"dataset_id": ["social-usage-monthly"], "code": ["MI4.1.1.b"],
              "axis_id": ["3"]}
    deps = requests.get(base + "/_dash-dependencies", timeout=30).json()
    router = next(d for d in deps if is_location_driven(d) and "_pages_content" in d["output"])
    for route in (r for r in enumerate_routes() if r.kind == "page"):
        path = fill(route, values)
        reply = requests.post(base + "/_dash-update-component", timeout=60,
                              json=location_body(router, path, ""))
        assert reply.status_code == 200, (path, reply.status_code)
        assert not check(reply, path), (path, [str(p) for p in check(reply, path)])
        said = "disponibil" in reply.text or "unavailable" in reply.text
        assert said or path != "/", "the home page does not say the data is unavailable"
    for path in ("/data", "/data/social-usage-monthly", "/projects/MI4.1.1.b", "/reporting"):
        reply = requests.get(base + path, timeout=60)  # server-rendered: the status says it
        assert reply.status_code == 503 and reply.headers["Content-Type"].startswith("text/html")
        assert "Dati temporaneamente non disponibili" in reply.text
        assert "Data temporarily unavailable" in reply.text and "Traceback" not in reply.text


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "random-bytes",
                                  "not-a-warehouse"])
def test_broken_warehouse_is_unhealthy_then_recovers_without_restart(
        kind, small_warehouse, tmp_path):
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, target)
    server = Server(target, workers=1, env={"PONMETRO_CACHE_TYPE": "null"}).start()
    try:
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        broken = tmp_path / "broken.duckdb"
        shutil.copy(small_warehouse, broken)
        _garbage(broken, kind, small_warehouse)
        if broken.exists():
            broken.replace(target)
        else:
            target.unlink()
        time.sleep(1.2)  # past the app's recheck interval
        health = requests.get(server.url + "/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["status"] == "unhealthy"
        assert "Traceback" not in health.text and str(tmp_path) not in health.text
        page = requests.get(server.url + "/", timeout=30)
        assert page.status_code == 200 and "Traceback" not in page.text
        _pages_say_unavailable(server.url)
        # a good build put back in place is served again, no restart
        fresh = tmp_path / "fresh.duckdb"
        shutil.copy(small_warehouse, fresh)
        fresh.replace(target)
        time.sleep(1.2)
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
