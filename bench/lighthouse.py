"""``--only lighthouse``: Lighthouse (npm, mobile defaults, Debian chromium) on the public
pages and the Dash dashboards, each category score beside its target.

The public pages (server-rendered) aim at performance >= 90 and 100 in accessibility,
best practices and SEO; the Dash dashboards at performance >= 60 and SEO 100. Scores are
benchmark figures of one machine, not timed tests.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

import requests

from bench import procs
from bench.report import Report

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PUBLIC_TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 100}
#: The dashboards' first response carries their head and first screen (dashboards.shell).
DASHBOARD_TARGETS = {"performance": 60, "seo": 100}
DASHBOARDS = ("/", "/axis/1", "/axis/2", "/axis/3", "/axis/4", "/housing", "/social",
              "/mobility")
RUNS = 3


def public_pages(warehouse: Path) -> tuple[str, ...]:
    """The four public pages; the dataset page of the largest dataset (the longest preview)."""
    con = procs.open_warehouse(warehouse)
    try:
        largest = con.execute("SELECT dataset_id FROM meta.datasets ORDER BY rows DESC "
                              "LIMIT 1").fetchone()[0]
    finally:
        con.close()
    return ("/data", f"/data/{largest}", "/projects/MI4.1.1.c", "/reporting")


def audit(url: str, out: Path) -> dict[str, float]:
    """One Lighthouse run (mobile emulation and simulated throttling: its defaults)."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError("npm lighthouse missing: run `make test-deps` (npm ci)")
    env = {**os.environ, "CHROME_PATH": CHROME}
    done = subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
         "--only-categories=" + ",".join(CATEGORIES),
         "--chrome-flags=--headless=new --no-sandbox --disable-dev-shm-usage"],
        env=env, timeout=300, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse exited {done.returncode}: "
                           + " ".join(done.stderr.strip().splitlines()[-2:])[:300])
    report = json.loads(out.read_text("utf-8"))
    return {k: round(v["score"] * 100) for k, v in report["categories"].items()
            if v.get("score") is not None}


def median_scores(url: str, out: Path, runs: int) -> dict[str, float]:
    """The median of ``runs`` audits per category (Lighthouse's advice for noisy machines);
    a run that fails (Chromium not answering in time on a loaded machine) is retried once."""
    results, failures = [], []
    for _ in range(runs):
        for _attempt in range(2):
            try:
                results.append(audit(url, out))
                break
            except (subprocess.SubprocessError, RuntimeError, ValueError) as exc:
                failures.append(str(exc))
    if not results:
        raise RuntimeError(failures[-1])
    return {k: statistics.median(r[k] for r in results if k in r) for k in results[0]}


def run(warehouse: Path, workdir: Path, rep: Report, smoke: bool = False) -> None:
    """Every page, median of three runs (smoke: one run of the catalogue and the overview,
    to keep CI short)."""
    env = {"PONMETRO_CACHE_TYPE": "filesystem",
           "PONMETRO_CACHE_DIR": str(workdir / "cache-lighthouse")}
    public = public_pages(warehouse)[:1] if smoke else public_pages(warehouse)
    pages = [(p, PUBLIC_TARGETS) for p in public] + \
        [(p, DASHBOARD_TARGETS) for p in (DASHBOARDS[:1] if smoke else DASHBOARDS)]
    with procs.Gunicorn(warehouse, workdir / "gunicorn-lighthouse.log", workers=2,
                        env=env) as app, tempfile.TemporaryDirectory() as tmp:
        for path, targets in pages:
            requests.get(app.url + path, timeout=300)  # warm the query cache, as in production
            try:
                scores = median_scores(app.url + path, Path(tmp) / "report.json",
                                       1 if smoke else RUNS)
            except (subprocess.SubprocessError, RuntimeError, ValueError) as exc:
                rep.error("lighthouse", f"{path}: {exc}")
                continue
            for category in CATEGORIES:
                target = targets.get(category)
                value = scores.get(category)
                rep.add("lighthouse", f"{path}: {category}", value, "score",
                        note="" if smoke else f"median of {RUNS} runs",
                        target=f">= {target}" if target else "",
                        met=None if target is None or value is None else value >= target)
