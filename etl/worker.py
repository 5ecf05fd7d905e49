"""The live worker (``ponmetro live``): polls GBFS feeds and a bay-sensor drop folder, and
ingests what is new (``etl.ingest``) until stopped.

Every poll becomes a batch file in a landing-shaped folder (``--landing``, where the
nightly full build can read and absorb it) and is ingested at once. A fault of one feed or
file (HTTP error, timeout, truncated or schema-invalid JSON, statuses from the future, a
bad sensor file) is logged on one line, counted in ``worker.json`` (``/healthz``
``ingest_errors``) and skipped: the worker never stops for it. Restarts are safe: ingest
appends only rows not already served, so the first poll after a restart adds nothing twice.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import requests

from etl import ingest
from etl.connectors.errors import ConnectorError
from etl.connectors.gbfs import GbfsClient, request_headers, station_status_frame
from etl.publish import BuildError
from etl.validate import LandingError
from ponmetro.settings import live_dir

STATUS = "worker.json"  # read by dashboards.health
#: Statuses reported further in the future than this are clock skew: dropped and counted.
MAX_SKEW = timedelta(minutes=5)
SENSOR_GLOB = "*.csv"  # dot-files (skipped) are incomplete: platforms rename when done


@dataclass
class Feed:
    url: str
    client: GbfsClient
    next_at: float = 0.0
    seen: dict[str, datetime] = field(default_factory=dict)  # station -> last_reported


@dataclass
class Worker:
    warehouse: Path
    feeds: list[Feed]
    landing: Path
    sensors: Path | None = None
    every: float = 60.0
    echo: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    polls: int = 0
    batches: int = 0
    errors: int = 0
    last_error: str | None = None

    @classmethod
    def create(cls, warehouse: Path, urls: list[str], *, landing: Path | None = None,
               sensors: Path | None = None, every: float = 60.0, timeout: float = 10.0,
               echo: Callable[[str], None] = print) -> Worker:
        headers = request_headers()
        feeds = [Feed(u, GbfsClient(u, headers, timeout)) for u in urls]
        landing = Path(landing) if landing else live_dir(warehouse) / "landing"
        worker = cls(Path(warehouse), feeds, landing, Path(sensors) if sensors else None,
                     every, echo)
        worker._restore()
        return worker

    # ---------------------------------------------------------------- state
    def _status_path(self) -> Path:
        return live_dir(self.warehouse) / STATUS

    def _restore(self) -> None:
        try:
            state = json.loads(self._status_path().read_text("utf-8"))
            self.errors = int(state.get("errors", 0))
        except (OSError, ValueError, AttributeError):
            pass

    def _save(self) -> None:
        path = self._status_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({
            "polls": self.polls, "batches": self.batches, "errors": self.errors,
            "last_error": self.last_error,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}), "utf-8")
        os.replace(tmp, path)

    def _fault(self, where: str, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{where}: {exc}"
        self.echo(f"error: {self.last_error} (skipped; {self.errors} errors so far)")

    # ---------------------------------------------------------------- one round
    def poll_feed(self, feed: Feed) -> None:
        """One snapshot of one feed: its new statuses become one ingested batch."""
        self.polls += 1
        try:
            document = feed.client.feed("station_status", force=True)
            frame = station_status_frame(document, feed.url)
        except (ConnectorError, KeyError, TypeError, ValueError,
                requests.RequestException) as exc:
            self._fault(feed.url, exc)
            return
        finally:
            feed.next_at = self.clock() + max(self.every, float(feed.client.status_ttl()))
        now = datetime.now(UTC).replace(tzinfo=None)
        future = frame.filter(pl.col("last_reported") > now + MAX_SKEW)
        if future.height:
            self._fault(feed.url, ValueError(
                f"{future.height} statuses reported in the future (clock skew, e.g. station "
                f"{future['station_id'][0]} at {future['last_reported'][0]:%Y-%m-%dT%H:%M:%SZ})"))
            frame = frame.filter(pl.col("last_reported") <= now + MAX_SKEW)
        new = frame.filter([feed.seen.get(s) is None or t > feed.seen[s] for s, t in
                            zip(frame["station_id"], frame["last_reported"], strict=True)])
        new = new.unique(["station_id", "last_reported"], keep="first")
        if not new.height:
            return
        name = f"live-{now:%Y%m%dT%H%M%S%f}-{abs(hash(feed.url)) % 10**6:06d}.csv"
        path = self._write(new.sort("last_reported", "station_id"),
                           "mobility/station_status", name)
        if self._ingest(path):
            for s, t in zip(new["station_id"], new["last_reported"], strict=True):
                feed.seen[s] = max(t, feed.seen.get(s, t))

    def _write(self, frame: pl.DataFrame, folder: str, name: str) -> Path:
        target = self.landing / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name("." + name)
        frame.with_columns(pl.col("last_reported").dt.strftime("%Y-%m-%dT%H:%M:%SZ")) \
            .write_csv(tmp)
        os.replace(tmp, target)
        return target

    def _ingest(self, path: Path) -> bool:
        try:
            done = ingest.ingest([path], self.warehouse, echo=lambda _: None)
        except (LandingError, ingest.IngestError, BuildError, OSError) as exc:
            self._fault(str(path), exc)
            # out of the landing folder, so the nightly build does not trip on it either
            rejected = live_dir(self.warehouse) / "rejected"
            rejected.mkdir(parents=True, exist_ok=True)
            if path.exists():
                shutil.move(path, rejected / path.name)
            return False
        for a in done:
            if a.skipped is None:
                self.batches += 1
                self.echo(f"ingested {Path(a.file).name}: {a.rows} new rows ({a.contract})")
        return True

    def take_sensor_files(self) -> None:
        """Ingest every complete bay-sensor file dropped in ``sensors`` (oldest first)."""
        if self.sensors is None or not self.sensors.is_dir():
            return
        files = sorted((p for p in self.sensors.glob(SENSOR_GLOB)
                        if p.is_file() and not p.name.startswith(".")),
                       key=lambda p: (p.stat().st_mtime_ns, p.name))
        for path in files:
            target = self.landing / "mobility" / "spot_status" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.move(path, target)
            except OSError as exc:
                self._fault(str(path), exc)
                continue
            self._ingest(target)

    def round(self) -> float:
        """Poll what is due, take the sensor files; the seconds until something is due."""
        for feed in self.feeds:
            if self.clock() >= feed.next_at:
                self.poll_feed(feed)
        self.take_sensor_files()
        self._save()
        due = min([f.next_at for f in self.feeds] or [self.clock() + self.every])
        wait = due - self.clock()
        if self.sensors is not None:
            wait = min(wait, min(self.every, 5.0))
        return max(0.2, wait)

    def run(self, rounds: int = 0, sleep: Callable[[float], None] = time.sleep) -> None:
        """Run until interrupted (``rounds`` > 0: that many rounds, for tests and bench)."""
        done = 0
        while rounds == 0 or done < rounds:
            wait = self.round()
            done += 1
            if rounds == 0 or done < rounds:
                sleep(wait)
