"""Download throughput and server memory: the largest published table.

One gunicorn worker serves the downloads, so the kernel's peak-RSS mark of that process
(reset just before each request) is the download's memory; the worker's RSS before the
request is the memory baseline. The client reads 4 MiB chunks and throws them away, as a
fast consumer would, and asks for no compression (the server's own cost is measured;
compression is the proxy's or the client's choice).

* Whole CSV and Parquet: sent from the file written once per data version
  (``dashboards/hub/wholefiles.py``), warm, median of ``REPEATS``; the baseline is the same
  bytes through the streamed path (``?sort=``, which changes nothing in them), and the
  first request, which writes the file, is reported too.
* Filtered CSV: a range filter keeping about ``FILTERED_SHARE`` of the rows (streamed).
* XLSX: rows per second up to one sheet; past one sheet the download answers 422 at once.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import procs
from bench.report import Report

WHOLE_MB_S = 300.0
FILTERED_MB_S = 100.0
TARGET_RSS_MB = 300.0
XLSX_ROWS = 1_000_000  # about one Excel sheet (1,048,575 rows)
XLSX_SHEET_ROWS = 1_048_575
FILTERED_SHARE = 0.9
REPEATS = 5
PLAIN = {"Accept-Encoding": "identity"}


@dataclass
class Transfer:
    status: int
    bytes: int
    seconds: float
    first_byte_s: float
    peak_mb: float
    idle_mb: float

    @property
    def mb_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


def largest_dataset(warehouse: Path) -> tuple[str, str, int]:
    """(dataset id, table, rows) of the biggest published dataset in this build."""
    con = procs.open_warehouse(warehouse)
    try:
        return con.execute("SELECT dataset_id, table_name, rows FROM meta.datasets "
                           "ORDER BY rows DESC LIMIT 1").fetchall()[0]
    finally:
        con.close()


def _cutoff(warehouse: Path, table: str, rows: int) -> str | None:
    """A value of the table's first ordering column below which about ``rows`` rows lie."""
    con = procs.open_warehouse(warehouse)
    try:
        order = con.execute("SELECT order_by FROM meta.datasets WHERE table_name = ?",
                            [table]).fetchall()[0][0]
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' "
            "|| table_name = ? ORDER BY ordinal_position", [table]).fetchall()]
        column = next((c for c in (order or []) if c in cols and c.endswith(
            ("hour", "date", "month"))), None)
        if column is None:
            return None
        row = con.execute(f"SELECT {column} FROM {table} ORDER BY {column} "  # noqa: S608
                          f"LIMIT 1 OFFSET ?", [rows]).fetchall()
        return f"{column}__lt={row[0][0].isoformat()}" if row else None
    finally:
        con.close()


def fetch(url: str, worker: int) -> Transfer:
    """GET ``url`` to the end; peak RSS of ``worker`` during the transfer."""
    idle = procs.rss_mb(worker)
    reset = procs.reset_peak(worker)
    sampled = [idle]
    done = threading.Event()

    def sample() -> None:  # fallback when the kernel refuses to reset the mark
        while not done.wait(0.05):
            try:
                sampled.append(procs.rss_mb(worker))
            except OSError:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    with requests.get(url, stream=True, timeout=1800, headers=PLAIN) as resp:
        # gunicorn sends the headers with the first body bytes: the time to first byte
        first = time.perf_counter() - start
        total = 0
        for chunk in resp.iter_content(4 << 20):
            total += len(chunk)
        status = resp.status_code
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak = procs.peak_rss_mb(worker) if reset else max(sampled)
    return Transfer(status, total, seconds, first, peak, idle)


def _after_first_byte(t: Transfer) -> float:
    """The body's own rate, without the request handling before it (small files)."""
    body_s = t.seconds - t.first_byte_s
    return t.bytes / 1e6 / body_s if body_s > 0 else 0.0


