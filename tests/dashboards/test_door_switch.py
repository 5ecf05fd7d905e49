"""The door follows a replaced file even while something still reads the old one.

DuckDB keeps one database per file path per process while anything uses it, so a
download streaming from the previous build makes ``duckdb.connect`` hand back the old
file's database after a new build was renamed into place. The door may serve the old
build while that lasts, but must open the new file as soon as the old one is let go
(CI once saw a served app stay on a previous build for good after a racing rebuild).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import duckdb
import pytest

from dashboards import warehouse
from ponmetro.settings import live_snapshot_path

ROWS = 200_000  # enough that a streaming reader is still open after its first batch


def publish_build(path: Path, build_id: str) -> None:
    """A minimal warehouse (meta.build and one table), renamed into place like a build."""
    scratch = path.with_name(f".{path.name}.building")
    scratch.unlink(missing_ok=True)
    with duckdb.connect(str(scratch)) as con:
        con.execute("CREATE SCHEMA meta")
        con.execute("CREATE TABLE meta.build AS SELECT ? AS build_id, "
                    "TIMESTAMP '2026-11-30 12:00:00' AS built_at, true AS is_demo, "
                    "'demo' AS geography", [build_id])
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE mart.rows AS SELECT ? AS build_id, range AS n "
                    "FROM range(?)", [build_id, ROWS])
    os.replace(scratch, path)


def publish_snapshot(path: Path, build_id: str, version: str) -> None:
    """A minimal live snapshot on top of ``path`` (views over the attached build)."""
    target = live_snapshot_path(path)
    target.parent.mkdir(exist_ok=True)
    scratch = target.with_name(".snapshot.building")
    scratch.unlink(missing_ok=True)
    with duckdb.connect(str(scratch)) as con:
        con.execute(f"ATTACH '{path}' AS base (READ_ONLY)")
        con.execute("CREATE SCHEMA meta")
        con.execute("CREATE SCHEMA mart")
        con.execute("CREATE TABLE meta.live AS SELECT ? AS base_build_id, "
                    "? AS data_version, now() AS updated_at", [build_id, version])
        con.execute("CREATE VIEW meta.build AS SELECT * FROM base.meta.build")
        con.execute("CREATE VIEW mart.rows AS SELECT * FROM base.mart.rows")
    os.replace(scratch, target)


@pytest.fixture
def served(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("PONMETRO_WAREHOUSE", str(path))
    monkeypatch.setattr(warehouse, "RECHECK_SECONDS", 0.0)
    warehouse.reset()
    yield path
    warehouse.reset()


def streaming_reader(sql: str):
    """What a download holds: a cursor and an Arrow reader part-way through."""
    cur = warehouse.cursor()
    reader = cur.sql(sql).to_arrow_reader(1_000)
    first = reader.read_next_batch()
    return cur, reader, first.num_rows


def let_go(cur, reader) -> None:
    reader.close()
    cur.close()
    gc.collect()


def test_a_new_build_is_served_once_a_download_lets_go_of_the_old_one(served):
    publish_build(served, "A")
    assert warehouse.build_info().build_id == "A"
    cur, reader, read = streaming_reader("SELECT build_id, n FROM mart.rows ORDER BY n")

    publish_build(served, "B")
    # While the download holds the old database, either build is a truthful answer, and
    # every statement reads the build the door names.
    for _ in range(3):
        info = warehouse.build_info()
        assert info.build_id in {"A", "B"}
        assert warehouse.query("SELECT any_value(build_id) AS b FROM mart.rows")["b"][0] \
            == info.build_id
    rest = reader.read_all()
    assert read + rest.num_rows == ROWS, "the download did not finish on its own build"
    assert set(rest.column("build_id").to_pylist()) == {"A"}
    let_go(cur, reader)

    assert warehouse.build_info().build_id == "B"
    assert warehouse.query("SELECT any_value(build_id) AS b FROM mart.rows")["b"][0] == "B"


def test_a_new_live_snapshot_is_served_once_a_download_lets_go_of_the_old_one(served):
    publish_build(served, "A")
    publish_snapshot(served, "A", "A+1")
    assert warehouse.data_identity() == "A+1"
    cur, reader, _ = streaming_reader("SELECT n FROM mart.rows")

    publish_snapshot(served, "A", "A+2")
    assert warehouse.data_identity() in {"A+1", "A+2"}, "the live batches were dropped"
    let_go(cur, reader)

    assert warehouse.data_identity() == "A+2"
    assert warehouse.build_info().build_id == "A"


def test_an_unchanged_file_keeps_its_connection(served):
    """Settled: with nothing replaced, the door does not reopen on every check."""
    publish_build(served, "A")
    first = warehouse.cursor()
    first.close()
    door = warehouse._current()
    con = door._con
    for _ in range(5):
        warehouse.build_info()
    assert door._con is con
