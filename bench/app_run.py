"""The sections that need the app: browser, callbacks, cache, downloads, peer, load."""

from __future__ import annotations

import gzip
import os
import sys
import time
import traceback
from pathlib import Path

import requests

from bench import browser, caching, callbacks, downloads, lighthouse, load, peer, procs
from bench.naive import Naive
from bench.report import Report

#: Issue 14: first chart or map within 1.5 s cold, and a chart page within 800 kB on the wire.
FIRST_VISUAL_TARGET_MS = 1500
CHART_PAGE_TARGET_KB = 800


def page_paths(warehouse: Path) -> list[str]:
    """Every registered page without URL variables (those need an id to be opened)."""
    os.environ["PONMETRO_WAREHOUSE"] = str(warehouse)
    os.environ["PONMETRO_CACHE_TYPE"] = "null"
    import dash

    import dashboards.app  # noqa: F401 - registers the pages

    con = procs.open_warehouse(warehouse)
    try:
        dataset = con.execute("SELECT dataset_id FROM meta.datasets ORDER BY rows DESC "
                              "LIMIT 1").fetchall()
    finally:
        con.close()
    examples = {"axis_id": "2", "code": "MI2.2.3.a",
                "dataset_id": dataset[0][0] if dataset else None}
    paths = []
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if not template:
            if page["path"] != "/404":
                paths.append(page["path"])
            continue
        path = template
        for name, value in examples.items():
            if value is not None:
                path = path.replace(f"<{name}>", value)
        if "<" not in path:
            paths.append(path)
    return sorted(paths)


def run_all(args, sections: list[str], warehouse: Path, workdir: Path, rep: Report) -> None:
    paths = page_paths(warehouse)
    from dashboards.app import server as flask_server

    visits, cbs = [], []
    if set(sections) & {"render", "callbacks", "cache", "load"}:
        null_env = {"PONMETRO_CACHE_TYPE": "null"}
        with procs.Gunicorn(warehouse, workdir / "gunicorn-null.log", workers=2,
                            env=null_env) as app:
            def record() -> None:
                # as a server up for a minute: it sends the brotli-11 copies (precompress)
                browser.warm_static(app.url, paths, workers=2)
                visits.extend(browser.visit_pages(app.url, paths, cold=not args.smoke))
                cbs.extend(callbacks.unique_payloads(visits))
                if "render" in sections:
                    render_rows(app.url, visits, rep)

            section(rep, "render", record)

            def time_callbacks() -> None:
                callbacks.trace(flask_server, cbs)
                callbacks.time_in_turns(app.url, warehouse, cbs, args.repeats)
                landing = workdir / f"landing-{args.scale}"
                if landing.exists():
                    callbacks.time_naive(Naive(landing, warehouse), cbs)
                else:
                    rep.error("callbacks", f"no landing files at {landing}: no pandas baseline")
                callbacks.report(cbs, rep)

            if "callbacks" in sections or "cache" in sections:
                section(rep, "callbacks", time_callbacks)
    if "cache" in sections:
        section(rep, "cache", caching.run, warehouse, workdir, cbs, rep,
                *((3, 3) if args.smoke else ()))
    if "downloads" in sections:
        section(rep, "downloads", downloads.run, warehouse, workdir,
                 {"PONMETRO_CACHE_DIR": str(workdir / "cache-dl")}, rep,
                 *((20_000,) if args.smoke else ()))
    if "peer" in sections:
        # the production cache: it keeps the catalogue, never an API answer or a CSV
        section(rep, "peer", peer.run, warehouse, workdir,
                {"PONMETRO_CACHE_TYPE": "filesystem",
                 "PONMETRO_CACHE_DIR": str(workdir / "cache-peer")}, rep, args.repeats)
    if "load" in sections:
        def run_load() -> None:
            # One address plays every client here, so the per-client rate limit (tested in
            # tests/reliability) would answer most of them 429: capacity is measured without.
            env = {"PONMETRO_CACHE_TYPE": "filesystem",
                   "PONMETRO_CACHE_DIR": str(workdir / "cache-load"),
                   "PONMETRO_RATE_LIMIT": "off"}
            with procs.Gunicorn(warehouse, workdir / "gunicorn-load.log", workers=2,
                                env=env) as app:
                reqs = load.mix(app.url, paths, [(cb.url_path, cb.payload) for cb in cbs])
                with requests.Session() as http:  # one warm pass, as in production
                    for method, path, headers, body in reqs:
                        http.request(method, app.url + path, headers=headers, data=body,
                                     timeout=300)
                load.run(app.url, reqs, args.clients, args.duration, workdir, rep,
                         workers=2)

        section(rep, "load", run_load)
    if "lighthouse" in sections:
        section(rep, "lighthouse", lighthouse.run, warehouse, workdir, rep, args.smoke)


