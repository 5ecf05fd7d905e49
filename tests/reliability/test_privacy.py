"""Privacy scan: no published social-services count between 1 and 4, in any channel.

Published tables come from ``meta.datasets``; the person counts of each suppressed
dataset are its integer columns that are empty on every row flagged 'c'. Every
channel is scanned: the mart table, each download format, and ``datastore_search``
answers. Secondary suppression is then proved with linear algebra: knowing the
published cells and every published group total, no suppressed cell is determined.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import numpy as np
import polars as pl
import pytest
import requests

from tests.reliability.conftest import open_readonly

SMALL = range(1, 5)
# formats _values can read; GeoJSON is JSON, scanned when a located dataset is suppressed
SCANNABLE = ("csv", "json", "geojson", "parquet", "xlsx")


@pytest.fixture(scope="module")
def suppressed(warehouse) -> dict[str, dict]:
    """dataset id -> {table, counts: [person-count columns], frame}."""
    out = {}
    with open_readonly(warehouse) as con:
        rows = con.execute("SELECT dataset_id, table_name FROM meta.datasets "
                           "WHERE suppressed ORDER BY 1").fetchall()
        for dataset_id, table in rows:
            columns = con.execute(
                "SELECT column_name, data_type FROM meta.dataset_columns "
                "WHERE dataset_id = ? ORDER BY position", [dataset_id]).fetchall()
            frame = con.sql(f"SELECT * FROM {table}").pl()
            flagged = frame.filter(pl.col("flag") == "c")
            counts = [name for name, dtype in columns
                      if dtype in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT")
                      and not flagged.is_empty() and flagged[name].null_count() == flagged.height]
            out[dataset_id] = {"table": table, "counts": counts, "frame": frame}
    # the demo build always publishes suppressed social data: none means the scan tests nothing
    assert out, f"no dataset flagged suppressed in {warehouse}'s meta.datasets"
    return out


def test_every_suppressed_dataset_has_person_counts(suppressed):
    for dataset_id, info in suppressed.items():
        assert info["counts"], f"{dataset_id}: no suppressed count column found"


def test_published_tables_hold_no_count_between_1_and_4(suppressed):
    for dataset_id, info in suppressed.items():
        frame = info["frame"]
        for column in info["counts"]:
            small = frame.filter(pl.col(column).is_between(1, 4))
            assert small.is_empty(), f"{dataset_id}.{column}: {small.head(3).to_dicts()}"
            unflagged_null = frame.filter(pl.col(column).is_null() & pl.col("flag").is_null())
            assert unflagged_null.is_empty(), f"{dataset_id}.{column}: NULL without flag 'c'"


def _walk(node: object, names: set[str]) -> Iterator[tuple[str, object]]:
    """(column, value) for every value stored under one of ``names`` in a JSON tree."""
    if isinstance(node, dict):
        fields = node.get("fields")
        records = node.get("records")
        if isinstance(fields, list) and isinstance(records, list) and records and \
                isinstance(records[0], list):  # CKAN records_format=lists
            ids = [f.get("id") if isinstance(f, dict) else f for f in fields]
            for record in records:
                yield from ((n, v) for n, v in zip(ids, record, strict=False) if n in names)
        for key, value in node.items():
            if key in names and not isinstance(value, (dict, list)):
                yield key, value
            else:
                yield from _walk(value, names)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, names)


def _values(fmt: str, content: bytes, names: set[str]) -> Iterator[tuple[str, object]]:
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
        for row in csv.DictReader(io.StringIO(text), dialect=dialect):
            yield from ((n, row[n]) for n in names if n in row)
    elif fmt in ("json", "geojson"):
        yield from _walk(json.loads(content), names)
    elif fmt == "parquet":
        frame = pl.read_parquet(io.BytesIO(content))
        for n in names & set(frame.columns):
            yield from ((n, v) for v in frame[n].to_list())
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, ())
            wanted = [i for i, h in enumerate(header) if h in names]
            for row in rows:
                yield from ((header[i], row[i]) for i in wanted)


def _small(values: Iterator[tuple[str, object]]) -> tuple[int, list]:
    seen, bad = 0, []
    for name, value in values:
        seen += 1
        try:
            number = float(str(value).replace(",", ".")) if value not in (None, "") else None
        except ValueError:
            continue
        if number is not None and number in SMALL:
            bad.append((name, value))
    return seen, bad


def offered_formats(live_server: str, dataset_id: str) -> list[str]:
    """The download formats the catalogue lists for a dataset (its CKAN resources)."""
    reply = requests.get(f"{live_server}/api/3/action/package_show",
                         params={"id": dataset_id}, timeout=60)
    assert reply.status_code == 200, reply.text[:300]
    return [urlsplit(r["url"]).path.rsplit(".", 1)[-1] for r in reply.json()["result"]["resources"]]


def test_downloads_hold_no_count_between_1_and_4(suppressed, live_server):
    """Every format each suppressed dataset is offered in is downloaded and scanned; a format
    the scanner cannot read fails here instead of going unscanned."""
    for dataset_id, info in suppressed.items():
        formats = offered_formats(live_server, dataset_id)
        assert formats and set(formats) <= set(SCANNABLE), (dataset_id, formats)
        for fmt in formats:
            reply = requests.get(f"{live_server}/download/{dataset_id}.{fmt}", timeout=300)
            assert reply.status_code == 200, (dataset_id, fmt, reply.status_code)
            seen, bad = _small(_values(fmt, reply.content, set(info["counts"])))
            assert seen > 0, f"{dataset_id}.{fmt}: no count values found to scan"
            assert bad == [], f"{dataset_id}.{fmt}: {bad[:5]}"


def test_api_answers_hold_no_count_between_1_and_4(suppressed, live_server):
    for dataset_id, info in suppressed.items():
        offset, seen = 0, 0
        while True:
            reply = requests.get(f"{live_server}/api/3/action/datastore_search", params={
                "resource_id": dataset_id, "limit": 32000, "offset": offset}, timeout=300)
            assert reply.status_code == 200, reply.text[:300]
            result = reply.json()["result"]
            n, bad = _small(_walk(result, set(info["counts"])))
            assert bad == [], f"{dataset_id} API: {bad[:5]}"
            seen += n
            records = result.get("records") or []
            offset += len(records)
            if not records or offset >= int(result.get("total") or 0):
                break
        assert seen > 0
    for dataset_id, info in suppressed.items():
        for column in info["counts"]:
            sql = f'SELECT "{column}" FROM "{dataset_id}" WHERE "{column}" BETWEEN 1 AND 4'
            reply = requests.get(f"{live_server}/api/3/action/datastore_search_sql",
                                 params={"sql": sql}, timeout=300)
            assert reply.status_code == 200, (sql, reply.text[:300])
            assert reply.json()["result"]["records"] == [], sql
            # the same door does read the column: the empty answer is not an empty table
            sql = f'SELECT count("{column}") AS n FROM "{dataset_id}"'
            reply = requests.get(f"{live_server}/api/3/action/datastore_search_sql",
                                 params={"sql": sql}, timeout=300)
            assert reply.status_code == 200, (sql, reply.text[:300])
            assert reply.json()["result"]["records"][0]["n"] > 0, sql


# ------------------------------------------------------------ secondary suppression


def declared_margins(dataset_id: str, frame: pl.DataFrame, counts: list[str]):
    """The group totals a reader can know, with the partition no group crosses.

    Social usage: the margins the social domain declares as published (users are
    not additive across services, so no total across services is published).
    Bed occupancy: per site and day, no totals over sites are published.
    """
    if dataset_id == "social-usage-monthly":
        from etl.domains.social import marts

        return [list(m) for m in marts.USAGE_MARGINS], ["month"]
    return [], []


def recoverable_cells(frame: pl.DataFrame, margins: list[list[str]],
                      partition: list[str]) -> list[dict]:
    """Suppressed cells that the margins' totals determine exactly.

    The unknowns are the suppressed cells of a partition; each group total with
    more than one cell gives one equation (the sum of its suppressed cells). A cell
    is determined iff every null-space vector of that system is zero on it.
    """
    if not margins:
        return []

    def key(cols: list[str]) -> pl.Expr:
        return pl.concat_str([pl.lit("k"), *[pl.col(c).cast(pl.String).fill_null("\0")
                                            for c in cols]], separator="|")

    exposed = []
    parts = frame.group_by(partition) if partition else [((), frame)]
    for _, part in parts:
        part = part.with_columns(
            [key(m).alias(f"__g{i}") for i, m in enumerate(margins)]
            + [pl.len().over(key(m)).alias(f"__n{i}") for i, m in enumerate(margins)])
        hidden = part.filter(pl.col("flag") == "c")
        if hidden.is_empty():
            continue
        rows = [(hidden[f"__g{i}"] == g).to_numpy().astype(float)
                for i in range(len(margins))
                for g in hidden.filter(pl.col(f"__n{i}") > 1)[f"__g{i}"].unique()]
        if not rows:
            continue
        _, sing, vt = np.linalg.svd(np.array(rows))
        null = vt[int((sing > 1e-9).sum()):]
        for j in range(hidden.height):
            if null.shape[0] == 0 or np.all(np.abs(null[:, j]) < 1e-9):
                exposed.append(hidden.row(j, named=True))
    return exposed


def test_no_suppressed_cell_is_recoverable_from_published_totals(suppressed):
    for dataset_id, info in suppressed.items():
        margins, partition = declared_margins(dataset_id, info["frame"], info["counts"])
        exposed = recoverable_cells(info["frame"], margins, partition)
        assert exposed == [], f"{dataset_id}: {len(exposed)} cells recoverable, e.g. {exposed[0]}"


def test_the_recoverability_check_can_fail():
    """A lone suppressed cell in a row with a published total is caught."""
    frame = pl.DataFrame({"month": ["m"] * 3, "area": [1, 2, 3], "users": [10, None, 20],
                          "flag": [None, "c", None]})
    assert len(recoverable_cells(frame, [["month"]], ["month"])) == 1
    frame = frame.with_columns(pl.Series("users", [None, None, 20]),
                               pl.Series("flag", ["c", "c", None]))
    assert recoverable_cells(frame, [["month"]], ["month"]) == []
