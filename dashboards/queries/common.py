"""Shared helpers of the query layer: running statements, checking parameters.

Every value that comes from a URL is checked here against a fixed range or list
before it reaches SQL, and then only as a bound parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import duckdb
import polars as pl

from dashboards import warehouse
from dashboards.cache import memoize

MUNICIPI = tuple(range(1, 10))
AXES = (1, 2, 3, 4)


def fetch(sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    """One parameterised statement through the warehouse door."""
    return warehouse.query(sql, params or None)


@memoize
def _fetch_named(sql: str, params: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    return warehouse.query(sql, dict(params) or None)


@dataclass(frozen=True)
class Query:
    """One fixed statement with named parameters (``$axis_id``), cached per build.

    What it reads (``tables``) and which parameters it takes come from DuckDB's own
    parser, so a KPI's source note names its marts without anyone writing them by hand.
    """

    sql: str

    def fetch(self, **params: Any) -> pl.DataFrame:
        """Run with the parameters the statement uses (others are ignored)."""
        used = tuple(sorted((k, v) for k, v in params.items() if k in self.parameters))
        return _fetch_named(self.sql, used)

    @cached_property
    def _tree(self) -> tuple[set[str], set[str]]:
        with duckdb.connect() as con:
            tree = json.loads(con.execute("SELECT json_serialize_sql(?::VARCHAR)",
                                          [self.sql]).fetchone()[0])
        if tree.get("error"):
            raise ValueError(f"query does not parse: {tree.get('error_message')}")
        tables: set[str] = set()
        parameters: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "BASE_TABLE" and node.get("schema_name"):
                    tables.add(f"{node['schema_name']}.{node['table_name']}")  # not CTEs
                elif node.get("class") == "PARAMETER":
                    parameters.add(node["identifier"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(tree)
        return tables, parameters

    @property
    def tables(self) -> tuple[str, ...]:
        """``schema.table`` of every warehouse table the statement reads, sorted."""
        return tuple(sorted(self._tree[0]))

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset(self._tree[1])


@memoize
def has_table(schema: str, table: str) -> bool:
    """Is ``schema.table`` in this build (domains land one by one)?"""
    frame = fetch("SELECT count(*) AS n FROM information_schema.tables "
                  "WHERE table_schema = ? AND table_name = ?", [schema, table])
    return bool(frame["n"][0])


@memoize
def calendar() -> dict[str, tuple[date, date]]:
    """The programme calendar the build wrote (``meta.calendar``; etl.calendar says why):
    ``eligibility`` (EU rules), ``data`` (years with Milan data), ``telemetry``."""
    frame = fetch("SELECT period, start_date, end_date FROM meta.calendar ORDER BY period")
    return {r["period"]: (r["start_date"], r["end_date"]) for r in frame.iter_rows(named=True)}


def data_years() -> range:
    """The years the pages offer in their year filters."""
    start, end = calendar()["data"]
    return range(start.year, end.year + 1)


def as_int(value: object, allowed: tuple[int, ...] | range) -> int | None:
    """``value`` as an int when it is one of ``allowed``, else None (the "all" choice)."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        return None
    number = int(text)
    return number if number in allowed else None


def as_year(value: object) -> int | None:
    return as_int(value, data_years())


def as_municipio(value: object) -> int | None:
    return as_int(value, MUNICIPI)


def year_bounds(year: int | None) -> tuple[date, date]:
    """First and last day of the selected year, or of the whole programme."""
    if year is None:
        return calendar()["data"]
    return date(year, 1, 1), date(year, 12, 31)


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()
