"""Whole-table downloads sent from files written once per data version, on a private copy
of the demo build served by real gunicorn (2 workers): the file holds exactly what the
streamed download and the query layer give, answers ETag/304 and byte ranges, is written
once for concurrent first requests, follows a live batch (the old file is never served
again and is removed), and a writer that dies leaves nothing half-written. XLSX past the
sheet limit (lowered with PONMETRO_XLSX_MAX_ROWS) answers 422 with links to CSV and Parquet.
"""

from __future__ import annotations

import io
import resource
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
import requests
from polars.testing import assert_frame_equal

from tests.conftest import BIN, Server

BIG = "station-status-hourly"  # the largest table, and live (station_status batches)
XLSX_LIMIT = 50


def get(url: str, **kw) -> requests.Response:
    return requests.get(url, timeout=300, **kw)


def _copy(warehouse: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "warehouse.duckdb"
    shutil.copy(warehouse, target)
    return target


@pytest.fixture(scope="module")
def served(warehouse, tmp_path_factory) -> dict:
    path = _copy(warehouse, tmp_path_factory.mktemp("wholefiles"))
    server = Server(path, workers=2, env={"PONMETRO_XLSX_MAX_ROWS": str(XLSX_LIMIT)}).start()
    yield {"url": server.url, "path": path, "files": path.with_name("warehouse.downloads")}
    server.stop()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".lock"))


def _query_layer(path: Path, dataset_id: str) -> pl.DataFrame:
    """The published columns of a dataset as the served files hold them (build + live)."""
    from tests.etl.conftest import read_live

    con = duckdb.connect(str(path), read_only=True)
    try:
        table, = con.execute("SELECT table_name FROM meta.datasets WHERE dataset_id = ?",
                             [dataset_id]).fetchone()
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM meta.dataset_columns WHERE dataset_id = ? "
            "ORDER BY position", [dataset_id]).fetchall()]
    finally:
        con.close()
    return read_live(path, f"SELECT {', '.join(cols)} FROM {table}")


def test_whole_files_hold_what_the_stream_and_the_query_layer_give(served):
    for dataset_id in (BIG,):
        whole = get(f"{served['url']}/download/{dataset_id}.csv")
        streamed = get(f"{served['url']}/download/{dataset_id}.csv?sort=")  # same rows
        assert whole.status_code == streamed.status_code == 200
        assert whole.headers["Accept-Ranges"] == "bytes"
        assert "Accept-Ranges" not in streamed.headers  # the other path really streamed
        assert int(whole.headers["Content-Length"]) == len(whole.content)
        assert whole.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="{dataset_id}.csv"' in whole.headers["Content-Disposition"]
        assert whole.content == streamed.content
        table = _query_layer(served["path"], dataset_id)
        frame = pl.read_csv(io.BytesIO(whole.content), schema=table.schema)
        assert frame.height == table.height
        assert_frame_equal(frame, table, check_row_order=False)

        parquet = get(f"{served['url']}/download/{dataset_id}.parquet")
        assert parquet.headers["Content-Type"] == "application/vnd.apache.parquet"
        assert int(parquet.headers["Content-Length"]) == len(parquet.content)
        streamed = get(f"{served['url']}/download/{dataset_id}.parquet?sort=")
        assert_frame_equal(pl.read_parquet(io.BytesIO(parquet.content)),
                           pl.read_parquet(io.BytesIO(streamed.content)))
        assert_frame_equal(pl.read_parquet(io.BytesIO(parquet.content)), table,
                           check_row_order=False, check_dtypes=False)
    on_disk = {p.name: p.read_bytes() for p in _files(served["files"])}
    assert on_disk[f"{BIG}.csv"] == get(f"{served['url']}/download/{BIG}.csv").content
    assert not [n for n in on_disk if n.endswith(".part")]


def test_small_tables_stream(served):
    from dashboards.hub import wholefiles

    rows = _query_layer(served["path"], "nil").height
    assert rows < wholefiles.MIN_ROWS
    reply = get(f"{served['url']}/download/nil.csv")
    assert reply.status_code == 200 and "Accept-Ranges" not in reply.headers
    assert pl.read_csv(io.BytesIO(reply.content)).height == rows
    assert "nil.csv" not in {p.name for p in _files(served["files"])}


