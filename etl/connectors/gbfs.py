"""GBFS 2.3 / 3.0 feeds (BikeMi publishes 2.3) to the mobility landing contracts.

``poll`` reads ``gbfs.json``, follows the feed URLs, validates every file against the
official schema of its version, and appends ``station_information`` and
``station_status`` snapshots to the landing files; it never polls a feed faster than
its ``ttl`` allows. ``import_files`` does the same for saved snapshots and for the
flattened CSV history some collectors keep. Everything is stored under the GBFS 3.0
names (``num_vehicles_*``) with UTC timestamps, so a feed upgrade changes nothing
downstream. Statuses of stations missing from ``station_information`` are kept and
reported, never dropped.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import polars as pl
import requests

from etl.connectors import demo_fill
from etl.connectors.errors import ConnectorError
from etl.connectors.fetch import DEFAULT_TIMEOUT, fetch_bytes
from etl.connectors.gbfs_schema import validate
from etl.connectors.landing import Landing
from etl.contracts import Column, Contract
from etl.validate import LandingError, read_landing

INFO_PATH = "mobility/station_information.csv"
STATUS_DIR = "mobility/station_status"
ENV_CLIENT_ID = "PONMETRO_GBFS_CLIENT_ID"
#: Header Urban Sharing (BikeMi's operator) requires on every request.
CLIENT_ID_HEADER = "Client-Identifier"
PREFERRED_LANGUAGES = ("it", "en")

INFO_SCHEMA = {"station_id": pl.String, "name": pl.String, "lat": pl.Float64,
               "lon": pl.Float64, "capacity": pl.Int64, "system_id": pl.String}
STATUS_SCHEMA = {"station_id": pl.String, "last_reported": pl.Datetime("us"),
                 "num_vehicles_available": pl.Int64, "num_docks_available": pl.Int64,
                 "is_installed": pl.Boolean, "is_renting": pl.Boolean,
                 "is_returning": pl.Boolean}

# Shapes of the flattened CSV history kept by simple collectors (read with the same
# validator as landing files, so a bad cell is named by row and column).
FLAT_STATIONS = Contract(
    name="gbfs_flat_station_information", path="", format="csv", description="", source="",
    key=("station_id",),
    columns=(Column("station_id", "str"), Column("name", "str"), Column("lat", "float", min=-90,
             max=90), Column("lon", "float", min=-180, max=180),
             Column("capacity", "int", required=False, nullable=True, min=0)))
FLAT_STATUS = Contract(
    name="gbfs_flat_station_status", path="", format="csv", description="", source="",
    columns=(Column("timestamp", "datetime"), Column("station_id", "str"),
             Column("num_bikes_available", "int", min=0),
             Column("num_docks_available", "int", nullable=True, min=0)))
HISTORY_ASSUMPTION = ("is_installed/is_renting/is_returning not recorded in the flattened "
                      "history: written as true; last_reported = collection timestamp")


# ------------------------------------------------------------------ normalisation


def _utc(value: object, source: str, field_name: str) -> datetime:
    """GBFS 2.x POSIX seconds or 3.x RFC 3339 text, as naive UTC to the second."""
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(value, UTC)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("no UTC offset")
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ConnectorError(f"{source}: {field_name} {value!r} is not a GBFS timestamp") \
            from exc
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _text(value: object) -> str:
    """A 2.x plain string, or the Italian (else first) text of a 3.x localized list."""
    if isinstance(value, list):
        by_lang = {str(v.get("language", "")).split("-")[0]: v.get("text") for v in value
                   if isinstance(v, dict)}
        for lang in PREFERRED_LANGUAGES:
            if by_lang.get(lang):
                return str(by_lang[lang])
        return str(next(iter(by_lang.values()), ""))
    return "" if value is None else str(value)


def station_information_frame(document: dict, system_id: str | None = None) -> pl.DataFrame:
    rows = [{"station_id": str(s["station_id"]), "name": _text(s.get("name")),
             "lat": float(s["lat"]), "lon": float(s["lon"]),
             "capacity": s.get("capacity"), "system_id": system_id}
            for s in document["data"]["stations"]]
    return pl.DataFrame(rows, schema=INFO_SCHEMA)


def station_status_frame(document: dict, source: str) -> pl.DataFrame:
    feed_time = document.get("last_updated")
    rows = []
    for s in document["data"]["stations"]:
        vehicles = s.get("num_vehicles_available", s.get("num_bikes_available"))
        docks = s.get("num_docks_available")
        reported = s.get("last_reported", feed_time)
        rows.append({
            "station_id": str(s["station_id"]),
            "last_reported": _utc(reported, source, "last_reported"),
            "num_vehicles_available": vehicles, "num_docks_available": docks,
            "is_installed": bool(s.get("is_installed", True)),
            "is_renting": bool(s.get("is_renting", True)),
            "is_returning": bool(s.get("is_returning", True)),
        })
    return pl.DataFrame(rows, schema=STATUS_SCHEMA)


def feed_urls(document: dict, base_url: str) -> dict[str, str]:
    """Feed name -> URL from a 3.x ``data.feeds`` or a 2.x ``data.<language>.feeds``."""
    data = document["data"]
    if "feeds" in data:
        feeds = data["feeds"]
    else:
        lang = next((lang for lang in PREFERRED_LANGUAGES if lang in data), next(iter(data)))
        feeds = data[lang]["feeds"]
    return {f["name"]: urljoin(base_url, f["url"]) for f in feeds}


# ------------------------------------------------------------------------ landing


@dataclass
class Ingested:
    """What one snapshot or import added, and the orphan statuses it found."""

    stations: int = 0
    statuses: int = 0
    orphan_rows: int = 0
    orphan_ids: list[str] = field(default_factory=list)

    def add(self, other: Ingested) -> None:
        self.stations += other.stations
        self.statuses += other.statuses
        self.orphan_rows += other.orphan_rows
        self.orphan_ids = sorted(set(self.orphan_ids) | set(other.orphan_ids), key=_id_key)


def _id_key(value: str) -> tuple[int, str]:
    return (0, f"{int(value):012d}") if value.isdigit() else (1, value)


class GbfsLanding:
    """The mobility GBFS landing files: one station file, monthly status partitions."""

    def __init__(self, root: Path):
        self.landing = Landing(root)

    def _contract(self, name: str) -> Contract:
        from etl.domains.mobility.contracts import CONTRACTS

        return next(c for c in CONTRACTS if c.name == name)

    def _is_real(self, relpath: str) -> bool:
        entry = self.landing.read_manifest()["files"].get(relpath)
        return (self.landing.root / relpath).exists() and not (entry or {}).get("synthetic")

    def stations(self) -> pl.DataFrame:
        if not self._is_real(INFO_PATH):
            return pl.DataFrame(schema=INFO_SCHEMA)
        frame = read_landing(self._contract("mobility_station_information"),
                             self.landing.root / INFO_PATH)
        return frame.select(list(INFO_SCHEMA)).cast(INFO_SCHEMA)

    def upsert_stations(self, frame: pl.DataFrame, source: str, *,
                        replace: bool = False) -> int:
        """Merge a station snapshot: new values win; stations no longer listed are kept,
        since the status history still refers to them (``replace`` drops them)."""
        if not self._is_real(INFO_PATH):
            # Demo statuses describe demo stations: a real station list replaces them.
            self.landing.forget(f"{STATUS_DIR}/*.csv", synthetic_only=True)
        previous = pl.DataFrame(schema=INFO_SCHEMA) if replace else self.stations()
        merged = pl.concat([frame, previous]).unique("station_id", keep="first")
        self.landing.write_csv(INFO_PATH, merged.sort(pl.col("station_id")), source=source)
        demo_fill.refit_programme(self.landing, merged)
        return frame.height

    def append_status(self, frame: pl.DataFrame, source: str,
                      note: str | None = None) -> int:
        """Append statuses to their monthly partitions, once per (station, last_reported)."""
        contract = self._contract("mobility_station_status")
        added = 0
        frame = frame.with_columns(pl.col("last_reported").dt.truncate("1s"))
        for (month,), part in frame.group_by(pl.col("last_reported").dt.strftime("%Y-%m"),
                                             maintain_order=True):
            relpath = f"{STATUS_DIR}/{month}.csv"
            existing = (read_landing(contract, self.landing.root / relpath)
                        .select(list(STATUS_SCHEMA)).cast(STATUS_SCHEMA)
                        if self._is_real(relpath) else pl.DataFrame(schema=STATUS_SCHEMA))
            merged = pl.concat([existing, part]).unique(["station_id", "last_reported"],
                                                        keep="first")
            added += merged.height - existing.height
            self.landing.write_csv(relpath, merged.sort("last_reported", "station_id"),
                                   source=source, note=note)
        return added

    def orphans(self, statuses: pl.DataFrame) -> tuple[int, list[str]]:
        known = self.stations()["station_id"]
        orphan = statuses.filter(~pl.col("station_id").is_in(known.implode()))
        return orphan.height, sorted(orphan["station_id"].unique().to_list(), key=_id_key)

    def check(self, frame: pl.DataFrame, contract_name: str, source: str) -> None:
        """Refuse values the landing contract would refuse, naming the feed and station,
        before anything is written (e.g. a feed of another city, negative counts)."""
        for col in self._contract(contract_name).columns:
            if col.name not in frame.columns or (col.min is None and col.max is None):
                continue
            values = frame[col.name]
            bad = pl.Series([False] * frame.height)
            if col.min is not None:
                bad = bad | (values < col.min).fill_null(False)
            if col.max is not None:
                bad = bad | (values > col.max).fill_null(False)
            if bad.any():
                i = int(bad.arg_true()[0])
                raise ConnectorError(
                    f"{source}: station {frame['station_id'][i]}: {col.name} {values[i]} is "
                    f"outside {col.min:g}..{col.max:g} accepted by {contract_name} "
                    "(a feed of another city?)")

    def ingest(self, stations: pl.DataFrame | None, statuses: pl.DataFrame | None,
               source: str, note: str | None = None) -> Ingested:
        result = Ingested()
        if stations is not None and stations.height:
            self.check(stations, "mobility_station_information", source)
            result.stations = self.upsert_stations(stations, source)
        if statuses is not None and statuses.height:
            self.check(statuses, "mobility_station_status", source)
            result.statuses = self.append_status(statuses, source, note)
            result.orphan_rows, result.orphan_ids = self.orphans(statuses)
        return result


# -------------------------------------------------------------------------- poll


def request_headers(client_id: str | None = None,
                    extra: Iterable[str] = ()) -> dict[str, str]:
    """Headers for every GBFS request: Client-Identifier (flag or env) plus NAME:VALUE pairs."""
    headers: dict[str, str] = {}
    client_id = client_id or os.environ.get(ENV_CLIENT_ID)
    if client_id:
        headers[CLIENT_ID_HEADER] = client_id
    for item in extra:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ConnectorError(f"header {item!r} is not NAME:VALUE")
        headers[name.strip()] = value.strip()
    return headers


@dataclass
class _Cached:
    document: dict
    fetched_at: float

    def fresh(self, now: float) -> bool:
        return now - self.fetched_at < int(self.document.get("ttl", 0))


class GbfsClient:
    """Fetches and validates the files of one GBFS system, honouring each file's ttl."""

    def __init__(self, url: str, headers: dict[str, str] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, keep_raw: Path | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.url, self.headers, self.timeout = url, headers or {}, timeout
        self.keep_raw, self.clock = keep_raw, clock
        self.session = requests.Session()
        self._cache: dict[str, _Cached] = {}

    def _get(self, feed: str, url: str) -> dict:
        raw = fetch_bytes(url, headers=self.headers, timeout=self.timeout, session=self.session)
        try:
            document = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConnectorError(f"{url}: GBFS {feed} is not valid JSON ({exc})") from exc
        validate(document, feed, url)
        if self.keep_raw is not None:
            stamp = datetime.now(UTC)
            target = self.keep_raw / f"{stamp:%Y-%m-%d}" / f"{feed}-{stamp:%H%M%S%f}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
        return document

    def feed(self, name: str, *, force: bool = False) -> dict:
        """The current document of a feed, from cache while its ttl has not expired."""
        now = self.clock()
        cached = self._cache.get(name)
        if cached and cached.fresh(now) and not force:
            return cached.document
        if name == "gbfs":
            document = self._get("gbfs", self.url)
        else:
            urls = feed_urls(self.feed("gbfs"), self.url)
            if name not in urls:
                raise ConnectorError(f"{self.url}: gbfs.json lists no {name} feed "
                                     f"(feeds: {', '.join(sorted(urls))})")
            document = self._get(name, urls[name])
        self._cache[name] = _Cached(document, now)
        return document

    def system_id(self) -> str | None:
        try:
            return str(self.feed("system_information")["data"]["system_id"])
        except ConnectorError:
            return None

    def is_fresh(self, name: str) -> bool:
        """True while the cached document of ``name`` is within its ttl."""
        cached = self._cache.get(name)
        return cached is not None and cached.fresh(self.clock())

    def status_ttl(self) -> int:
        cached = self._cache.get("station_status")
        return int(cached.document.get("ttl", 0)) if cached else 0


@dataclass
class PollReport:
    snapshots: int = 0
    waits: list[float] = field(default_factory=list)
    total: Ingested = field(default_factory=Ingested)


def poll(url: str, out: Path, *, every: float = 60.0, count: int = 1,
         headers: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT,
         keep_raw: bool = False, echo: Callable[[str], None] = print,
         sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> PollReport:
    """Take ``count`` snapshots (0 = until interrupted), ``every`` seconds or the feed's
    ``ttl``, whichever is longer, appending them to the landing folder ``out``."""
    target = GbfsLanding(out)
    client = GbfsClient(url, headers, timeout, keep_raw=(Path(out) / "raw" / "gbfs")
                        if keep_raw else None, clock=clock)
    report = PollReport()
    while count == 0 or report.snapshots < count:
        started = clock()
        version = client.feed("gbfs").get("version", "?")
        source = f"GBFS {version} feed {url}"
        stations = None
        if not client.is_fresh("station_information"):
            stations = station_information_frame(client.feed("station_information"),
                                                 client.system_id())
        status_doc = client.feed("station_status", force=True)
        statuses = station_status_frame(status_doc, url)
        got = target.ingest(stations, statuses, source)
        report.snapshots += 1
        report.total.add(got)
        echo(f"snapshot {report.snapshots}: {statuses.height} statuses ({got.statuses} new), "
             f"{got.stations} stations refreshed")
        if got.orphan_rows:
            echo(f"warning: {got.orphan_rows} statuses of {len(got.orphan_ids)} stations "
                 f"missing from station_information: {', '.join(got.orphan_ids)}")
        if count and report.snapshots >= count:
            break
        interval = max(every, float(client.status_ttl()))
        wait = max(0.0, interval - (clock() - started))
        report.waits.append(wait)
        sleep(wait)
    return report


# ------------------------------------------------------------------------ import


def _kind_of_json(document: object) -> str | None:
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        return None
    data = document["data"]
    if "feeds" in data or any(isinstance(v, dict) and "feeds" in v for v in data.values()):
        return "gbfs"
    stations = data.get("stations")
    if isinstance(stations, list) and stations and isinstance(stations[0], dict):
        first = stations[0]
        if "lat" in first:
            return "station_information"
        if {"num_bikes_available", "num_vehicles_available", "is_renting"} & set(first):
            return "station_status"
    return None


def _read_csv_kind(path: Path) -> str:
    with path.open("rb") as fh:
        header = fh.readline().decode("utf-8-sig", "replace").lower()
    names = {h.strip().strip('"') for h in header.replace(";", ",").split(",")}
    if {"station_id", "lat", "lon"} <= names:
        return "flat_station_information"
    if {"station_id", "timestamp", "num_bikes_available"} <= names:
        return "flat_station_status"
    if {"station_id", "last_reported", "num_vehicles_available"} <= names:
        return "landing_station_status"
    raise LandingError(path, "unrecognised GBFS CSV (expected station_id,name,lat,lon,"
                       "capacity or timestamp,station_id,num_bikes_available,"
                       "num_docks_available)", row=1)


def import_files(files: Iterable[Path], out: Path, *, system_id: str | None = None,
                 echo: Callable[[str], None] = print) -> Ingested:
    """Import saved GBFS JSON snapshots and flattened CSV histories into ``out``.

    Station lists are imported before statuses, so the orphan report reflects the
    stations of every file given.
    """
    target = GbfsLanding(out)
    stations: list[tuple[Path, pl.DataFrame, str]] = []
    statuses: list[tuple[Path, pl.DataFrame, str, str | None]] = []
    for path in map(Path, files):
        if path.suffix.lower() == ".json":
            raw = fetch_bytes(path)
            try:
                document = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ConnectorError(f"{path}: not valid JSON ({exc})") from exc
            kind = _kind_of_json(document)
            if kind is None:
                raise ConnectorError(f"{path}: not a GBFS station_information or "
                                     "station_status file")
            if kind == "gbfs":
                echo(f"skipped {path}: gbfs.json lists feeds; import the feed files")
                continue
            version = validate(document, kind, str(path))
            source = f"GBFS {version} {kind} snapshot {path}"
            if kind == "station_information":
                stations.append((path, station_information_frame(document, system_id), source))
            else:
                statuses.append((path, station_status_frame(document, str(path)), source, None))
            continue
        kind = _read_csv_kind(path)
        if kind == "flat_station_information":
            frame = read_landing(FLAT_STATIONS, path)
            stations.append((path, frame.select(
                "station_id", "name", "lat", "lon", "capacity",
                pl.lit(system_id, pl.String).alias("system_id")).cast(INFO_SCHEMA),
                f"GBFS station_information history {path}"))
        elif kind == "flat_station_status":
            frame = read_landing(FLAT_STATUS, path)
            statuses.append((path, frame.select(
                "station_id", pl.col("timestamp").alias("last_reported"),
                pl.col("num_bikes_available").alias("num_vehicles_available"),
                "num_docks_available", pl.lit(True).alias("is_installed"),
                pl.lit(True).alias("is_renting"), pl.lit(True).alias("is_returning"),
            ).cast(STATUS_SCHEMA), f"GBFS station_status history {path.name}",
                HISTORY_ASSUMPTION))
        else:
            from etl.domains.mobility.contracts import CONTRACTS

            contract = next(c for c in CONTRACTS if c.name == "mobility_station_status")
            frame = read_landing(contract, path).select(list(STATUS_SCHEMA)).cast(STATUS_SCHEMA)
            statuses.append((path, frame, f"GBFS station_status {path.name}", None))
    total = Ingested()
    for path, frame, source in stations:
        got = target.ingest(frame, None, source)
        echo(f"{path}: {got.stations} stations")
        total.add(got)
    for path, frame, source, note in statuses:
        got = target.ingest(None, frame, source, note)
        echo(f"{path}: {frame.height} statuses ({got.statuses} new)")
        total.add(got)
    if total.orphan_rows:
        echo(f"warning: {total.orphan_rows} statuses of {len(total.orphan_ids)} stations "
             f"missing from station_information (kept; the build reports them): "
             f"{', '.join(total.orphan_ids)}")
    return total