def render_rows(base: str, visits: list[browser.PageVisit], rep: Report) -> None:
    """Per page: first visual against its target (baseline: network idle), bytes against
    the chart-page budget (baseline: the same page with plotly's full bundle instead)."""
    full_kb = _full_plotly_kb()
    for v in visits:
        charts = v.first_visual_ms is not None
        rep.add("render", f"{v.path}: first chart or map", v.first_visual_ms, "ms",
                baseline=v.settled_ms if charts else None,
                target=f"<= {FIRST_VISUAL_TARGET_MS} ms" if charts else "",
                met=v.first_visual_ms <= FIRST_VISUAL_TARGET_MS if charts else None,
                note="baseline: network idle" if charts else "no chart or map")
        rep.add("render", f"{v.path}: network idle", v.settled_ms, "ms")
        kb = v.transfer_bytes / 1e3
        with_full = None
        if v.plotly_transfer_bytes and full_kb:
            with_full = kb - v.plotly_transfer_bytes / 1e3 + full_kb
        rep.add("render", f"{v.path}: bytes transferred", kb, "kB",
                baseline=with_full,
                target=f"<= {CHART_PAGE_TARGET_KB} kB" if charts else "",
                met=kb <= CHART_PAGE_TARGET_KB if charts else None,
                note=f"{v.requests} requests, {v.decoded_bytes / 1e3:,.0f} kB decoded"
                     + ("; baseline: with plotly's full bundle" if with_full else ""))
        for e in v.errors[:3]:
            rep.error("render", f"{v.path}: {e}")
    if not visits:
        return
    first = visits[0]
    rep.add("render", "plotly.js transferred", first.plotly_transfer_bytes / 1e3, "kB",
            note=f"{first.plotly_decoded_bytes / 1e3:,.0f} kB decoded")
    url = next((v.plotly_url for v in visits if v.plotly_url), None)
    if url:
        _compression_rows(url, rep)


def _full_plotly_kb() -> float | None:
    """plotly's full bundle (what Dash would load) brotli-compressed, for the baseline."""
    try:
        from importlib.resources import files

        import brotli

        raw = files("plotly").joinpath("package_data/plotly.min.js").read_bytes()
    except (ImportError, FileNotFoundError):
        return None
    return len(brotli.compress(raw, quality=11)) / 1e3


def _compression_rows(url: str, rep: Report) -> None:
    """Is the app compressing its JS? What would gzip save on plotly.js?"""
    resp = requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=60, stream=True)
    raw = resp.raw.read()
    encoding = resp.headers.get("Content-Encoding", "identity")
    body = gzip.decompress(raw) if encoding == "gzip" else raw
    rep.add("render", f"plotly.js as served ({encoding})", len(raw) / 1e3, "kB")
    rep.add("render", "plotly.js if gzip-compressed", len(gzip.compress(body, 6)) / 1e3, "kB",
            baseline=len(body) / 1e3)


def section(rep: Report, name: str, fn, *args) -> None:
    start = time.perf_counter()
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - every section must report, not abort
        traceback.print_exc(file=sys.stderr)
        rep.error(name, f"{type(exc).__name__}: {exc}")
    print(f"[bench] {name} done in {time.perf_counter() - start:.0f} s", file=sys.stderr,
          flush=True)