def test_excel_variant_and_package_csv_are_files_too(served):
    url = f"{served['url']}/download/{BIG}.csv"
    excel = get(url, params={"excel": "1"})
    assert excel.status_code == 200 and excel.content.startswith(b"\xef\xbb\xbf")
    assert excel.headers["Accept-Ranges"] == "bytes"
    assert excel.content == get(url, params={"excel": "1", "sort": ""}).content
    package = get(f"{served['url']}/data/{BIG}/{BIG}.csv")
    assert package.headers["Accept-Ranges"] == "bytes"
    assert package.content == get(url).content
    assert f"{BIG}-excel.csv" in {p.name for p in _files(served["files"])}


def test_etag_304_and_byte_ranges(served):
    url = f"{served['url']}/download/{BIG}.csv"
    full = get(url)
    etag = full.headers["ETag"]
    assert full.headers["Cache-Control"] == "public, max-age=300" and full.headers["X-Build-Id"]
    again = get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    part = get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(full.content)}"
    tail = get(f"{served['url']}/download/{BIG}.parquet", headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == b"PAR1"
    beyond = get(url, headers={"Range": f"bytes={len(full.content) + 10}-"})
    assert beyond.status_code == 416
    assert get(url, params={"municipio": "1"}).status_code == 400  # still checked


def test_concurrent_first_requests_all_get_the_complete_file(served):
    dataset_id = "bed-occupancy-daily"  # just past MIN_ROWS at scale 1
    url = f"{served['url']}/download/{dataset_id}.csv"
    assert not [p for p in _files(served["files"]) if p.name == f"{dataset_id}.csv"]
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda _: get(url), range(6)))
    want = get(url, params={"sort": ""}).content
    assert len(want) > 1000
    for reply in replies:
        assert reply.status_code == 200 and reply.content == want
    written = [p for p in _files(served["files"]) if dataset_id in p.name]
    assert [p.name for p in written] == [f"{dataset_id}.csv"]


def test_xlsx_past_the_limit_points_to_csv_and_parquet(served):
    url = f"{served['url']}/download/{BIG}.xlsx"
    reply = get(url, params={"hour__gte": "2000-01-01"})
    assert reply.status_code == 422
    assert reply.headers["Content-Type"].startswith("text/html")
    links = requests.utils.parse_header_links(reply.headers["Link"])
    assert {(link["type"], link["rel"]) for link in links} == {
        ("text/csv", "alternate"), ("application/vnd.apache.parquet", "alternate")}
    assert f"/download/{BIG}.csv?hour__gte=2000-01-01" in reply.text
    assert "Troppe righe" in reply.text and "Too many rows" in reply.text
    assert f"{XLSX_LIMIT}" in reply.text
    csv = get(served["url"] + next(link["url"] for link in links if link["type"] == "text/csv"))
    assert csv.status_code == 200 and csv.text.count("\n") > XLSX_LIMIT + 1
    # within the limit: a workbook
    station = pl.read_csv(io.BytesIO(csv.content))["station_id"][0]
    small = get(url, params={"station_id": str(station), "hour__lt": "2023-10-03T12:00:00"})
    assert small.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(small.content), read_only=True)
                .worksheets[0].iter_rows(values_only=True))
    assert 1 < len(rows) <= XLSX_LIMIT + 1


@pytest.mark.parametrize("query", [
    {"station_id__like": "1"}, {"hour__gte": "nope"}, {"nope": "1"},
    {"fields": "station_id,password"}, {"sort": "hour;drop"}, {"samples": "1' OR '1'='1"},
])
@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_hostile_queries_still_get_400(served, fmt, query):
    reply = get(f"{served['url']}/download/{BIG}.{fmt}", params=query)
    assert reply.status_code == 400 and reply.text.startswith("Bad request:")


def test_an_injected_quote_is_a_value_that_matches_nothing(served):
    reply = get(f"{served['url']}/download/{BIG}.csv", params={"station_id": "1' OR '1'='1"})
    assert reply.status_code == 200 and reply.text.count("\n") == 1  # the header only


