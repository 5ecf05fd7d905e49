"""``ponmetro export eu-report``: write the EU reporting tables for one as-of date.

Runs without the web app: it opens the warehouse file itself, read-only and with
external access disabled, and shares the query code of the /reporting page.
Files are written beside their final name and renamed into place, so a failed
export never leaves a half-written table.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from dashboards.queries.reporting import (
    REQUIRED_TABLES,
    AsOfError,
    Report,
    build_report,
)
from dashboards.reporting.formats import TABLES, csv_bytes, file_names, xlsx_bytes
from dashboards.warehouse import open_readonly


class ReportError(Exception):
    """An export that cannot be made; the message is one line for the operator."""


def _open(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise ReportError(f"warehouse not found: {warehouse} (build it with `ponmetro build`)")
    try:
        con = open_readonly(warehouse)
    except duckdb.Error as exc:
        raise ReportError(f"cannot open warehouse {warehouse}: not a readable DuckDB file "
                          f"({str(exc).splitlines()[0][:120]})") from exc
    present = {f"{s}.{t}" for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        con.close()
        raise ReportError(f"warehouse {warehouse} has no programme data ({', '.join(missing)} "
                          "missing); rebuild it with `ponmetro build`")
    return con


def report_from_file(warehouse: Path, as_of: date) -> Report:
    """Compute the report from a warehouse file (read-only)."""
    con = _open(Path(warehouse))
    try:
        def run(sql: str, params: list) -> pl.DataFrame:
            return con.sql(sql, params=params or None).pl()

        return build_report(run, as_of)
    except AsOfError as exc:
        raise ReportError(str(exc)) from exc
    except duckdb.Error as exc:
        raise ReportError(f"warehouse {warehouse} could not be read: "
                          f"{str(exc).splitlines()[0][:160]}") from exc
    finally:
        con.close()


def _write_atomic(path: Path, data: bytes) -> None:
    scratch = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        scratch.write_bytes(data)
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def export_eu_report(warehouse: Path, as_of: date, out: Path) -> list[Path]:
    """Write the XLSX workbook and one CSV per table into ``out``; return the paths."""
    report = report_from_file(Path(warehouse), as_of)
    out = Path(out)
    names = file_names(report.as_of)
    payloads = {names[t.key]: csv_bytes(report, t.key) for t in TABLES}
    payloads[names["xlsx"]] = xlsx_bytes(report)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in payloads.items():
            _write_atomic(out / name, data)
            written.append(out / name)
    except OSError as exc:
        raise ReportError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    return [written[-1], *written[:-1]]
