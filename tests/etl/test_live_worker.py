"""``ponmetro live`` against a GBFS server on a real local socket that changes its payload
at every poll and can be told to fail in each way a real feed fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from etl.worker import Worker
from ponmetro.settings import live_dir, live_snapshot_path
from tests.conftest import BIN
from tests.etl.conftest import invariant, read_live


class Feed:
    """A GBFS 2.3 system whose stations report one minute later at every status request."""

    def __init__(self, stations: list[str], start: datetime):
        self.stations, self.start = stations, start
        self.polls = 0
        self.mode = "ok"
        self.last: bytes = b""
        self.lock = threading.Lock()

    def document(self, name: str, base: str) -> bytes:
        epoch = int((self.start + timedelta(minutes=self.polls)).replace(tzinfo=UTC).timestamp())
        head = {"last_updated": epoch, "ttl": 0, "version": "2.3"}
        if name == "gbfs":
            doc = {**head, "data": {"it": {"feeds": [
                {"name": n, "url": f"{base}/{n}.json"}
                for n in ("system_information", "station_status")]}}}
        elif name == "system_information":
            doc = {**head, "data": {"system_id": "test", "language": "it", "name": "Test",
                                    "timezone": "Europe/Rome"}}
        elif self.mode == "repeat":  # the operator answers what it answered last time
            return self.last
        else:
            with self.lock:
                self.polls += 1
                epoch += 60
            stations = self.stations[:-1] if self.mode == "gone" else self.stations
            reported = int(time.time()) + 86_400 if self.mode == "skew" else epoch
            doc = {**head, "last_updated": epoch, "data": {"stations": [
                {"station_id": s, "num_bikes_available": (self.polls + i) % 7,
                 "num_docks_available": 3, "is_installed": True, "is_renting": True,
                 "is_returning": True, "last_reported": reported if i == 0 else epoch}
                for i, s in enumerate(stations)]}}
            if self.mode == "invalid":
                del doc["data"]["stations"][0]["num_docks_available"]
                doc["data"]["stations"][0]["is_renting"] = "yes"
        body = json.dumps(doc).encode()
        if name == "station_status" and self.mode == "ok":
            self.last = body
        return body


@pytest.fixture
def feed_server(held):
    _, base, _ = held
    con = duckdb.connect(str(base), read_only=True)
    stations = [r[0] for r in con.execute(
        "SELECT station_id FROM mart.mobility_bike_stations ORDER BY station_id LIMIT 12"
    ).fetchall()]
    con.close()
    feed = Feed(stations, datetime(2024, 1, 1))
    seen_headers: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            seen_headers.append(self.headers.get("Client-Identifier"))
            name = self.path.strip("/").removesuffix(".json")
            if name == "station_status" and feed.mode == "500":
                self.send_error(500)
                return
            if name == "station_status" and feed.mode == "timeout":
                # the worker gives up after 1 s; answering later would advance the feed
                # (and the body "repeat" serves) behind the test's back
                time.sleep(2.5)
                return
            body = feed.document(name, f"http://127.0.0.1:{self.server.server_port}")
            if name == "station_status" and feed.mode == "truncated":
                body = body[: len(body) // 2]
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield feed, f"http://127.0.0.1:{server.server_port}/gbfs.json", seen_headers
    server.shutdown()
    server.server_close()


def no_duplicates(warehouse: Path) -> None:
    con = duckdb.connect(str(live_snapshot_path(warehouse)), read_only=True)
    try:
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT (station_id, last_reported)) "
            "FROM inc.mobility_station_status").fetchall()[0]
    finally:
        con.close()
    assert total == distinct


def test_worker_keeps_going_through_every_fault(feed_server, served, tmp_path, monkeypatch):
    feed, url, headers = feed_server
    monkeypatch.setenv("PONMETRO_GBFS_CLIENT_ID", "ponmetro-test")
    base_samples, _ = invariant(served)
    lines: list[str] = []
    worker = Worker.create(served, [url], sensors=tmp_path / "drop", every=0.1,
                           timeout=1.0, echo=lines.append)
    expected_errors = 0
    for mode in ("ok", "500", "ok", "timeout", "truncated", "ok", "invalid", "skew", "gone",
                 "ok"):
        feed.mode = mode
        before, said = worker.errors, len(lines)
        worker.poll_feed(worker.feeds[0])
        if mode in ("500", "timeout", "truncated", "invalid", "skew"):
            expected_errors += 1
            assert worker.errors == before + 1, (mode, lines[-3:])
            assert sum(line.startswith("error: ") for line in lines[said:]) == 1
            if mode == "skew":  # the station from the future is dropped, the others kept
                assert "in the future" in lines[said] and "11 new rows" in lines[-1]
        else:
            assert worker.errors == before, (mode, lines[-3:])
    assert worker.errors == expected_errors
    assert set(headers) == {"ponmetro-test"}
    samples, added = invariant(served)
    assert added > 0 and samples == base_samples + added
    no_duplicates(served)
    worker.round()  # writes worker.json, read by /healthz
    state = json.loads((live_dir(served) / "worker.json").read_text())
    assert state["errors"] == expected_errors

    # a restarted worker (nothing in memory) polling an unchanged feed adds nothing twice
    feed.mode = "repeat"
    samples, added = invariant(served)
    again = Worker.create(served, [url], every=0.1, timeout=1.0, echo=lines.append)
    assert again.errors == expected_errors  # the count survives restarts
    again.poll_feed(again.feeds[0])
    assert invariant(served) == (samples, added), lines[-4:]
    no_duplicates(served)


def test_worker_takes_complete_sensor_files_and_rejects_bad_ones(held, served, tmp_path):
    _, base, _ = held
    drop = tmp_path / "drop"
    drop.mkdir()
    con = duckdb.connect(str(base), read_only=True)
    spot = con.execute("SELECT min(spot_id) FROM mart.mobility_parking_spots").fetchall()[0][0]
    con.close()
    (drop / ".incoming.csv").write_text(f"spot_id,observed_at,status\n{spot},"
                                        "2024-01-01T00:05:00Z,free\n")
    (drop / "bad.csv").write_text(f"spot_id,observed_at,status\n{spot},"
                                  "2024-01-01T00:06:00Z,parked\n")
    lines: list[str] = []
    worker = Worker.create(served, [], sensors=drop, echo=lines.append)
    worker.take_sensor_files()
    assert worker.errors == 1 and "bad.csv" in lines[-1] and "status" in lines[-1]
    assert (live_dir(served) / "rejected" / "bad.csv").exists()
    assert (drop / ".incoming.csv").exists()  # not complete yet: left alone
    os.replace(drop / ".incoming.csv", drop / "bays-1.csv")
    worker.take_sensor_files()
    assert worker.errors == 1
    logged = read_live(served, "SELECT contract, rows FROM meta.ingest")
    assert logged.rows() == [("mobility_spot_status", 1)]
    assert (worker.landing / "mobility" / "spot_status" / "bays-1.csv").exists()


def test_live_command_survives_kill_9_and_resumes_without_duplicates(feed_server, served):
    feed, url, _ = feed_server
    base_samples, _ = invariant(served)
    args = [str(BIN / "ponmetro"), "live", "--gbfs", url, "--every", "0.3",
            "--warehouse", str(served)]
    for _ in range(2):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 60
        start = feed.polls
        while feed.polls < start + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert feed.polls >= 6
    samples, added = invariant(served)
    assert added > 0 and samples == base_samples + added
    no_duplicates(served)
    assert ponmetro_live_needs_a_source()


def ponmetro_live_needs_a_source() -> bool:
    result = subprocess.run([str(BIN / "ponmetro"), "live"], capture_output=True, text=True,
                            timeout=60)
    return result.returncode == 2 and result.stderr.startswith("error:")
