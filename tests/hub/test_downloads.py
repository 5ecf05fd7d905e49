"""Downloads in every format, parsed back; Data Packages validated with frictionless."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import assert_sheet_matches

FRICTIONLESS = Path(sys.executable).parent / "frictionless"
SMALL = ["nil", "projects", "social-usage-monthly", "cycle-routes", "station-status-hourly"]


def get(http, url, **kw):
    resp = http.get(url, timeout=300, **kw)
    return resp


@pytest.fixture(scope="module")
def stored(warehouse, published):
    """dataset id -> its published columns read straight from the warehouse table."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for dataset_id in SMALL:
            meta = published[dataset_id]
            cols = ", ".join(f'"{c["column_name"]}"' for c in meta["columns"])
            out[dataset_id] = con.sql(f"SELECT {cols} FROM {meta['table_name']}").pl()
    finally:
        con.close()
    return out


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


@pytest.mark.parametrize("dataset_id", SMALL)
def test_every_format_parses_back_with_all_rows(http, hub, published, stored, dataset_id):
    """Each format holds the warehouse's values: parquet and CSV equal the table as a set of
    rows; Excel CSV, JSON and XLSX equal the CSV row for row (one download order)."""
    meta, table = published[dataset_id], stored[dataset_id]
    rows, names = meta["rows"], [c["column_name"] for c in meta["columns"]]
    assert table.height == rows and table.columns == names
    csv = get(http, f"{hub}/download/{dataset_id}.csv")
    assert csv.status_code == 200
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{dataset_id}.csv"' in csv.headers["Content-Disposition"]
    assert not csv.content.startswith(b"\xef\xbb\xbf")
    frame = pl.read_csv(io.BytesIO(csv.content), schema=table.schema)
    assert_frame_equal(frame, table, check_row_order=False)

    excel = get(http, f"{hub}/download/{dataset_id}.csv", params={"excel": "1"})
    assert excel.content.startswith(b"\xef\xbb\xbf")
    assert_frame_equal(pl.read_csv(io.BytesIO(excel.content[3:]), separator=";",
                                   decimal_comma=True, schema=table.schema), frame)

    parquet = get(http, f"{hub}/download/{dataset_id}.parquet")
    assert parquet.headers["Content-Type"] == "application/vnd.apache.parquet"
    assert int(parquet.headers["Content-Length"]) == len(parquet.content)
    assert_frame_equal(pl.read_parquet(io.BytesIO(parquet.content)), table,
                       check_row_order=False)

    data = get(http, f"{hub}/download/{dataset_id}.json").json()
    assert data == [{k: _iso(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]

    xlsx = get(http, f"{hub}/download/{dataset_id}.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert_sheet_matches(list(book.worksheets[0].iter_rows(values_only=True)), frame)

    located = meta["lon_column"] or meta["geometry_column"]
    geo = get(http, f"{hub}/download/{dataset_id}.geojson")
    if located:
        assert geo.headers["Content-Type"] == "application/geo+json"
        fc = geo.json()
        assert fc["type"] == "FeatureCollection" and len(fc["features"]) == rows
        assert any(f["geometry"] for f in fc["features"])
        shape, lon, lat = meta["geometry_column"], meta["lon_column"], meta["lat_column"]
        for feature, record in zip(fc["features"], data, strict=True):
            assert feature["properties"] == {k: v for k, v in record.items() if k != shape}
            if shape:
                want = json.loads(record[shape]) if record[shape] else None
            else:
                want = None if record[lon] is None else \
                    {"type": "Point", "coordinates": [record[lon], record[lat]]}
            assert feature["geometry"] == want, (dataset_id, record)
    else:
        assert geo.status_code == 404


def test_filters_fields_sort(http, hub, published):
    resp = get(http, f"{hub}/download/nil.csv",
               params={"municipio_id": ["1", "2"], "fields": "nil_id,municipio_id",
                       "sort": "nil_id desc"})
    frame = pl.read_csv(io.BytesIO(resp.content))
    assert set(frame["municipio_id"]) <= {1, 2} and frame.columns == ["nil_id", "municipio_id"]
    assert frame["nil_id"].to_list() == sorted(frame["nil_id"].to_list(), reverse=True)
    ranged = get(http, f"{hub}/download/project-finance-monthly.json",
                 params={"month__gte": "2021-01-01", "month__lt": "2022-01-01"}).json()
    assert ranged and all(r["month"].startswith("2021") for r in ranged)


@pytest.mark.parametrize("params", [
    {"no_such_column": "1"}, {"municipio_id": "abc"}, {"municipio_id__like": "1"},
    {"sort": "nope"}, {"fields": "nil_id,password"}, {"municipio_id": "1' OR '1'='1"},
])
def test_bad_filters_are_400_with_a_message(http, hub, params):
    resp = get(http, f"{hub}/download/nil.csv", params=params)
    assert resp.status_code == 400 and resp.text.startswith("Bad request:")


def test_unknown_dataset_or_format_is_404(http, hub):
    assert get(http, f"{hub}/download/nope.csv").status_code == 404
    assert get(http, f"{hub}/download/nil.exe").status_code == 404
    assert get(http, f"{hub}/download/..%2F..%2Fetc%2Fpasswd.csv").status_code == 404
    assert get(http, f"{hub}/data/nope/datapackage.json").status_code == 404


def test_etag_and_last_modified(http, hub):
    first = get(http, f"{hub}/download/municipi.csv")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = get(http, f"{hub}/download/municipi.csv",
                headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    other = get(http, f"{hub}/download/municipi.csv", params={"municipio_id": "1"})
    assert other.headers["ETag"] != first.headers["ETag"]


def test_datapackage_validates_offline(http, hub, tmp_path):
    folder = tmp_path / "projects"
    folder.mkdir()
    descriptor = get(http, f"{hub}/data/projects/datapackage.json").json()
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    for resource in descriptor["resources"]:  # relative paths resolve beside the descriptor
        body = get(http, f"{hub}/data/projects/{resource['path']}")
        assert body.status_code == 200
        (folder / resource["path"]).write_bytes(body.content)
    (folder / "datapackage.json").write_text(json.dumps(descriptor))
    out = subprocess.run([str(FRICTIONLESS), "validate", "--json", "datapackage.json"],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]
    assert json.loads(out.stdout)["valid"] is True


def test_datapackage_validates_from_the_url(hub):
    out = subprocess.run([str(FRICTIONLESS), "validate", "--json",
                          f"{hub}/data/station-status-hourly/datapackage.json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]


def test_broken_package_fails_validation(http, hub, tmp_path):
    """The validator can fail: a wrong declared type makes it exit 1."""
    descriptor = get(http, f"{hub}/data/municipi/datapackage.json").json()
    descriptor["resources"][0]["schema"]["fields"][1]["type"] = "integer"  # name -> integer
    (tmp_path / "municipi.csv").write_bytes(get(http, f"{hub}/data/municipi/municipi.csv").content)
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    out = subprocess.run([str(FRICTIONLESS), "validate", "datapackage.json"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1


def test_whole_catalogue_zip(http, hub, published, tmp_path):
    resp = get(http, f"{hub}/download/catalog.zip")
    assert resp.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        names = set(zf.namelist())
        assert names == {"datapackage.json", *(f"{d}.csv" for d in published)}
        zf.extractall(tmp_path)
    out = subprocess.run([str(FRICTIONLESS), "validate", "--json", "datapackage.json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert json.loads(out.stdout)["valid"] is True, out.stdout[-2000:]
    for dataset_id, meta in published.items():
        frame = pl.read_csv(tmp_path / f"{dataset_id}.csv", infer_schema_length=0)
        assert frame.height == meta["rows"], dataset_id


def test_no_social_count_between_1_and_4_in_downloads(http, hub, published):
    scanned = 0
    for dataset_id, meta in published.items():
        if not meta["suppressed"]:
            continue
        counts = [c["column_name"] for c in meta["columns"]
                  if "suppressed" in c["description_en"].lower() and c["data_type"] != "VARCHAR"]
        frame = pl.read_parquet(io.BytesIO(get(http, f"{hub}/download/{dataset_id}.parquet")
                                           .content))
        for col in counts:
            scanned += 1
            assert frame.filter(pl.col(col).is_between(1, 4)).height == 0
            assert frame.filter(pl.col(col).is_null() & (pl.col("flag") != "c")).height == 0
        api = http.post(f"{hub}/api/3/action/datastore_search",
                        json={"resource_id": dataset_id, "limit": 32000}).json()["result"]
        for record in api["records"]:
            assert all(not (isinstance(record[c], int) and 1 <= record[c] <= 4) for c in counts)
    assert scanned >= 2
