"""Download throughput and server memory: the largest published table, three formats.

One gunicorn worker serves the download so the kernel's peak-RSS mark of that
process (reset just before the request) is the download's memory. The client
reads 1 MiB chunks and throws them away, as a fast consumer would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import procs
from bench.report import Report

TARGET_MB_S = 100.0
TARGET_RSS_MB = 300.0
XLSX_ROWS = 1_000_000  # one Excel sheet; the full table would be ten sheets


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
    first = None
    total = 0
    with requests.get(url, stream=True, timeout=1800) as resp:
        for chunk in resp.iter_content(1 << 20):
            if first is None:
                first = time.perf_counter() - start
            total += len(chunk)
        status = resp.status_code
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak = procs.peak_rss_mb(worker) if reset else max(sampled)
    return Transfer(status, total, seconds, first or seconds, peak, idle)


def run(warehouse: Path, workdir: Path, env: dict[str, str], rep: Report,
        xlsx_rows: int = XLSX_ROWS) -> None:
    dataset, table, rows = largest_dataset(warehouse)
    with procs.Gunicorn(warehouse, workdir / "gunicorn-downloads.log", workers=1,
                        env=env) as server:
        worker = server.worker_pids()[0]
        requests.get(server.url + "/healthz", timeout=30)
        xlsx_filter = _cutoff(warehouse, table, xlsx_rows) if rows > xlsx_rows else None
        plans = [("csv", "", rows), ("parquet", "", rows),
                 ("xlsx", f"?{xlsx_filter}" if xlsx_filter else "",
                  xlsx_rows if xlsx_filter else rows)]
        for fmt, query, n in plans:
            t = fetch(f"{server.url}/download/{dataset}.{fmt}{query}", worker)
            if t.status != 200:
                rep.error("downloads", f"{dataset}.{fmt}{query}: HTTP {t.status}")
                continue
            scope = f"{dataset}.{fmt}, {'~' if query else ''}{n:,} rows"
            is_csv = fmt == "csv"
            rep.add("downloads", f"{scope}: throughput", t.mb_s, "MB/s",
                    target=f">= {TARGET_MB_S:g} MB/s" if is_csv else "",
                    met=(t.mb_s >= TARGET_MB_S) if is_csv else None,
                    note=f"{t.bytes / 1e6:,.0f} MB in {t.seconds:.1f} s")
            rep.add("downloads", f"{scope}: rows per second", n / t.seconds, "rows/s")
            rep.add("downloads", f"{scope}: time to first byte", t.first_byte_s * 1000, "ms")
            rep.add("downloads", f"{scope}: worker peak RSS", t.peak_mb, "MB",
                    baseline=t.idle_mb, ratio=t.peak_mb / t.idle_mb if t.idle_mb else None,
                    target=f"<= {TARGET_RSS_MB:g} MB" if is_csv else "",
                    met=(t.peak_mb <= TARGET_RSS_MB) if is_csv else None,
                    note="baseline = worker RSS before the request")
