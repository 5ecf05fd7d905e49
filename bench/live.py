"""Live data: ``ponmetro ingest`` of a 10-minute batch against the history under it, what
readers feel while batches land, and the live worker's memory over many polls.

The batch continues the warehouse's own telemetry (the next 10 minutes of every station
with a status, of every bay, and of trips), so it touches the newest periods as a live
feed would. Figures per scale are saved in the work folder; a run at scale N finds the
scale-1 figures there and reports the ratio (the issue's goal: <= 1.5).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import polars as pl

from bench.procs import BIN, rss_mb
from bench.report import Report

SECTION = "live"
BATCH_MINUTES = 10
VISIBLE_TARGET_S = 5.0


def _batches(warehouse: Path, out: Path, n: int) -> list[list[Path]]:
    """``n`` consecutive 10-minute batches (station status, bay events, trips) after the
    newest telemetry of ``warehouse``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        status = con.sql("SELECT * FROM mart.mobility_station_status_latest").pl()
        spots = con.sql("SELECT spot_id FROM mart.mobility_parking_spots").pl()
        trips = con.sql("SELECT * FROM staging.mobility_trips ORDER BY start_time DESC "
                        "LIMIT 50").pl()
        newest = con.execute("SELECT greatest((SELECT max(last_reported) FROM "
                             "staging.mobility_station_status), (SELECT max(observed_at) FROM "
                             "staging.mobility_spot_status))").fetchall()[0][0]
    finally:
        con.close()
    out.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    batches = []
    for k in range(n):
        at = newest + timedelta(minutes=BATCH_MINUTES * (k + 1))
        files = []
        path = out / "mobility" / "station_status" / f"bench-{k}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        status.select(
            "station_id", pl.lit(at.strftime(fmt)).alias("last_reported"),
            ((pl.col("num_vehicles_available") + k) % 10).alias("num_vehicles_available"),
            "num_docks_available", pl.lit(True).alias("is_installed"),
            "is_renting", "is_returning").write_csv(path)
        files.append(path)
        path = out / "mobility" / "spot_status" / f"bench-{k}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        spots.select("spot_id", pl.lit(at.strftime(fmt)).alias("observed_at"),
                     pl.lit("occupied" if k % 2 else "free").alias("status")).write_csv(path)
        files.append(path)
        path = out / "mobility" / "trips" / f"bench-{k}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        shift = at - trips["start_time"].max()
        trips.with_columns(
            (pl.col("trip_id") + f"-b{k}").alias("trip_id"),
            (pl.col("start_time") + shift).dt.strftime(fmt).alias("start_time"),
            (pl.col("end_time") + shift).dt.strftime(fmt).alias("end_time")).write_csv(path)
        files.append(path)
        batches.append(files)
    return batches


def _reader(warehouse: Path, stop: threading.Event, times: list[float]) -> None:
    """What a page does: latest status and one station's hours, through the app's door."""
    from dashboards import warehouse as door

    while not stop.is_set():
        start = time.perf_counter()
        door.query("SELECT count(*) FROM mart.mobility_station_status_latest")
        door.query("SELECT * FROM mart.mobility_station_status_hourly "
                   "WHERE station_id = (SELECT min(station_id) FROM "
                   "mart.mobility_bike_stations) ORDER BY hour DESC LIMIT 24")
        times.append(time.perf_counter() - start)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def ingest_latency(warehouse: Path, workdir: Path, rep: Report, scale: int,
                   batches: int) -> None:
    from dashboards import warehouse as door
    from etl import ingest

    served = workdir / "live" / "warehouse.duckdb"
    shutil.rmtree(served.parent, ignore_errors=True)
    served.parent.mkdir(parents=True)
    shutil.copyfile(warehouse, served)
    plan = _batches(served, workdir / "live" / "batches", batches)
    os.environ["PONMETRO_WAREHOUSE"] = str(served)
    door.reset()
    quiet: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=_reader, args=(served, stop, quiet))
    thread.start()
    time.sleep(3)
    stop.set()
    thread.join()
    busy: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=_reader, args=(served, stop, busy))
    thread.start()
    took, visible = [], []
    try:
        for files in plan:
            before = door.data_identity()
            start = time.perf_counter()
            ingest.ingest(files, served, echo=lambda _: None)
            took.append(time.perf_counter() - start)
            while door.data_identity() == before and time.perf_counter() - start < 30:
                time.sleep(0.02)
            visible.append(time.perf_counter() - start)
    finally:
        stop.set()
        thread.join()
    rows = sum(pl.read_csv(f).height for f in plan[0])
    median = statistics.median(took)
    rep.add(SECTION, f"ingest of a {BATCH_MINUTES}-minute batch ({rows} rows: station "
            "status, bay events, trips), median", median, "s",
            note=f"{batches} batches in a row on top of the scale-{scale} history")
    rep.add(SECTION, "batch visible to the app's door (ingest + recheck), worst",
            max(visible), "s", target=f"<= {VISIBLE_TARGET_S:g} s",
            met=max(visible) <= VISIBLE_TARGET_S)
    rep.add(SECTION, "live snapshot after the batches", (served.parent / "warehouse.live" /
            "snapshot.duckdb").stat().st_size / 1e6, "MB",
            note=f"the build it sits on: {served.stat().st_size / 1e6:.0f} MB")
    rep.add(SECTION, "reader p95 (latest + one station's hours) while ingesting",
            _p95(busy) * 1000, "ms", baseline=_p95(quiet) * 1000,
            note="baseline: the same reader with no ingest running")
    saved = workdir / f"live-scale{scale}.json"
    saved.write_text(json.dumps({"median_s": median}))
    one = workdir / "live-scale1.json"
    if scale != 1 and one.exists():
        ratio = median / json.loads(one.read_text())["median_s"]
        rep.add(SECTION, f"ingest time scale {scale} / scale 1", ratio, "x",
                target="<= 1.5", met=ratio <= 1.5)
    door.reset()


