"""ETL throughput: the real ``ponmetro build`` in a child process, timed, peak RSS kept.

Generation of the demo landing files is not the ETL and is timed separately;
the build (validate, load staging, build marts, publish) is what a city runs
nightly on real feeds, so that is the rows/s figure. With ``--etl-scales`` the build
runs at several scales and the growth exponent says how time grows with rows.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench.procs import BIN
from bench.report import Report

#: Landing contracts that are telemetry (grow with time, not with the programme).
TELEMETRY = ("mobility_station_status", "mobility_spot_status", "mobility_trips")
TARGET_ROWS_S = 2_000_000
TARGET_RSS_MB = 4 * 1024

_GENERATE = """
import sys
from etl.demo import generate
generate(sys.argv[1], seed=42, scale=int(sys.argv[2]))
"""


def _run(argv: list[str], log: Path) -> tuple[float, float]:
    """Run ``argv``; return (seconds, peak RSS MB) of that child, from wait4."""
    start = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise RuntimeError(f"{Path(argv[1]).name} failed ({proc.returncode}): {tail[0]}")
    return seconds, usage.ru_maxrss / 1024


def landing(scale: int, workdir: Path, report: Report, prefix: str = "") -> Path:
    """Demo landing files at ``scale``, reused when a previous run left them complete."""
    out = workdir / f"landing-{scale}"
    if (out / "manifest.json").exists():
        return out
    seconds, peak = _run([sys.executable, "-c", _GENERATE, str(out), str(scale)],
                         workdir / "generate.log")
    report.add("etl", prefix + "demo generation time (not the ETL)", seconds, "s",
               note=f"peak RSS {peak:.0f} MB")
    return out


@dataclass(frozen=True)
class Build:
    """One timed ``ponmetro build``: what it read, how long, how much memory."""

    scale: int
    rows: dict[str, int]  # landing rows per contract
    seconds: float
    peak_mb: float
    landing_mb: float

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def telemetry(self) -> int:
        return sum(self.rows.get(c, 0) for c in TELEMETRY)


def growth_exponent(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(time) on log(rows): 1 is linear, 2 quadratic.

    Raises ValueError unless there are two different row counts, all positive."""
    if any(n <= 0 or t <= 0 for n, t in points):
        raise ValueError("rows and times must be positive")
    if len({n for n, _ in points}) < 2:
        raise ValueError("need builds of at least two different sizes")
    xs, ys = zip(*((math.log(n), math.log(t)) for n, t in points), strict=True)
    return statistics.linear_regression(xs, ys).slope


def build(landing_dir: Path, warehouse: Path, workdir: Path, report: Report,
          scale: int | None = None) -> Build:
    """Time ``ponmetro build --landing`` and report rows/s overall and for telemetry;
    a ``scale`` names the figures when several scales are reported."""
    prefix = "" if scale is None else f"scale {scale}: "
    seconds, peak = _run([str(BIN / "ponmetro"), "build", "--landing", str(landing_dir),
                          "--warehouse", str(warehouse), "--quiet"], workdir / "build.log")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = {c: int(n) for c, n in con.execute("SELECT contract, sum(rows) FROM "
                                                  "meta.sources GROUP BY ALL").fetchall()}
    finally:
        con.close()
    size = sum(f.stat().st_size for f in landing_dir.rglob("*") if f.is_file())
    b = Build(report.scale if scale is None else scale, rows, seconds, peak, size / 2**20)
    report.add("etl", prefix + "landing rows (all contracts)", b.total, "rows",
               note=f"{b.landing_mb:,.0f} MB of landing files")
    report.add("etl", prefix + "telemetry rows (" + ", ".join(
        c.split("_", 1)[1] for c in TELEMETRY) + ")", b.telemetry, "rows")
    report.add("etl", prefix + "build wall time", seconds, "s")
    rate = b.telemetry / seconds if seconds else None
    report.add("etl", prefix + "telemetry rows ingested per second (whole build)", rate,
               "rows/s", target=f">= {TARGET_ROWS_S / 1e6:g} M rows/s",
               met=None if rate is None else rate >= TARGET_ROWS_S)
    report.add("etl", prefix + "all landing rows per second (whole build)",
               b.total / seconds if seconds else None, "rows/s")
    report.add("etl", prefix + "build peak RSS", peak, "MB",
               target=f"<= {TARGET_RSS_MB / 1024:g} GB", met=peak <= TARGET_RSS_MB)
    (workdir / "sources.json").write_text(json.dumps(rows, indent=1))
    etl_only = Report(report.scale, report.smoke)
    etl_only.rows = [r for r in report.rows if r.section == "etl"]
    etl_only.save(workdir / "etl.json")
    return b


def scaling(scales: list[int], main: int, workdir: Path, report: Report) -> None:
    """Build at each scale (the main one too, whose warehouse the other sections read),
    each reported under ``scale N:``, then the growth exponent of time vs rows."""
    builds = []
    for scale in sorted(set(scales) | {main}):
        land = landing(scale, workdir, report, f"scale {scale}: ")
        builds.append(build(land, workdir / f"warehouse-{scale}.duckdb", workdir, report,
                            scale))
    measured = [b for b in builds if b.scale in scales]
    exponent = growth_exponent([(b.total, b.seconds) for b in measured])
    report.add("etl", "growth exponent of build time vs landing rows", exponent, "",
               note="least-squares slope of log time on log rows over scales "
                    + ", ".join(str(b.scale) for b in measured) + "; 1 = linear")
