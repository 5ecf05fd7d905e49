"""Dash callbacks three ways in one run: through gunicorn, bare DuckDB, naive pandas.

* server time: ``POST /_dash-update-component`` with the exact bodies Chromium
  sent for each page, against a real gunicorn whose cache is off (``null``), so
  every call runs its queries; timed on loopback from a keep-alive client.
* bare query: the statements that callback issued (traced in-process through
  the warehouse door) run directly on a read-only DuckDB connection, in turns with
  the server's calls (:func:`time_in_turns`).
* naive: :mod:`bench.naive` recomputes the marts those statements read with pandas.
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import procs
from bench.naive import RECOMPUTED, Naive, tables_in
from bench.report import Report

CALLBACK_PATH = "/_dash-update-component"
MAX_OVERHEAD = 2.0
MIN_SPEEDUP = 10.0
#: Callbacks that only mirror the URL or redraw the frame: no query, answered at once.
NOOP_MAX_MS = 10.0


@dataclass
class Callback:
    page: str
    query: str
    payload: dict
    statements: list[tuple[str, Any]] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    naive_s: float | None = None
    naive_kind: str = ""
    failures: int = 0

    @property
    def url_path(self) -> str:
        return CALLBACK_PATH + (f"?{self.query}" if self.query else "")

    @property
    def noop(self) -> bool:
        """The frame callback or a URL <-> filter sync (``*-url.search``)."""
        out = str(self.payload.get("output", ""))
        return "frame-header.children" in out or "-url.search" in out

    @property
    def label(self) -> str:
        out = str(self.payload.get("output", "?")).strip(".")
        first = out.split("...")[0]
        return f"{self.page} {first}"[:60]


def unique_payloads(visits) -> list[Callback]:
    """One Callback per distinct body, in the order the browser first sent it."""
    seen: set[str] = set()
    out = []
    for visit in visits:
        for sent in visit.payloads:
            key = json.dumps(sent["body"], sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append(Callback(visit.path, sent["query"], sent["body"]))
    return out


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def timed_post(http: requests.Session, url: str, cb: Callback) -> tuple[bool, float]:
    """Send one recorded callback body: (answered OK, milliseconds)."""
    start = time.perf_counter()
    resp = http.post(url + cb.url_path, json=cb.payload, timeout=300)
    return resp.status_code in (200, 204), (time.perf_counter() - start) * 1000


@contextmanager
def _recording(sink: list):
    """Record every (sql, params) the query layer sends through the warehouse door."""
    from dashboards import warehouse

    original = warehouse.query

    def recorder(sql, params=None):
        sink.append((sql, params))
        return original(sql, params)

    warehouse.query = recorder
    try:
        yield
    finally:
        warehouse.query = original


def trace(server, callbacks: list[Callback]) -> None:
    """Run each callback in-process (cache off) to learn the statements it issues."""
    client = server.test_client()
    for cb in callbacks:
        with _recording(cb.statements):
            client.post(cb.url_path, json=cb.payload)


def _bare(con, cb: Callback) -> float:
    """Milliseconds for the statements ``cb`` issued, run directly on ``con``."""
    start = time.perf_counter()
    for sql, params in cb.statements:
        con.sql(sql, params=params or None).pl()
    return (time.perf_counter() - start) * 1000


def time_in_turns(url: str, warehouse: Path, callbacks: list[Callback], repeats: int) -> None:
    """Each body through the server and its statements bare, in turns, ``repeats`` times
    after one warm-up of each: a load spike or a slower minute then hits both sides of a
    ratio alike (timed one side after the other, round five's full run read ``/social``
    at 2.2x and a rerun at 1.3x: its bare SQL's p95 moved from 22 to 40 ms)."""
    con = procs.open_warehouse(warehouse)
    try:
        with requests.Session() as http:
            for cb in callbacks:
                for i in range(repeats + 1):
                    ok, elapsed = timed_post(http, url, cb)
                    if not ok:
                        cb.failures += 1
                    elif i:
                        cb.server_ms.append(elapsed)
                    if cb.statements:
                        bare = _bare(con, cb)
                        if i:
                            cb.bare_ms.append(bare)
    finally:
        con.close()


def time_naive(naive: Naive, callbacks: list[Callback]) -> None:
    for cb in callbacks:
        tables = set().union(*(tables_in(sql) for sql, _ in cb.statements)) \
            if cb.statements else set()
        if tables:
            cb.naive_s = naive.cost(tables)
            cb.naive_kind = naive.kind(tables)


def report(callbacks: list[Callback], rep: Report) -> None:
    overheads, speedups, noops = [], [], []
    for cb in callbacks:
        server, bare = p95(cb.server_ms), p95(cb.bare_ms)
        if cb.failures:
            rep.add("callbacks", f"{cb.label}: failed requests", cb.failures, "req",
                    target="0", met=False)
        if server is None:
            continue
        if bare is None:
            if cb.noop:
                noops.append(server)
                rep.add("callbacks", f"{cb.label}: p95 server, no-op (no SQL)", server, "ms",
                        target=f"<= {NOOP_MAX_MS:g} ms", met=server <= NOOP_MAX_MS)
            else:
                rep.add("callbacks", f"{cb.label}: p95 server (no SQL)", server, "ms")
            continue
        overhead = server / bare
        overheads.append(overhead)
        rep.add("callbacks", f"{cb.label}: p95 server vs bare SQL", server, "ms",
                baseline=bare, ratio=overhead, target=f"<= {MAX_OVERHEAD:g}x",
                met=overhead <= MAX_OVERHEAD,
                note=f"{len(cb.statements)} statements")
        if cb.naive_s is not None:
            speedup = cb.naive_s * 1000 / server
            if cb.naive_kind == RECOMPUTED:
                speedups.append(speedup)
            telemetry = cb.naive_kind == RECOMPUTED
            rep.add("callbacks", f"{cb.label}: p95 server vs pandas", server, "ms",
                    baseline=cb.naive_s * 1000, ratio=speedup,
                    target=f">= {MIN_SPEEDUP:g}x" if telemetry else "",
                    met=speedup >= MIN_SPEEDUP if telemetry else None,
                    note=cb.naive_kind)
    rep.add("callbacks", "callbacks measured (distinct bodies from the pages)",
            len(callbacks), "callbacks")
    if overheads:
        worst = max(overheads)
        rep.add("callbacks", "worst p95 server / bare SQL", worst, "x",
                target=f"<= {MAX_OVERHEAD:g}x", met=worst <= MAX_OVERHEAD)
    if noops:
        rep.add("callbacks", "worst no-op callback p95 (frame, URL sync)", max(noops), "ms",
                target=f"<= {NOOP_MAX_MS:g} ms", met=max(noops) <= NOOP_MAX_MS)
    if speedups:
        least = min(speedups)
        rep.add("callbacks", "least speed-up over pandas (telemetry callbacks)", least, "x",
                target=f">= {MIN_SPEEDUP:g}x", met=least >= MIN_SPEEDUP)