def _feed_server(stations: list[str]):
    """A GBFS 2.3 feed (ttl 0) whose stations report one minute later at every poll."""
    state = {"polls": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            base = f"http://127.0.0.1:{self.server.server_port}"
            name = self.path.strip("/").removesuffix(".json")
            now = int(time.time())
            head = {"last_updated": now, "ttl": 0, "version": "2.3"}
            if name == "gbfs":
                doc = {**head, "data": {"it": {"feeds": [
                    {"name": "station_status", "url": f"{base}/station_status.json"}]}}}
            else:
                state["polls"] += 1
                epoch = 1_704_067_200 + 60 * state["polls"]  # from 2024-01-01, a minute a poll
                doc = {**head, "data": {"stations": [
                    {"station_id": s, "num_bikes_available": (state["polls"] + i) % 9,
                     "num_docks_available": 5, "is_installed": True, "is_renting": True,
                     "is_returning": True, "last_reported": epoch}
                    for i, s in enumerate(stations)]}}
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


def worker_memory(warehouse: Path, workdir: Path, rep: Report, polls: int) -> None:
    served = workdir / "live-worker" / "warehouse.duckdb"
    shutil.rmtree(served.parent, ignore_errors=True)
    served.parent.mkdir(parents=True)
    shutil.copyfile(warehouse, served)
    con = duckdb.connect(str(served), read_only=True)
    stations = [r[0] for r in con.execute(
        "SELECT station_id FROM mart.mobility_station_status_latest").fetchall()]
    con.close()
    server, state = _feed_server(stations)
    url = f"http://127.0.0.1:{server.server_port}/gbfs.json"
    log = (workdir / "live-worker.log").open("wb")
    proc = subprocess.Popen([str(BIN / "ponmetro"), "live", "--gbfs", url, "--every", "0.1",
                             "--warehouse", str(served), "--rounds", str(polls)],
                            stdout=log, stderr=subprocess.STDOUT)
    samples: list[tuple[int, float]] = []
    start = time.perf_counter()
    try:
        while proc.poll() is None:
            try:
                samples.append((state["polls"], rss_mb(proc.pid)))
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()
        server.shutdown()
        server.server_close()
    seconds = time.perf_counter() - start
    if proc.returncode != 0 or not samples:
        rep.error(SECTION, f"live worker exited with {proc.returncode} (see live-worker.log)")
        return
    early = [mb for n, mb in samples if n >= max(1, polls // 10) and mb > 0] \
        or [samples[-1][1]]
    rep.add(SECTION, f"live worker RSS after {polls} polls ({len(stations)} stations each)",
            samples[-1][1], "MB", baseline=early[0],
            note=f"baseline: RSS at poll {max(1, polls // 10)}; "
                 f"{polls / seconds:.1f} polls/s with an ingest each",
            ratio=samples[-1][1] / early[0])


def run(warehouse: Path, workdir: Path, rep: Report, scale: int, smoke: bool,
        polls: int) -> None:
    ingest_latency(warehouse, workdir, rep, scale, 3 if smoke else 10)
    worker_memory(warehouse, workdir, rep, polls)
