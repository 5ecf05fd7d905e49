"""The query layer and renderers in-process: SQL timeout and caps, XLSX sheet overflow."""

from __future__ import annotations

import io

import openpyxl
import pyarrow as pa
import pytest

from dashboards import writers
from dashboards.queries import catalog, datastore

RECURSIVE = ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
             "SELECT count(*) FROM r")


def test_sql_is_interrupted_by_the_timer(warehouse):
    with pytest.raises(datastore.QueryError, match="cancelled"):
        datastore.run_sql(RECURSIVE, timeout_s=0.5)


def test_sql_row_cap(warehouse):
    out = datastore.run_sql('SELECT * FROM "nil"', max_rows=10)
    assert len(out["rows"]) == 10 and out["truncated"] is True
    out = datastore.run_sql('SELECT count(*) FROM "nil"', max_rows=10)
    assert out["truncated"] is False


def test_sql_sees_only_published_columns(warehouse):
    ds = catalog.get("nil")
    out = datastore.run_sql('SELECT * FROM "nil" LIMIT 1')
    assert out["names"] == list(ds.column_names)


def test_stream_keeps_table_order_and_checks_before_streaming(warehouse):
    ds = catalog.get("nil")
    with pytest.raises(datastore.QueryError):
        with datastore.stream(ds, filters={"nil_id": "not-a-number"}):
            pass
    with datastore.stream(ds, fields=["nil_id"], sort="nil_id desc") as (reader, _):
        ids = [r["nil_id"] for b in reader for r in b.to_pylist()]
    assert ids == sorted(ids, reverse=True) and len(ids) == ds.rows


def test_xlsx_continues_on_a_new_sheet(monkeypatch):
    monkeypatch.setattr(writers, "XLSX_SHEET_ROWS", 10)
    table = pa.table({"n": list(range(25)), "label": [f"=cmd{i}" for i in range(25)]})
    fh = writers.xlsx_file(pa.RecordBatchReader.from_batches(table.schema,
                                                             table.to_batches(7)),
                           sheet_title="demo")
    book = openpyxl.load_workbook(io.BytesIO(fh.read()))
    fh.close()
    assert book.sheetnames == ["demo", "demo_2", "demo_3"]
    rows = [r for s in book.worksheets for r in s.iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in rows] == list(range(25))
    assert rows[0][1] == "=cmd0"  # stored as text, never as a formula
    assert all(s.cell(1, 1).value == "n" for s in book.worksheets)


def test_excel_csv_uses_bom_semicolon_and_decimal_comma(warehouse):
    ds = catalog.get("nil")
    with datastore.stream(ds, fields=["nil_id", "area_m2", "centroid_lon"],
                          mode="excel_csv") as (reader, _):
        body = b"".join(writers.csv_chunks(reader, delimiter=";", bom=True))
    assert body.startswith(b"\xef\xbb\xbf")
    header, first = body[3:].decode().splitlines()[:2]
    assert header == '"nil_id";"area_m2";"centroid_lon"'
    assert "," in first.split(";")[2] and "." not in first.split(";")[2]
