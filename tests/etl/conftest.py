"""Helpers shared by the ETL tests."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest


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
