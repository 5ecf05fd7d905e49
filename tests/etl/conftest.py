"""Helpers shared by the ETL tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ponmetro.settings import live_snapshot_path


@pytest.fixture
def staged():
    """Make an in-memory build connection whose staging tables are the given frames
    (in row order, as the staging load appends them)."""
    cons = []

    def make(**frames: pl.DataFrame) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        cons.append(con)
        con.execute("CREATE SCHEMA staging")
        for name, frame in frames.items():
            con.register("_frame", frame.to_arrow())
            con.execute(f"CREATE TABLE staging.{name} AS SELECT * FROM _frame")
            con.unregister("_frame")
        return con

    yield make
    for con in cons:
        con.close()


# ----------------------------------------------------- live ingest (held-back batches)

CUT = "2023-12-31T22:00:00Z"
TIME = {"station_status": "last_reported", "spot_status": "observed_at", "trips": "start_time"}
#: (name, from, to): three batches per contract over the held-back hours
WINDOWS = (("b0", "2023-12-31T22:00:00Z", "2023-12-31T22:10:00Z"),
           ("b1", "2023-12-31T22:10:00Z", "2023-12-31T23:30:00Z"),
           ("b2", "2023-12-31T23:30:00Z", "9999"))


def hold_back(landing: Path, out: Path) -> dict[str, list[Path]]:
    """Copy ``landing`` to ``out/landing`` without the telemetry after CUT; write that
    telemetry as batch files ``out/batches/<kind>/<name>.csv`` (non-empty ones)."""
    shutil.copytree(landing, out / "landing")
    batches: dict[str, list[Path]] = {}
    for kind, col in TIME.items():
        month = out / "landing" / "mobility" / kind / "2023-12.csv"
        frame = pl.read_csv(month, infer_schema=False)
        frame.filter(pl.col(col) < CUT).write_csv(month)
        rest = frame.filter(pl.col(col) >= CUT)
        (out / "batches" / kind).mkdir(parents=True)
        for name, lo, hi in WINDOWS:
            part = rest.filter((pl.col(col) >= lo) & (pl.col(col) < hi))
            if part.height:
                path = out / "batches" / kind / f"{name}.csv"
                part.write_csv(path)
                batches.setdefault(kind, []).append(path)
    return batches


@pytest.fixture(scope="module")
def held(demo_landing, tmp_path_factory):
    out = tmp_path_factory.mktemp("held")
    batches = hold_back(demo_landing, out)
    base = out / "base.duckdb"
    from etl.build import build

    build(out / "landing", base, progress=False)
    return out, base, batches



def read_live(warehouse: Path, sql: str) -> pl.DataFrame:
    """Read as the app's door does: the live snapshot with the build attached."""
    from dashboards.warehouse import open_live, open_readonly

    con = open_live(warehouse, live_snapshot_path(warehouse)) or open_readonly(warehouse)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def invariant(warehouse: Path) -> tuple[int, int]:
    """(samples in the hourly mart, rows the build + batches hold): always equal."""
    frame = read_live(warehouse, """SELECT
        (SELECT sum(samples) FROM mart.mobility_station_status_hourly) AS samples,
        (SELECT coalesce(sum(rows), 0) FROM meta.ingest
         WHERE contract = 'mobility_station_status') AS added""")
    return int(frame["samples"][0]), int(frame["added"][0])


@pytest.fixture
def served(held, tmp_path) -> Path:
    """A served warehouse (the held-back base) of its own, with no batches yet."""
    _, base, _ = held
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(base, target)
    return target
