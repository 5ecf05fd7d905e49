"""Incremental ingest: telemetry batches served on top of the last full build.

A full build (``etl.build``) is immutable once published. Batches ingested after it live
beside it, in the warehouse's *live folder* (``<warehouse stem>.live/``):

* ``batches/<sha256>.<ext>``: every ingested batch, content-addressed and immutable, and
  ``log.jsonl``, the order they came in (used to re-apply them on another build);
* ``snapshot.duckdb``: the **live snapshot**, a small DuckDB file holding only what the
  batches added since the build: their rows (``inc.<contract>``), the rows of the marts
  they changed for the periods they touched (``delta.<mart>`` with ``delta.<mart>__periods``),
  ``meta.ingest`` and ``meta.live``, plus one view per table of the build (``mart.*``,
  ``meta.*``) over the build file attached read-only as ``base``. A live mart's view is
  *the build's rows outside the touched periods + the recomputed rows of those periods*.

Each ingest copies the small snapshot, applies the batch, and renames the copy into place:
the cost follows the batch and the increments since the build, never the history, and a
reader (``dashboards.warehouse``) sees the old or the new snapshot, never half of one. A
snapshot whose ``base_build_id`` is not the build being served is ignored by readers and
rebuilt by the next ingest (or by :func:`refresh`, which publish, pull and rollback call),
re-applying the logged batches the build did not absorb (``meta.sources`` sha256).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

import duckdb

from etl.checks import summary_line
from etl.contracts import Contract
from etl.domains import all_contracts
from etl.domains.mobility.marts import MARTS as MOBILITY_MARTS
from etl.marts import reads, register_placement
from etl.publish import BuildError, atomic_publish, scratch_path
from etl.staging import scan_file, stage_file
from etl.validate import LandingError, ident, staged_columns
from ponmetro.settings import live_dir, live_snapshot_path

SNAPSHOT = live_snapshot_path("x").name
LOG = "log.jsonl"
#: Where a reader's local wall-clock time comes from (as in the marts).
_LOCAL = "(({col} AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Rome')"


@dataclass(frozen=True)
class LiveMart:
    """A mart kept live: the columns naming one replaced period, and how it is recomputed.

    ``how``: ``periods`` reruns the mart's own SQL over the raw rows of the touched periods;
    ``latest`` over the current latest rows plus the batch; ``cells`` from running sums;
    ``bay`` adds the seconds a batch's events add to the running bay hours and cells (a
    bay's state lasts until its next event, the last one until the network's newest event),
    or, for a batch with events older than the newest already served, reruns the marts
    over every row.
    """

    name: str
    period: tuple[str, ...]
    how: str


@dataclass(frozen=True)
class LiveContract:
    name: str
    time: str  # observation-time column: the batch's first_at/last_at, and range pruning
    marts: tuple[LiveMart, ...]


LIVE_CONTRACTS = {c.name: c for c in (
    LiveContract("mobility_station_status", "last_reported", (
        LiveMart("mobility_station_status_latest", ("station_id",), "latest"),
        LiveMart("mobility_station_status_hourly", ("station_id", "hour"), "periods"),
        LiveMart("mobility_station_typical_availability",
                 ("station_id", "weekday", "hour_of_day"), "cells"),
    )),
    LiveContract("mobility_spot_status", "observed_at", (
        LiveMart("mobility_spot_status_latest", ("spot_id",), "latest"),
        LiveMart("mobility_bay_occupancy_hourly", ("area_id", "hour"), "bay"),
        LiveMart("mobility_bay_occupancy_heatmap", ("area_id", "weekday", "hour_of_day"), "bay"),
    )),
    LiveContract("mobility_trips", "start_time", (
        LiveMart("mobility_trips_daily", ("date",), "periods"),
        LiveMart("mobility_trips_daily_od", ("date",), "periods"),
    )),
)}
LIVE_MARTS = {m.name: m for c in LIVE_CONTRACTS.values() for m in c.marts}
_MART_SQL = {m.name: m.sql for m in MOBILITY_MARTS}
_STATION_HOURS = next(m for m in MOBILITY_MARTS if m.name == "_station_hours")

INGEST_COLUMNS = ("batch_id VARCHAR, contract VARCHAR, file VARCHAR, rows BIGINT, "
                  "first_at TIMESTAMP, last_at TIMESTAMP, ingested_at TIMESTAMP")
#: Each bay's newest event: the state a live batch continues from.
_SPOT_LAST_SQL = """
    SELECT spot_id, max(observed_at) AS observed_at, arg_max(status, observed_at) AS status
    FROM staging.mobility_spot_status GROUP BY spot_id"""
#: Helper tables of the build (schema ``live``) and the columns that identify a row.
#: ``station_cells``, ``bay_hours`` and ``bay_cells`` are marts of the mobility domain
#: (the marts read them); ``spot_last`` is made here, for ingest alone.
HELPERS = {"station_cells": ("station_id", "weekday", "hour_of_day"),
           "spot_last": ("spot_id",),
           "bay_hours": ("area_id", "hour", "spot_id"),
           "bay_cells": ("area_id", "weekday", "hour_of_day")}


class IngestError(Exception):
    """The ingest cannot proceed for a reason outside the batch (no build, disk, lock)."""


@dataclass
class Applied:
    file: str
    contract: str
    batch_id: str
    rows: int  # rows appended (rows already served are not appended twice)
    skipped: str | None = None  # why nothing was done ("already ingested", ...)


# ------------------------------------------------------------------ places


def prepare_build(con: duckdb.DuckDBPyConnection) -> None:
    """What a full build adds for ingest: an empty ``meta.ingest`` and each bay's newest
    event (the other running sums in ``live`` are marts, made once with the marts)."""
    con.execute(f"CREATE TABLE meta.ingest ({INGEST_COLUMNS})")
    con.execute("CREATE SCHEMA IF NOT EXISTS live")
    if _has(con, "staging", "mobility_spot_status"):
        con.execute(f"CREATE TABLE live.spot_last AS {_SPOT_LAST_SQL}")


def _has(con, schema: str, table: str, catalog: str | None = None) -> bool:
    where = "schema_name = ? AND table_name = ?"
    params = [schema, table]
    if catalog:
        where += " AND database_name = ?"
        params.append(catalog)
    return bool(con.execute(f"SELECT count(*) FROM duckdb_tables() WHERE {where}",  # noqa: S608
                            params).fetchall()[0][0])


# ------------------------------------------------------------------ batches


def contract_of(path: Path) -> Contract:
    """The live contract of a batch file: by its landing folder, else by its header."""
    path = Path(path)
    contracts = [c for c in all_contracts() if c.name in LIVE_CONTRACTS]
    for contract in contracts:
        depth = contract.path.count("/") + 1
        tail = "/".join(path.resolve().parts[-depth:])
        if fnmatch(tail, contract.path):
            return contract
    try:
        with path.open(encoding="utf-8-sig") as fh:
            header = fh.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise LandingError(path, f"cannot read the batch ({exc})") from None
    names = set(re.split(r"[,;\t]", header))
    for contract in contracts:
        if {c.name for c in contract.columns if c.required} <= names:
            return contract
    raise LandingError(path, "not a telemetry batch (mobility station_status, spot_status "
                             "or trips landing format)", row=1)


def batch_files(landing: Path) -> list[Path]:
    """The telemetry files of a landing folder, oldest name first."""
    landing = Path(landing)
    if not landing.is_dir():
        raise IngestError(f"landing folder not found: {landing}")
    files: list[Path] = []
    for contract in all_contracts():
        if contract.name in LIVE_CONTRACTS:
            files += sorted(landing.glob(contract.path))
    return files


# ------------------------------------------------------------------ the engine


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer of a live folder at a time (the lock dies with its process)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class _Session:
    """One ingest: an in-memory DuckDB with the build attached read-only as ``base`` and a
    copy of the live snapshot attached read-write as ``snapshot``."""

    def __init__(self, base: Path, target: Path, scratch: Path, rebuild: bool):
        """Attach the build, then a copy of the snapshot ``target`` (a new one when it is
        missing, made on another build, or ``rebuild``)."""
        self.con = duckdb.connect()
        try:
            self.con.execute(f"ATTACH {_quote(base)} AS base (READ_ONLY)")
            self.build_id = self.con.execute(
                "SELECT build_id FROM base.meta.build").fetchall()[0][0]
        except duckdb.Error as exc:
            self.con.close()
            raise IngestError(f"cannot read the warehouse {base}: "
                              f"{str(exc).splitlines()[0]}") from exc
        if not _has(self.con, "meta", "ingest", "base"):
            self.con.close()
            raise IngestError(f"{base} was built before incremental ingest existed; "
                              "run a full build first")
        self.fresh = rebuild or self._snapshot_build(target) != self.build_id
        if not self.fresh:
            shutil.copyfile(target, scratch)
        self.con.execute(f"ATTACH {_quote(scratch)} AS snapshot")
        fresh = self.fresh
        self.absorbed = {sha for (sha,) in self.con.execute(
            "SELECT sha256 FROM base.meta.sources").fetchall()}
        # staging views over the build: foreign keys and placement read them
        self.con.execute("CREATE SCHEMA staging")
        self.con.execute("CREATE SCHEMA mart")
        for schema, table in self.con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = 'base' AND schema_name IN ('staging', 'mart')"
                "").fetchall():
            if (schema == "mart" and not table.startswith("geo_")) or table in LIVE_CONTRACTS:
                continue
            self.con.execute(f"CREATE VIEW {schema}.{ident(table)} AS "
                             f"SELECT * FROM base.{schema}.{ident(table)}")
        if fresh:
            self._create_snapshot()
        self.applied = {sha for (sha,) in self.con.execute(
            "SELECT batch_id FROM snapshot.meta.ingest").fetchall()}
        self.geo_ready = False
        self.findings: list[dict[str, object]] = []
        self.recorded: list[dict[str, object]] = []  # findings of the batches applied

    def _snapshot_build(self, target: Path) -> str | None:
        """The build the snapshot ``target`` was made on (None: missing or unreadable)."""
        if not target.exists():
            return None
        try:
            self.con.execute(f"ATTACH {_quote(target)} AS current (READ_ONLY)")
        except duckdb.Error:
            return None
        try:
            return self.con.execute("SELECT base_build_id FROM current.meta.live"
                                    ).fetchall()[0][0]
        except duckdb.Error:
            return None
        finally:
            self.con.execute("DETACH current")

    # -- the snapshot's layout ------------------------------------------------
    def _create_snapshot(self) -> None:
        con = self.con
        for schema in ("meta", "mart", "inc", "delta"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS snapshot.{schema}")
        con.execute(f"CREATE TABLE snapshot.meta.ingest ({INGEST_COLUMNS})")
        con.execute("CREATE TABLE snapshot.meta.live (base_build_id VARCHAR, "
                    "data_version VARCHAR, updated_at TIMESTAMP)")
        con.execute("INSERT INTO snapshot.meta.live VALUES (?, ?, ?)",
                    [self.build_id, self.build_id, _now()])
        for contract in LIVE_CONTRACTS:
            if _has(con, "staging", contract, "base"):
                con.execute(f"CREATE TABLE snapshot.inc.{contract} AS "
                            f"SELECT * FROM base.staging.{contract} LIMIT 0")
        for helper in HELPERS:
            if _has(con, "live", helper, "base"):
                con.execute(f"CREATE TABLE snapshot.delta.{helper} AS "
                            f"SELECT * FROM base.live.{helper} LIMIT 0")
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'base' "
            "AND schema_name NOT IN ('staging', 'live') ORDER BY ALL").fetchall()
        for schema, table in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS snapshot.{ident(schema)}")
            if (schema, table) == ("meta", "ingest"):
                continue
            if (schema, table) == ("meta", "quality"):  # the build's findings + the batches'
                con.execute("CREATE TABLE snapshot.meta.quality_live AS "
                            "SELECT * FROM base.meta.quality LIMIT 0")
                con.execute("CREATE VIEW snapshot.meta.quality AS SELECT * FROM "
                            "base.meta.quality UNION ALL SELECT * FROM snapshot.meta.quality_live")
                continue
            live = LIVE_MARTS.get(table) if schema == "mart" else None
            if live is None:
                con.execute(f"CREATE VIEW snapshot.{ident(schema)}.{ident(table)} AS "
                            f"SELECT * FROM base.{ident(schema)}.{ident(table)}")
                continue
            keys = ", ".join(ident(k) for k in live.period)
            con.execute(f"CREATE TABLE snapshot.delta.{table} AS "
                        f"SELECT * FROM base.mart.{table} LIMIT 0")
            con.execute(f"CREATE TABLE snapshot.delta.{table}__periods AS "
                        f"SELECT DISTINCT {keys} FROM base.mart.{table} LIMIT 0")
            match = " AND ".join(f"p.{ident(k)} = b.{ident(k)}" for k in live.period)
            con.execute(f"""CREATE VIEW snapshot.mart.{table} AS
                SELECT * FROM base.mart.{table} b WHERE NOT EXISTS (
                    SELECT 1 FROM snapshot.delta.{table}__periods p WHERE {match})
                UNION ALL SELECT * FROM snapshot.delta.{table}""")

    # -- one batch ---------------------------------------------------------------
    def validate(self, path: Path, contract: Contract) -> tuple[str, int]:
        """Stage ``path`` through the build's one staging path into ``temp.batch``; its
        data-quality findings wait in ``self.findings`` until the batch is applied."""
        scan = scan_file(path)
        con = self.con
        con.execute(f"DROP TABLE IF EXISTS staging.{contract.name}")
        con.execute("DROP TABLE IF EXISTS temp.batch")
        staged = stage_file(con, contract, path, scan)
        con.execute(f"CREATE TEMP TABLE batch AS SELECT * FROM staging.{contract.name}")
        con.execute(f"DROP TABLE staging.{contract.name}")
        self.findings = staged.findings
        return scan.sha256, staged.rows

    def apply(self, path: Path, contract: Contract, sha: str) -> Applied:
        """Append the staged batch (rows not yet served) and recompute its periods."""
        live = LIVE_CONTRACTS[contract.name]
        con, t = self.con, ident(live.time)
        first_at, last_at = con.execute(f"SELECT min({t}), max({t}) FROM temp.batch").fetchall()[0]
        key = ", ".join(ident(k) for k in contract.key)
        if first_at is not None:
            # rows already served (an overlapping poll, a rewritten monthly file) are not new
            con.execute(f"""DELETE FROM temp.batch WHERE ({key}) IN (
                SELECT ({key}) FROM base.staging.{contract.name}
                WHERE {t} BETWEEN ? AND ?
                UNION ALL SELECT ({key}) FROM snapshot.inc.{contract.name})""",
                        [first_at, last_at])
        rows = con.execute("SELECT count(*) FROM temp.batch").fetchall()[0][0]
        if rows:
            for mart in live.marts:
                getattr(self, f"_recompute_{mart.how}")(live, mart)
            con.execute(f"INSERT INTO snapshot.inc.{contract.name} SELECT * FROM temp.batch")
        con.execute("INSERT INTO snapshot.meta.ingest VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [sha, contract.name, str(path), rows, first_at, last_at, _now()])
        for f in self.findings:
            con.execute("INSERT INTO snapshot.meta.quality_live VALUES (?, ?, ?, ?, ?, ?)",
                        [f["contract"], f["file"], f["column"], f["check"], f["rows"],
                         f["values"]])
        self.recorded += self.findings
        self.applied.add(sha)
        return Applied(str(path), contract.name, sha, rows)

    def _raw(self, live: LiveContract, where: str, params: list) -> None:
        """``temp.raw``: the build's rows and the increments' rows (batch included) that
        satisfy ``where``."""
        c = live.name
        self.con.execute("DROP TABLE IF EXISTS temp.raw")
        self.con.execute(f"""CREATE TEMP TABLE raw AS
            SELECT * FROM base.staging.{c} WHERE {where}
            UNION ALL SELECT * FROM snapshot.inc.{c} WHERE {where}
            UNION ALL SELECT * FROM temp.batch WHERE {where}""", params * 3)

    def _mart_sql(self, live: LiveContract, mart: str, source: str = "temp.raw",
                  **helpers: str) -> str:
        """A mart's SQL reading ``source`` for the contract's rows and, for the build's
        ``live.<helper>``, the table ``helpers[<helper>]`` (default ``temp.<helper>``)."""
        sql = re.sub(rf"\bstaging\.{live.name}\b", source, _MART_SQL[mart])
        return re.sub(r"(?<![.\w])live\.(\w+)",
                      lambda m: helpers.get(m.group(1), f"temp.{m.group(1)}"), sql)

    def _station_hours(self, live: LiveContract, source: str) -> None:
        """``temp._station_hours`` over ``source``: what the station-status marts read."""
        self.con.execute("DROP TABLE IF EXISTS temp._station_hours")
        self.con.execute("CREATE TEMP TABLE _station_hours AS "
                         + self._mart_sql(live, "_station_hours", source))

    def _replace_from_raw(self, live: LiveContract, mart: LiveMart, periods_sql: str) -> None:
        """Rerun the mart's own SQL over ``temp.raw`` (and the helpers it reads) for the
        periods ``periods_sql``."""
        if reads(_MART_SQL[mart.name], _STATION_HOURS):
            self._station_hours(live, "temp.raw")
        self._replace(mart, periods_sql, self._mart_sql(live, mart.name))

    def _replace(self, mart: LiveMart, periods_sql: str, rows_sql: str) -> None:
        """Replace the rows of the periods ``periods_sql`` by ``rows_sql`` in the delta."""
        con, keys = self.con, ", ".join(ident(k) for k in mart.period)
        con.execute("DROP TABLE IF EXISTS temp.touched")
        con.execute(f"CREATE TEMP TABLE touched AS SELECT DISTINCT {keys} FROM ({periods_sql})")
        con.execute(f"DELETE FROM snapshot.delta.{mart.name}__periods WHERE ({keys}) IN "
                    f"(SELECT ({keys}) FROM temp.touched)")
        con.execute(f"DELETE FROM snapshot.delta.{mart.name} WHERE ({keys}) IN "
                    f"(SELECT ({keys}) FROM temp.touched)")
        con.execute(f"INSERT INTO snapshot.delta.{mart.name}__periods "
                    f"SELECT {keys} FROM temp.touched")
        con.execute(f"INSERT INTO snapshot.delta.{mart.name} SELECT * FROM ({rows_sql}) r "
                    f"WHERE ({keys}) IN (SELECT ({keys}) FROM temp.touched)")

    def _recompute_periods(self, live: LiveContract, mart: LiveMart) -> None:
        t = ident(live.time)
        if mart.period == ("date",):  # local days: the raw rows of the UTC days around them
            local = _LOCAL.format(col=t)
            periods = f"SELECT DISTINCT CAST({local} AS DATE) AS date FROM temp.batch"
            lo, hi = self.con.execute(f"SELECT min(date), max(date) FROM ({periods})"
                                      ).fetchall()[0]
            self._raw(live, f"{t} >= CAST(? AS TIMESTAMP) - INTERVAL 1 DAY "
                            f"AND {t} < CAST(? AS TIMESTAMP) + INTERVAL 2 DAY", [lo, hi])
        else:  # (station_id, hour)
            periods = (f"SELECT DISTINCT station_id, date_trunc('hour', {t}) AS hour "
                       "FROM temp.batch")
            self._raw(live, f"station_id IN (SELECT station_id FROM temp.batch) AND "
                            f"{t} >= (SELECT date_trunc('hour', min({t})) FROM temp.batch) AND "
                            f"{t} < (SELECT date_trunc('hour', max({t})) FROM temp.batch) "
                            "+ INTERVAL 1 HOUR", [])
        self._placement()
        self._replace_from_raw(live, mart, periods)

    def _recompute_latest(self, live: LiveContract, mart: LiveMart) -> None:
        con = self.con
        con.execute("DROP TABLE IF EXISTS temp.raw")
        cols = staged_columns(next(c for c in all_contracts() if c.name == live.name))
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'base' "
            "AND schema_name = 'mart' AND table_name = ?", [mart.name]).fetchall()}
        current = ", ".join(ident(c) if c in have else f"NULL AS {ident(c)}" for c in cols)
        key = ident(mart.period[0])
        con.execute(f"""CREATE TEMP TABLE raw AS
            SELECT {current} FROM snapshot.mart.{mart.name}
            WHERE {key} IN (SELECT {key} FROM temp.batch)
            UNION ALL BY NAME SELECT * FROM temp.batch""")
        self._replace_from_raw(live, mart, f"SELECT DISTINCT {key} FROM temp.batch")

    @staticmethod
    def _merged(helper: str) -> str:
        """SQL of a helper table as served: the build's rows overridden by the delta's."""
        match = " AND ".join(f"d.{k} = b.{k}" for k in HELPERS[helper])
        return (f"(SELECT * FROM snapshot.delta.{helper} UNION ALL "
                f"SELECT * FROM base.live.{helper} b WHERE NOT EXISTS ("
                f"SELECT 1 FROM snapshot.delta.{helper} d WHERE {match}))")

    def _upsert(self, helper: str, rows: str) -> None:
        """Put the rows of temp table ``rows`` in place of the helper's rows with their keys."""
        keys = ", ".join(HELPERS[helper])
        self.con.execute(f"DELETE FROM snapshot.delta.{helper} WHERE ({keys}) IN "
                         f"(SELECT ({keys}) FROM temp.{rows})")
        self.con.execute(f"INSERT INTO snapshot.delta.{helper} SELECT * FROM temp.{rows}")

    def _recompute_bay(self, live: LiveContract, mart: LiveMart) -> None:
        con = self.con
        if mart.name == "mobility_bay_occupancy_heatmap":  # computed with the hourly one
            self._replace(mart, "SELECT * FROM temp.bay_cells_new",
                          self._mart_sql(live, mart.name, bay_cells="temp.bay_cells_new"))
            return
        newest, first = con.execute(
            f"SELECT (SELECT max(observed_at) FROM {self._merged('spot_last')}), "
            "(SELECT min(observed_at) FROM temp.batch)").fetchall()[0]
        con.execute("DROP TABLE IF EXISTS temp.raw")
        if newest is not None and first <= newest:
            return self._recompute_bay_all(live, mart)
        # each bay continues from its newest state at the network's newest time: the
        # seconds after that are all the batch adds (before it, nothing changes)
        con.execute(f"""CREATE TEMP TABLE raw AS
            SELECT spot_id, CAST(? AS TIMESTAMP) AS observed_at, status
            FROM {self._merged('spot_last')} WHERE ? IS NOT NULL
            UNION ALL SELECT spot_id, observed_at, status FROM temp.batch""",
                    [newest, newest])
        con.execute("DROP TABLE IF EXISTS temp.bay_add")
        con.execute("CREATE TEMP TABLE bay_add AS " + self._mart_sql(live, "bay_hours"))
        con.execute("DROP TABLE IF EXISTS temp.bay_hours_new")
        con.execute(f"""CREATE TEMP TABLE bay_hours_new AS
            SELECT a.area_id, a.hour, a.spot_id,
                   a.known_s + coalesce(o.known_s, 0) AS known_s,
                   a.occupied_s + coalesce(o.occupied_s, 0) AS occupied_s
            FROM temp.bay_add a LEFT JOIN {self._merged('bay_hours')} o
              USING (area_id, hour, spot_id)""")
        self._upsert("bay_hours", "bay_hours_new")
        add_cells = self._mart_sql(live, "bay_cells", bay_hours="temp.bay_add")
        con.execute("DROP TABLE IF EXISTS temp.bay_cells_new")
        con.execute(f"""CREATE TEMP TABLE bay_cells_new AS
            SELECT a.area_id, a.weekday, a.hour_of_day,
                   a.known_s + coalesce(o.known_s, 0) AS known_s,
                   a.occupied_s + coalesce(o.occupied_s, 0) AS occupied_s
            FROM ({add_cells}) a LEFT JOIN {self._merged('bay_cells')} o
              USING (area_id, weekday, hour_of_day)""")
        self._upsert("bay_cells", "bay_cells_new")
        con.execute("DROP TABLE IF EXISTS temp.spot_last_new")
        con.execute(f"CREATE TEMP TABLE spot_last_new AS "
                    f"{_SPOT_LAST_SQL.replace('staging.mobility_spot_status', 'temp.batch')}")
        self._upsert("spot_last", "spot_last_new")
        touched = "SELECT DISTINCT area_id, hour FROM temp.bay_add"
        con.execute("DROP TABLE IF EXISTS temp.bay_hours")
        con.execute(f"CREATE TEMP TABLE bay_hours AS SELECT * FROM {self._merged('bay_hours')} "
                    f"WHERE (area_id, hour) IN ({touched}) AND known_s > 0")
        self._replace(mart, touched, self._mart_sql(live, mart.name))

    def _recompute_bay_all(self, live: LiveContract, mart: LiveMart) -> None:
        """Events older than the newest served: rerun the bay marts and helpers on every row."""
        con = self.con
        self._raw(live, "true", [])
        con.execute("DROP TABLE IF EXISTS temp.bay_hours")
        con.execute("CREATE TEMP TABLE bay_hours AS " + self._mart_sql(live, "bay_hours"))
        # hours no longer observed (a late 'closed' event) stay as zero rows: the marts
        # read only known_s > 0, as the build has no row for them
        con.execute("DROP TABLE IF EXISTS temp.bay_hours_new")
        con.execute(f"""CREATE TEMP TABLE bay_hours_new AS SELECT * FROM temp.bay_hours
            UNION ALL SELECT area_id, hour, spot_id, 0.0, 0.0 FROM {self._merged('bay_hours')} o
            WHERE NOT EXISTS (SELECT 1 FROM temp.bay_hours n WHERE n.area_id = o.area_id
                              AND n.hour = o.hour AND n.spot_id = o.spot_id)""")
        self._upsert("bay_hours", "bay_hours_new")
        con.execute("DROP TABLE IF EXISTS temp.bay_cells_new")
        con.execute("CREATE TEMP TABLE bay_cells_new AS " + self._mart_sql(live, "bay_cells"))
        self._upsert("bay_cells", "bay_cells_new")
        con.execute("DROP TABLE IF EXISTS temp.spot_last_new")
        con.execute(f"CREATE TEMP TABLE spot_last_new AS "
                    f"{_SPOT_LAST_SQL.replace('staging.mobility_spot_status', 'temp.raw')}")
        self._upsert("spot_last", "spot_last_new")
        self._replace(mart, f"SELECT area_id, hour FROM temp.bay_hours UNION "
                            f"SELECT area_id, hour FROM base.mart.{mart.name}",
                      self._mart_sql(live, mart.name))

    def _recompute_cells(self, live: LiveContract, mart: LiveMart) -> None:
        con, keys = self.con, "station_id, weekday, hour_of_day"
        self._station_hours(live, "temp.batch")
        add = self._mart_sql(live, "station_cells")
        con.execute("DROP TABLE IF EXISTS temp.station_cells")
        con.execute(f"""CREATE TEMP TABLE station_cells AS
            SELECT a.station_id, a.weekday, a.hour_of_day,
                   a.n_vehicles + coalesce(n.n_vehicles, 0) AS n_vehicles,
                   a.sum_vehicles + coalesce(n.sum_vehicles, 0) AS sum_vehicles,
                   a.n_rate + coalesce(n.n_rate, 0) AS n_rate,
                   CASE WHEN a.n_rate + coalesce(n.n_rate, 0) > 0
                        THEN coalesce(a.sum_rate, 0) + coalesce(n.sum_rate, 0) END AS sum_rate
            FROM ({add}) a LEFT JOIN {self._merged('station_cells')} n USING ({keys})""")
        self._upsert("station_cells", "station_cells")
        self._replace(mart, "SELECT * FROM temp.station_cells", self._mart_sql(live, mart.name))

    def _placement(self) -> None:
        if self.geo_ready:
            return
        from etl.domains.geography.index import point_index

        class _Ctx:
            geo = point_index(self.con)
        register_placement(self.con, _Ctx)
        self.geo_ready = True

    def finish(self, batches: int) -> None:
        con = self.con
        n, last = con.execute("SELECT count(*), max(batch_id) FILTER (WHERE ingested_at = "
                              "(SELECT max(ingested_at) FROM snapshot.meta.ingest)) "
                              "FROM snapshot.meta.ingest").fetchall()[0]
        version = self.build_id if not n else f"{self.build_id}+{n}-{(last or '')[:8]}"
        con.execute("UPDATE snapshot.meta.live SET data_version = ?, updated_at = ?",
                    [version, _now()])
        con.execute("DETACH snapshot")
        con.close()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------ the log


