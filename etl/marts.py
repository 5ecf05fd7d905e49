"""Marts as data: one record per ``mart.<name>`` table holding its SQL and its docs.

A domain lists its marts in build order; :func:`create` runs each one's SELECT in
DuckDB (parallel, out of core) as ``CREATE TABLE mart.<name>``. So a reader finds a
mart by name in its domain's ``marts.py`` and reads one language, with what the
table holds written beside it.

Placement by containment runs inside that SQL: ``nil_of(lon, lat)`` and
``municipio_of(lon, lat)`` are the build's point index (``etl.domains.geography``)
exposed as vectorised DuckDB functions (NULL outside the city or before the
geography is built).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from etl.validate import ident

if TYPE_CHECKING:
    from etl.catalog import Dataset


@dataclass(frozen=True)
class Mart:
    """One mart table: ``mart.<name>`` is the result of ``sql``, and ``description`` says
    what a row is; a published mart also carries its catalogue entry (``dataset``).

    ``protect`` is disclosure control (``etl.suppression``) applied to the result
    before it is stored: the one step that is a library algorithm, not SQL.
    """

    name: str
    description: str
    sql: str
    protect: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    temp: bool = False  # an intermediate table for the marts after it, dropped at the end
    #: where a kept table lives: ``mart`` (served), or ``live`` for the running sums the
    #: marts after it read and incremental ingest (``etl.ingest``) keeps updating
    schema: str = "mart"
    #: publication: the catalogue entry (titles, descriptions, column docs) of this mart
    dataset: Dataset | None = None

    def __post_init__(self) -> None:
        if self.dataset is not None and self.dataset.table != f"mart.{self.name}":
            object.__setattr__(self, "dataset", replace(self.dataset, table=f"mart.{self.name}"))

    @property
    def table(self) -> str:
        return ident(self.name) if self.temp else f"{self.schema}.{ident(self.name)}"


def sql_list(values) -> str:
    """A DuckDB list literal of text values (declared constants, never user input)."""
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def create(con: duckdb.DuckDBPyConnection, ctx, marts: tuple[Mart, ...]) -> None:
    """Create every mart of ``marts``, in order (a mart may read the ones before it)."""
    register_placement(con, ctx)
    for schema in sorted({m.schema for m in marts if not m.temp} - {"mart"}):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    for i, mart in enumerate(marts):
        if mart.protect is None:
            con.execute(f"CREATE {'TEMP ' if mart.temp else ''}TABLE {mart.table} AS {mart.sql}")
        else:
            con.register("_protected", mart.protect(con.sql(mart.sql).pl()).to_arrow())
            try:
                con.execute(f"CREATE TABLE {mart.table} AS SELECT * FROM _protected")
            finally:
                con.unregister("_protected")
        for done in marts[:i + 1]:  # free an intermediate table once no later mart reads it
            if done.temp and not any(reads(later.sql, done) for later in marts[i + 1:]):
                con.execute(f"DROP TABLE IF EXISTS {done.table}")


def reads(sql: str, table: Mart) -> bool:
    """Whether ``sql`` names the table of ``table``, bare or qualified by its schema (the
    one reading of the dependencies between marts: build order, lineage, live ingest)."""
    name = re.escape(table.name)
    return re.search(rf"(?<![.\w]){name}\b|\b{table.schema}\.{name}\b", sql) is not None


def _floats(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow DOUBLE column as numpy (NULL as NaN). Without nulls, a view of its data
    buffer: DuckDB calls a placement once per 2,048 rows, so the per-call cost counts.
    Not pyarrow's own numpy conversions: they import pandas (slow exit)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    if values.type == pa.float64() and values.null_count == 0:
        return np.frombuffer(values.buffers()[1], dtype=np.float64, count=len(values),
                             offset=values.offset * 8)
    return pl.Series(values).cast(pl.Float64).to_numpy()


def _ids_or_null(ids: np.ndarray) -> pa.Array:
    """Polygon ids as an Arrow BIGINT array, -1 (in no polygon) as NULL: built on the
    numpy buffer with a validity bitmap (Polars' ``replace`` ran a lazy query per call,
    ten times the placement's own cost inside DuckDB's threads)."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    placed = ids >= 0
    validity = None if placed.all() else pa.py_buffer(np.packbits(placed, bitorder="little"))
    return pa.Array.from_buffers(pa.int64(), len(ids), [validity, pa.py_buffer(ids)])


def register_placement(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Define ``nil_of`` and ``municipio_of`` on ``con`` (once), reading ``ctx.geo``."""
    known = con.execute("SELECT count(*) FROM duckdb_functions() "
                        "WHERE function_name = 'nil_of'").fetchall()[0][0]
    if known:
        return

    def place(name: str):
        def fn(lon: pa.Array, lat: pa.Array) -> pa.Array:
            if ctx.geo is None:  # a build without geography cannot place anything
                return pa.nulls(len(lon), pa.int64())
            # only the placement asked for is computed (NIL and municipi are two indexes)
            ids = getattr(ctx.geo, name)(_floats(lon), _floats(lat))
            return _ids_or_null(ids)
        return fn

    for name in ("nil_of", "municipio_of"):
        con.create_function(name, place(name), ["DOUBLE", "DOUBLE"],
                            "BIGINT", type="arrow", null_handling="special",
                            side_effects=False)

