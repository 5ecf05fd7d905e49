"""``python -m bench [--scale N] [--smoke] [--etl-scales 1,10,100]``: run every benchmark,
print the table."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from bench import etl_run, live
from bench.app_run import run_all, section
from bench.report import Report

SECTIONS = ("etl", "callbacks", "cache", "downloads", "peer", "render", "load", "live",
            "lighthouse")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--scale", type=int, default=1, help="demo scale (100 = years of telemetry)")
    p.add_argument("--smoke", action="store_true",
                   help="smallest run (scale 1, few repeats, 5 s load) for CI")
    p.add_argument("--workdir", type=Path,
                   help="scratch folder (default: a temporary one, removed at the end); "
                        "landing files left there by a previous run are reused")
    p.add_argument("--etl-scales", type=_scales, metavar="N,N,...",
                   help="etl section: build at each of these scales (e.g. 1,10,100) and "
                        "report how build time grows with rows (default: --scale only)")
    p.add_argument("--only", action="append", choices=SECTIONS,
                   help="run only these sections (repeatable)")
    p.add_argument("--warehouse", type=Path,
                   help="measure this existing warehouse instead of building one "
                        "(the etl section is skipped)")
    p.add_argument("--duration", type=int, help="load-test seconds (default 60, smoke 5)")
    p.add_argument("--clients", type=int, default=50, help="concurrent load-test clients")
    p.add_argument("--repeats", type=int, help="requests per callback (default 30, smoke 5)")
    p.add_argument("--polls", type=int,
                   help="live worker polls for its memory figure (default 1000, smoke 20)")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = p.parse_args(argv)
    if args.smoke:
        args.scale = 1
    if args.etl_scales is not None and len(set(args.etl_scales)) < 2:
        p.error("--etl-scales needs at least two different scales (one is --scale)")
    args.duration = args.duration or (5 if args.smoke else 60)
    args.repeats = args.repeats or (3 if args.smoke else 30)
    args.polls = args.polls or (20 if args.smoke else 1000)
    return args


def _scales(text: str) -> list[int]:
    try:
        scales = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of scales: {text[:40]!r}") from None
    if not scales or min(scales) < 1:
        raise argparse.ArgumentTypeError(f"scales must be >= 1: {text[:40]!r}")
    return scales


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # SIGTERM unwinds like Ctrl-C, so gunicorn, redis and Chromium are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sections = args.only or list(SECTIONS)
    own_workdir = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ponmetro-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = Report(args.scale, args.smoke)
    try:
        warehouse = args.warehouse
        if warehouse is not None and (workdir / "etl.json").exists():
            report.load_rows(workdir / "etl.json", "etl")  # the build that made it
        if warehouse is None:
            warehouse = workdir / f"warehouse-{args.scale}.duckdb"
            scaling = "etl" in sections and args.etl_scales is not None
            if scaling:  # builds the main scale's warehouse too
                section(report, "etl", etl_run.scaling, args.etl_scales, args.scale,
                        workdir, report)
            landing = etl_run.landing(args.scale, workdir, report)
            if not scaling and ("etl" in sections or not warehouse.exists()):
                section(report, "etl", etl_run.build, landing, warehouse, workdir, report)
        if not warehouse.exists():
            report.error("setup", f"no warehouse at {warehouse}")
        else:
            if set(sections) - {"etl", "live"}:
                run_all(args, sections, warehouse, workdir, report)
            if "live" in sections:
                section(report, "live", live.run, warehouse, workdir, report, args.scale,
                        args.smoke, args.polls)
    finally:
        print(report.text())
        if args.json:
            report.save(args.json)
        if args.markdown:
            args.markdown.write_text(report.markdown(), encoding="utf-8")
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
