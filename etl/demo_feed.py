"""The simulated operator (``ponmetro demo feed``): a changing GBFS 2.3 feed on localhost
and bay-sensor batches for the 33 mobility areas, from the demo model.

Stations and bays are those of the demo landing (seed 42, so their ids match the demo
warehouse). The simulated clock continues the demo's telemetry where it ends
(``etl.calendar.TELEMETRY``) and runs at wall-clock speed, so live batches extend the demo
history without a gap of years. Sensor batches are written under a dot-name and renamed
when complete, as a sensor platform's drop folder would be.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import polars as pl

from etl.calendar import TELEMETRY

FEEDS = ("system_information", "station_information", "station_status")
TTL = 10  # seconds: the feed changes at every poll the worker may make


class DemoOperator:
    """The demo network's state as a function of the simulated time."""

    def __init__(self, seed: int = 42):
        from etl.demo import generate

        with tempfile.TemporaryDirectory(prefix="ponmetro-feed-") as tmp:
            generate(Path(tmp), seed=seed, scale=1)
            mobility = Path(tmp) / "mobility"
            self.stations = pl.read_csv(mobility / "station_information.csv",
                                        schema_overrides={"station_id": pl.String})
            self.spots = pl.read_csv(mobility / "parking_spots.csv").select("spot_id")
        self.rng = np.random.default_rng(seed)
        self.phase = self.rng.uniform(0, 2 * math.pi, self.stations.height)
        self.state = self.rng.random(self.spots.height) < 0.5  # occupied?
        self.origin = datetime.combine(TELEMETRY.end + timedelta(days=1), datetime.min.time())
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def now(self) -> datetime:
        """Simulated UTC time (naive), whole seconds."""
        return (self.origin + timedelta(seconds=int(time.monotonic() - self.started)))

    def documents(self, base_url: str) -> dict[str, dict]:
        now = self.now()
        epoch = int(now.replace(tzinfo=UTC).timestamp())
        head = {"last_updated": epoch, "ttl": TTL, "version": "2.3"}
        t = (now - self.origin).total_seconds()
        cap = self.stations["capacity"].to_numpy()
        fill = 0.5 + 0.4 * np.sin(t / 300.0 + self.phase)
        bikes = np.clip(np.round(fill * cap), 0, cap).astype(int)
        stations = []
        for i, row in enumerate(self.stations.iter_rows(named=True)):
            stations.append({
                "station_id": row["station_id"], "num_bikes_available": int(bikes[i]),
                "num_docks_available": int(cap[i] - bikes[i]), "is_installed": True,
                "is_renting": True, "is_returning": True, "last_reported": epoch})
        return {
            "gbfs": {**head, "data": {"it": {"feeds": [
                {"name": n, "url": f"{base_url}/{n}.json"} for n in FEEDS]}}},
            "system_information": {**head, "data": {
                "system_id": "bikemi-demo", "language": "it",
                "name": "BikeMi (demo simulato)", "timezone": "Europe/Rome"}},
            "station_information": {**head, "data": {"stations": [
                {"station_id": r["station_id"], "name": r["name"], "lat": r["lat"],
                 "lon": r["lon"], "capacity": r["capacity"]}
                for r in self.stations.iter_rows(named=True)]}},
            "station_status": {**head, "data": {"stations": stations}},
        }

    def sensor_batch(self, share: float = 0.1) -> pl.DataFrame:
        """Bays that changed since the last batch (about ``share`` of them), now."""
        with self.lock:
            flip = self.rng.random(self.state.size) < share
            self.state = np.where(flip, ~self.state, self.state)
            now = self.now()
        ids = self.spots["spot_id"].to_numpy()[flip]
        status = np.where(self.state[flip], "occupied", "free")
        return pl.DataFrame({"spot_id": ids,
                             "observed_at": [f"{now:%Y-%m-%dT%H:%M:%SZ}"] * int(flip.sum()),
                             "status": status})

    def write_sensor_batch(self, folder: Path) -> Path | None:
        frame = self.sensor_batch()
        if not frame.height:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        name = f"bays-{self.now():%Y%m%dT%H%M%S}-{os.getpid()}.csv"
        tmp = folder / f".{name}"
        frame.write_csv(tmp)
        os.replace(tmp, folder / name)  # complete: the worker may take it now
        return folder / name


def _handler(operator: DemoOperator):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            name = self.path.split("?")[0].strip("/").removesuffix(".json")
            base = f"http://{self.headers.get('Host', '127.0.0.1')}"
            docs = operator.documents(base)
            if name not in docs:
                self.send_error(404)
                return
            body = json.dumps(docs[name]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(port: int, sensors: Path | None = None, every: float = 20.0,
          echo=print) -> None:
    """Serve the feed on 127.0.0.1:``port`` and drop sensor batches until interrupted."""
    operator = DemoOperator()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(operator))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    echo(f"demo GBFS 2.3 feed on http://127.0.0.1:{server.server_port}/gbfs.json "
         f"({operator.stations.height} stations, simulated time from {operator.origin:%Y-%m-%d})")
    try:
        while True:
            if sensors is not None:
                path = operator.write_sensor_batch(sensors)
                if path is not None:
                    echo(f"wrote {path.name}")
            time.sleep(every)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