def test_a_writer_that_dies_leaves_nothing_half_written(warehouse, tmp_path):
    """A server whose processes may not write files over 1 MB (RLIMIT_FSIZE, inherited by
    the writer, which the kernel kills at the limit): the big CSV is still answered in
    full (streamed), and nothing of it is left on disk."""
    from dashboards.hub import wholefiles

    path = _copy(warehouse, tmp_path / "limited")
    with duckdb.connect(str(path), read_only=True) as con:
        rows, = con.execute("SELECT rows FROM meta.datasets WHERE dataset_id = ?",
                            [BIG]).fetchone()
    assert rows >= wholefiles.MIN_ROWS  # a whole file, written by a child the kernel kills
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
    try:
        server = Server(path, workers=1, log=tmp_path / "gunicorn.log")
        server.start()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    try:
        reply = get(f"{server.url}/download/{BIG}.csv")
        streamed = get(f"{server.url}/download/{BIG}.csv?sort=")
        assert len(streamed.content) > 1 << 20
        assert reply.status_code == 200 and reply.content == streamed.content
        assert "Accept-Ranges" not in reply.headers
        files = path.with_name("warehouse.downloads")
        assert [p.name for p in _files(files)] == []
        again = get(f"{server.url}/download/{BIG}.csv")  # tried again, streamed again
        assert again.content == streamed.content and [p.name for p in _files(files)] == []
        assert "not kept on disk" in (tmp_path / "gunicorn.log").read_text()
    finally:
        server.stop()


STATION_AT = datetime(2024, 1, 1, 0, 4)


def test_after_a_live_batch_the_download_has_the_new_rows(warehouse, tmp_path):
    path = _copy(warehouse, tmp_path / "live")
    server = Server(path, workers=1).start()
    try:
        url = f"{server.url}/download/{BIG}.csv"
        before = get(url)
        old_files = _files(path.with_name("warehouse.downloads"))
        assert [p.name for p in old_files] == [f"{BIG}.csv"]
        with duckdb.connect(str(path), read_only=True) as con:
            stations = [r[0] for r in con.execute(
                "SELECT station_id FROM mart.mobility_station_status_latest").fetchall()]
        batch = tmp_path / "batch" / "mobility" / "station_status" / "live-1.csv"
        batch.parent.mkdir(parents=True)
        stamp = STATION_AT.isoformat() + "Z"
        batch.write_text("station_id,last_reported,num_vehicles_available,"
                         "num_docks_available,is_installed,is_renting,is_returning\n"
                         + "".join(f"{s},{stamp},1,1,true,true,true\n" for s in stations))
        done = subprocess.run([str(BIN / "ponmetro"), "ingest", "--warehouse", str(path),
                               str(batch)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 60
        after = get(url)
        while after.headers["ETag"] == before.headers["ETag"] and time.monotonic() < deadline:
            time.sleep(0.5)
            after = get(url)
        assert after.headers["ETag"] != before.headers["ETag"]
        assert after.headers["Accept-Ranges"] == "bytes"  # a file again, a new one
        assert b'"2024-01-01T00:00:00"' in after.content
        assert b'"2024-01-01T00:00:00"' not in before.content
        assert after.content == get(url, params={"sort": ""}).content
        table = _query_layer(path, BIG)
        assert pl.read_csv(io.BytesIO(after.content)).height == table.height
        assert get(url, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
        assert all(not p.exists() for p in old_files)  # the earlier version was removed
        assert [p.name for p in _files(path.with_name("warehouse.downloads"))] == [f"{BIG}.csv"]
    finally:
        server.stop()


def test_the_writer_refuses_when_the_data_moved(warehouse, tmp_path):
    from dashboards.hub import wholefiles

    out = tmp_path / "out.csv"
    code, _ = wholefiles.write("nil", "csv", "", out, "not-the-served-version")
    assert code == wholefiles.MOVED and not out.exists()
    assert wholefiles.write("nope", "csv", "", out, "x")[0] == 2
    child = subprocess.run([str(BIN / "python"), "-m", "dashboards.hub.wholefiles", "nil",
                            "csv", "", str(out), "not-the-served-version"],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == wholefiles.MOVED and "changed" in child.stderr
    assert not out.exists()


def test_sweep_keeps_the_current_version_and_any_being_written(tmp_path, monkeypatch):
    import fcntl

    from dashboards.hub import wholefiles

    monkeypatch.setenv("PONMETRO_DOWNLOADS_DIR", str(tmp_path))
    for key in ("now", "old", "writing", "orphan"):
        (tmp_path / key).mkdir()
        (tmp_path / key / "nil.csv").write_text("x")
    for key in ("now", "old", "writing"):
        (tmp_path / f"{key}.lock").touch()
    with open(tmp_path / "writing.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_SH)  # as a writer holds it
        wholefiles.sweep(keep="now")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "now", "now.lock", "writing", "writing.lock"]