def _median(transfers: list[Transfer]) -> Transfer:
    return sorted(transfers, key=lambda t: t.seconds)[len(transfers) // 2]


def _verdict(value: float, target: float, at_least: bool) -> dict:
    sign = ">=" if at_least else "<="
    unit = "MB/s" if at_least else "MB"
    return {"target": f"{sign} {target:g} {unit}",
            "met": value >= target if at_least else value <= target}


def _whole(server: procs.Gunicorn, worker: int, dataset: str, fmt: str
           ) -> tuple[Transfer, Transfer]:
    """One whole-table format: the first request (writes the file), then warm sends."""
    url = f"{server.url}/download/{dataset}.{fmt}"
    first = fetch(url, worker)
    return first, _median([fetch(url, worker) for _ in range(REPEATS)])


def _report_whole(dataset: str, fmt: str, first: Transfer, warm: Transfer,
                  streamed: Transfer, rep: Report) -> None:
    if {first.status, warm.status, streamed.status} != {200}:
        rep.error("downloads", f"{dataset}.{fmt}: HTTP {first.status}/{warm.status}/"
                               f"{streamed.status}")
        return
    if fmt == "csv" and streamed.bytes != warm.bytes:  # Parquet row groups follow batches
        rep.error("downloads", f"{dataset}.{fmt}: the file holds {warm.bytes} bytes, the "
                               f"stream {streamed.bytes}")
    scope = f"{dataset}.{fmt} whole file ({warm.bytes / 1e6:,.1f} MB)"
    rep.add("downloads", f"{scope}: throughput", warm.mb_s, "MB/s", baseline=streamed.mb_s,
            ratio=warm.mb_s / streamed.mb_s if streamed.mb_s else None,
            **_verdict(warm.mb_s, WHOLE_MB_S, True),
            note=f"median of {REPEATS}; {_after_first_byte(warm):,.0f} MB/s after the first "
                 f"byte; baseline = the same rows streamed (?sort=)")
    rep.add("downloads", f"{scope}: time to first byte", warm.first_byte_s * 1000, "ms",
            baseline=streamed.first_byte_s * 1000, note="baseline = streamed")
    rep.add("downloads", f"{scope}: worker peak RSS", warm.peak_mb, "MB",
            baseline=warm.idle_mb, ratio=warm.peak_mb / warm.idle_mb if warm.idle_mb else None,
            **_verdict(warm.peak_mb, TARGET_RSS_MB, False),
            note=f"baseline = worker RSS before the request; streamed: peak "
                 f"{streamed.peak_mb:,.0f} MB from {streamed.idle_mb:,.0f} MB")
    rep.add("downloads", f"{scope}: first request (writes the file)", first.seconds * 1000,
            "ms", note=f"once per data version, by a child process; worker peak RSS "
                       f"{first.peak_mb:,.0f} MB")


def run(warehouse: Path, workdir: Path, env: dict[str, str], rep: Report,
        xlsx_rows: int = XLSX_ROWS) -> None:
    dataset, table, rows = largest_dataset(warehouse)
    files = workdir / "downloads"
    shutil.rmtree(files, ignore_errors=True)  # the first request writes them in this run
    env = {"PONMETRO_DOWNLOADS_DIR": str(files), **env}
    with procs.Gunicorn(warehouse, workdir / "gunicorn-downloads.log", workers=1,
                        env=env) as server:
        worker = server.worker_pids()[0]
        requests.get(server.url + "/healthz", timeout=30)
        # Files first: streaming grows the worker for good (DuckDB and Arrow buffers).
        sent = {fmt: _whole(server, worker, dataset, fmt) for fmt in ("csv", "parquet")}
        # Filtered before the streamed baselines, which grow the worker.
        kept = int(rows * FILTERED_SHARE)
        cutoff = _cutoff(warehouse, table, kept)
        filtered = fetch(f"{server.url}/download/{dataset}.csv?{cutoff}", worker) \
            if cutoff else None
        for fmt, (first, warm) in sent.items():
            streamed = fetch(f"{server.url}/download/{dataset}.{fmt}?sort=", worker)
            _report_whole(dataset, fmt, first, warm, streamed, rep)
        if filtered is None:
            rep.error("downloads", f"{dataset}: no time column to filter on")
        else:
            t, scope = filtered, f"{dataset}.csv filtered ({cutoff}, ~{kept:,} rows)"
            rep.add("downloads", f"{scope}: throughput", t.mb_s, "MB/s",
                    **_verdict(t.mb_s, FILTERED_MB_S, True),
                    note=f"{t.bytes / 1e6:,.1f} MB in {t.seconds:.2f} s, streamed; first "
                         f"byte {t.first_byte_s * 1000:,.0f} ms, then "
                         f"{_after_first_byte(t):,.0f} MB/s")
            rep.add("downloads", f"{scope}: worker peak RSS", t.peak_mb, "MB",
                    baseline=t.idle_mb, ratio=t.peak_mb / t.idle_mb if t.idle_mb else None,
                    **_verdict(t.peak_mb, TARGET_RSS_MB, False),
                    note="baseline = worker RSS before the request")

        xlsx_filter = _cutoff(warehouse, table, xlsx_rows) if rows > xlsx_rows else None
        n = xlsx_rows if xlsx_filter else rows
        t = fetch(f"{server.url}/download/{dataset}.xlsx"
                  + (f"?{xlsx_filter}" if xlsx_filter else ""), worker)
        rate = n / t.seconds
        if t.status != 200:
            rep.error("downloads", f"{dataset}.xlsx: HTTP {t.status}")
        else:
            scope = f"{dataset}.xlsx, {'~' if xlsx_filter else ''}{n:,} rows"
            rep.add("downloads", f"{scope}: rows per second", rate, "rows/s",
                    note=f"{t.bytes / 1e6:,.1f} MB in {t.seconds:.1f} s")
            rep.add("downloads", f"{scope}: worker peak RSS", t.peak_mb, "MB",
                    baseline=t.idle_mb, ratio=t.peak_mb / t.idle_mb if t.idle_mb else None,
                    note="baseline = worker RSS before the request")
        if rows > XLSX_SHEET_ROWS:
            t = fetch(f"{server.url}/download/{dataset}.xlsx", worker)
            rep.add("downloads", f"{dataset}.xlsx, {rows:,} rows (past one sheet): answer",
                    t.seconds * 1000, "ms", target="422 with CSV/Parquet links",
                    met=t.status == 422, note=f"HTTP {t.status}; writing it would take "
                    f"~{rows / rate:,.0f} s at the rate above")