def _log(folder: Path) -> list[dict]:
    path = folder / LOG
    if not path.exists():
        return []
    entries, seen = [], set()
    for line in path.read_text("utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a kill: the batch is re-ingested later
            continue
        if entry.get("batch_id") not in seen:
            seen.add(entry["batch_id"])
            entries.append(entry)
    return entries


def _keep(folder: Path, path: Path, contract: str, sha: str) -> None:
    """Store the batch content-addressed and log it (before the snapshot is published)."""
    store = folder / "batches"
    store.mkdir(parents=True, exist_ok=True)
    target = store / f"{sha}{path.suffix or '.csv'}"
    if not target.exists():
        tmp = store / f".{sha}.{os.getpid()}"
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    with open(folder / LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"batch_id": sha, "contract": contract, "file": str(path),
                             "stored": target.name}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


# ------------------------------------------------------------------ entry points


def ingest(files: Iterable[Path], warehouse: Path, *, echo=print) -> list[Applied]:
    """Validate every file, then publish them all in one new live snapshot.

    Raises :class:`etl.validate.LandingError` on the first bad batch (nothing published)
    and :class:`IngestError` when there is no build to ingest into.
    """
    warehouse = Path(warehouse)
    files = [Path(f) for f in files]
    for f in files:
        if not f.is_file():
            raise LandingError(f, "file not found")
    if not warehouse.exists():
        raise IngestError(f"no warehouse at {warehouse}: run a full build first")
    folder = live_dir(warehouse)
    with _locked(folder):
        return _publish(warehouse, folder, files, echo)


def refresh(warehouse: Path, base: Path | None = None, *, echo=print) -> int:
    """Rebuild the live snapshot for the build at ``base`` (default: the served file):
    that build + every logged batch it did not absorb. Returns the batches logged."""
    warehouse = Path(warehouse)
    folder = live_dir(warehouse)
    if not folder.exists() or not _can_ingest(Path(base or warehouse)):
        return 0  # nothing ingested yet, or a build older than ingest (served as it is)
    with _locked(folder):
        _publish(warehouse, folder, [], echo, base=Path(base or warehouse), rebuild=True)
        return len(_log(folder))


def _publish(warehouse: Path, folder: Path, files: list[Path], echo, *,
             base: Path | None = None, rebuild: bool = False) -> list[Applied]:
    base = base or warehouse
    target = folder / SNAPSHOT
    scratch = scratch_path(target)
    session = None
    try:
        session = _Session(base, target, scratch, rebuild)
        fresh = session.fresh
        done: list[Applied] = []
        reapplied = 0
        if fresh:  # re-apply what this build did not absorb
            for entry in _log(folder):
                stored = folder / "batches" / entry["stored"]
                if entry["batch_id"] in session.absorbed or not stored.exists():
                    continue
                contract = contract_by_name(entry["contract"])
                sha, _ = session.validate(stored, contract)
                session.apply(Path(entry["file"]), contract, sha)
                reapplied += 1
        for path in files:
            contract = contract_of(path)
            sha, _ = session.validate(path, contract)
            if sha in session.absorbed:
                done.append(Applied(str(path), contract.name, sha, 0, "in the full build"))
                continue
            if sha in session.applied:
                done.append(Applied(str(path), contract.name, sha, 0, "already ingested"))
                continue
            done.append(session.apply(path, contract, sha))
        news = [a for a in done if a.skipped is None]
        if not news and not rebuild and not reapplied:  # nothing new to publish
            session.con.close()
            session = None
            scratch.unlink(missing_ok=True)
            return done
        note = summary_line(session.recorded)
        session.finish(len(news))
        session = None
        for a in news:
            _keep(folder, Path(a.file), a.contract, a.batch_id)
        atomic_publish(scratch, target)
        if note:
            echo(note)
        return done
    except BaseException:
        if session is not None:
            with contextlib.suppress(duckdb.Error):
                session.con.close()
        for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise


def contract_by_name(name: str) -> Contract:
    return next(c for c in all_contracts() if c.name == name)


def _can_ingest(path: Path) -> bool:
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        return _has(con, "meta", "ingest")
    finally:
        con.close()


__all__ = ["BuildError", "IngestError", "LandingError", "ingest", "refresh",
           "prepare_build", "live_dir", "live_snapshot_path", "batch_files"]
