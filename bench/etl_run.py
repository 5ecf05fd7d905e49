"""ETL throughput: the real ``ponmetro build`` in a child process, timed, peak RSS kept.

Generation of the demo landing files is not the ETL and is timed separately;
the build (validate, load staging, build marts, publish) is what a city runs
nightly on real feeds, so that is the rows/s figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench.procs import BIN
from bench.report import Report

#: Landing contracts that are telemetry (grow with time, not with the programme).
TELEMETRY = ("mobility_station_status", "mobility_spot_status", "mobility_trips")
TARGET_ROWS_S = 2_000_000

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


def landing(scale: int, workdir: Path, report: Report) -> Path:
    """Demo landing files at ``scale``, reused when a previous run left them complete."""
    out = workdir / f"landing-{scale}"
    if (out / "manifest.json").exists():
        return out
    seconds, peak = _run([sys.executable, "-c", _GENERATE, str(out), str(scale)],
                         workdir / "generate.log")
    report.add("etl", "demo generation time (not the ETL)", seconds, "s",
               note=f"peak RSS {peak:.0f} MB")
    return out


def build(landing_dir: Path, warehouse: Path, workdir: Path, report: Report) -> None:
    """Time ``ponmetro build --landing`` and report rows/s overall and for telemetry."""
    seconds, peak = _run([str(BIN / "ponmetro"), "build", "--landing", str(landing_dir),
                          "--warehouse", str(warehouse), "--quiet"], workdir / "build.log")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = dict(con.execute("SELECT contract, sum(rows) FROM meta.sources "
                                "GROUP BY ALL").fetchall())
    finally:
        con.close()
    total = sum(int(v) for v in rows.values())
    telemetry = sum(int(rows.get(c, 0)) for c in TELEMETRY)
    size = sum(f.stat().st_size for f in landing_dir.rglob("*") if f.is_file())
    report.add("etl", "landing rows (all contracts)", total, "rows",
               note=f"{size / 2**20:,.0f} MB of landing files")
    report.add("etl", "telemetry rows (" + ", ".join(c.split("_", 1)[1] for c in TELEMETRY)
               + ")", telemetry, "rows")
    report.add("etl", "build wall time", seconds, "s")
    rate = telemetry / seconds if seconds else None
    report.add("etl", "telemetry rows ingested per second (whole build)", rate, "rows/s",
               target=f">= {TARGET_ROWS_S / 1e6:g} M rows/s",
               met=None if rate is None else rate >= TARGET_ROWS_S)
    report.add("etl", "all landing rows per second (whole build)",
               total / seconds if seconds else None, "rows/s")
    report.add("etl", "build peak RSS", peak, "MB")
    (workdir / "sources.json").write_text(json.dumps(rows, indent=1))
    etl_only = Report(report.scale, report.smoke)
    etl_only.rows = [r for r in report.rows if r.section == "etl"]
    etl_only.save(workdir / "etl.json")
