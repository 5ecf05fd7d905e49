"""Telemetry staged on parallel lanes (``etl.build.LANES``): the same warehouse and the
same first error as staging every file one after the other in contract order."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import etl.build
from etl.build import _files_for, build
from etl.domains import all_contracts
from etl.validate import LandingError


def _served_tables(con: duckdb.DuckDBPyConnection, db: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
        "AND schema_name IN ('mart', 'live', 'staging') ORDER BY ALL", [db]).fetchall()


def _rows(con: duckdb.DuckDBPyConnection, db: str, schema: str, table: str) -> str:
    """The table's rows, doubles rounded to 9 decimals: DuckDB adds a sum of doubles in
    whatever order its threads finish, so the last bits differ from run to run."""
    cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [db, schema, table]).fetchall()
    exprs = ", ".join(f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in cols)
    return f'SELECT {exprs} FROM {db}.{schema}."{table}"'


def assert_same_tables(a: Path, b: Path) -> None:
    """Every mart, live and staging table of ``a`` equals ``b``'s (EXCEPT ALL both ways),
    and the lineage and findings too."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    tables = _served_tables(con, "a")
    assert tables == _served_tables(con, "b")
    assert len([t for t in tables if t[0] == "mart"]) > 30
    for schema, table in [*tables, ("meta", "sources"), ("meta", "quality")]:
        x, y = _rows(con, "a", schema, table), _rows(con, "b", schema, table)
        diff = con.execute(f"SELECT (SELECT count(*) FROM ({x} EXCEPT ALL {y})), "
                           f"(SELECT count(*) FROM ({y} EXCEPT ALL {x}))").fetchone()
        assert diff == (0, 0), f"{schema}.{table} differs: {diff}"
    con.close()


@pytest.fixture(scope="module")
def one_lane(demo_landing, tmp_path_factory) -> Path:
    """The demo warehouse staged on one lane: every file in turn, as before lanes."""
    path = tmp_path_factory.mktemp("lanes") / "one.duckdb"
    saved, etl.build.LANES = etl.build.LANES, 1
    try:
        build(demo_landing, path, progress=False)
    finally:
        etl.build.LANES = saved
    return path


def test_lanes_build_the_same_warehouse_as_one_lane(one_lane, demo_landing, tmp_path):
    assert etl.build.LANES == 2
    two = tmp_path / "two.duckdb"
    build(demo_landing, two, progress=False)
    assert_same_tables(one_lane, two)


def test_lineage_and_findings_keep_contract_order(one_lane, demo_landing):
    plan = [str(p.relative_to(demo_landing)) for c in all_contracts()
            for p in _files_for(demo_landing, c, {})]
    with duckdb.connect(str(one_lane), read_only=True) as con:
        assert [r for (r,) in con.execute("SELECT relpath FROM meta.sources").fetchall()] == plan
        files = [f for (f,) in con.execute("SELECT file FROM meta.quality").fetchall()]
    order = {c.name: i for i, c in enumerate(all_contracts())}
    with duckdb.connect(str(one_lane), read_only=True) as con:
        contracts = [c for (c,) in con.execute("SELECT contract FROM meta.quality").fetchall()]
    assert files and [order[c] for c in contracts] == sorted(order[c] for c in contracts)


def _break(landing: Path, relpath: str, how: str) -> tuple[Path, int]:
    """Break one landing file: ``dup`` repeats its last row (a duplicate key), any other
    ``how`` names a number column whose cell in the 3rd data row becomes text. Returns
    (file, offending row)."""
    path = landing / relpath
    lines = path.read_text("utf-8").splitlines()
    if how == "dup":
        lines.append(lines[-1])
        row = len(lines)
    else:
        cells = lines[3].split(",")
        cells[lines[0].split(",").index(how)] = "not-a-number"
        lines[3] = ",".join(cells)
        row = 4
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, row


def _monthly(landing: Path, folder: str, n: int) -> str:
    return str(sorted((landing / "mobility" / folder).glob("*.csv"))[n].relative_to(landing))


@pytest.mark.parametrize("broken, expected", [
    # two lanes fail: the contract first in order names the error, whichever lane ends first
    ((("status", 1, "dup"), ("trips", 0, "distance_m")), 0),
    ((("trips", 0, "distance_m"), ("status", 1, "dup")), 1),
    ((("trips", 0, "distance_m"),), 0),
    ((("spots", 1, "dup"), ("trips", 1, "distance_m")), 0),
    ((("trips", 2, "distance_m"), ("trips", 1, "dup")), 1),  # one lane: its first file
    # a reference file after station_status fails: station_status' own error still wins
    ((("status", 2, "dup"), ("mobility/vehicle_types.csv", None, "dup")), 0),
    # ... and when station_status is fine, the reference file's error is the one
    ((("mobility/vehicle_types.csv", None, "dup"), ("trips", 0, "distance_m")), 0),
])
def test_first_failing_file_in_contract_order_is_the_error(
        broken, expected, built_demo, demo_landing, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(demo_landing, landing)
    folders = {"status": "station_status", "spots": "spot_status", "trips": "trips"}
    damaged = [_break(landing, _monthly(landing, folders[what], n) if n is not None else what,
                      how) for what, n, how in broken]
    target = tmp_path / "w.duckdb"
    shutil.copy(built_demo, target)
    before = target.read_bytes()

    with pytest.raises(LandingError) as err:
        build(landing, target, progress=False)

    path, row = damaged[expected]
    assert err.value.file == str(path) and err.value.row == row
    assert target.read_bytes() == before  # nothing published
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


@pytest.fixture(scope="module")
def built_demo(one_lane) -> Path:
    return one_lane
