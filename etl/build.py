"""Build the warehouse: validate landing files, load staging, build marts, publish.

The build writes a brand-new DuckDB file beside the target and renames it into
place only when every step has succeeded, so readers never see half a build and
a failed or killed build leaves the previous warehouse exactly as it was.
"""

from __future__ import annotations

import errno
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
from tqdm import tqdm

from etl import calendar, catalog, ingest
from etl.connectors.landing import MANIFEST
from etl.contracts import Contract
from etl.domains import DOMAINS, all_contracts, dataset_contracts, datasets
from etl.domains.geography.index import CityGeography
from etl.publish import BuildError, atomic_publish, scratch_path
from etl.staging import FileScan, scan_file, stage_file
from etl.validate import LandingError

ETL_VERSION = "1"


@dataclass
class BuildContext:
    """What domain transforms may use: lineage, the geography index, helpers."""

    landing: Path
    build_id: str
    built_at: datetime
    manifest: dict
    geo: CityGeography | None = None
    findings: list[dict[str, object]] = field(default_factory=list)

    def is_synthetic(self, relpath: str) -> bool:
        return bool(self.manifest.get("files", {}).get(relpath, {}).get("synthetic"))

    @property
    def geography_is_schematic(self) -> bool:
        return self.is_synthetic("geography/nil.geojson")

    @property
    def is_demo(self) -> bool:
        return any(f.get("synthetic") for f in self.manifest.get("files", {}).values())

    @staticmethod
    def write_table(con: duckdb.DuckDBPyConnection, qualified: str,
                    frame: pl.DataFrame) -> None:
        """Create ``schema.table`` from a Polars frame (via Arrow, no copy through Python)."""
        con.register("_incoming", frame.to_arrow())
        try:
            con.execute(f"CREATE OR REPLACE TABLE {qualified} AS SELECT * FROM _incoming")
        finally:
            con.unregister("_incoming")


@dataclass
class SourceFile:
    contract: str
    relpath: str
    sha256: str
    rows: int
    bytes: int
    synthetic: bool
    source: str


def _files_for(landing: Path, contract: Contract,
               overrides: dict[str, Path]) -> list[Path]:
    if contract.name in overrides:
        return [overrides[contract.name]]
    files = sorted(landing.glob(contract.path)) if contract.is_partitioned else \
        [p for p in [landing / contract.path] if p.exists()]
    if not files and not contract.optional:
        raise LandingError(landing / contract.path, "missing landing file")
    return files


def _load_staging(con: duckdb.DuckDBPyConnection, landing: Path, ctx: BuildContext,
                  overrides: dict[str, Path], progress: bool) -> list[SourceFile]:
    """Validate every landing file and append it to ``staging.<contract>``.

    One path for every file (``etl.staging``): canonical CSV is typed by DuckDB, anything
    else by the tolerant Polars reader, and the same SQL rules check both. The next file is
    scanned (digest, byte facts) in a thread while DuckDB, which releases the GIL, stages
    the current one.
    """
    sources: list[SourceFile] = []
    plan = [(c, p) for c in all_contracts() for p in _files_for(landing, c, overrides)]
    scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan")
    try:
        pending = scanner.submit(scan_file, plan[0][1]) if plan else None
        for i, (contract, path) in enumerate(tqdm(plan, desc="validate+stage", unit="file",
                                                  disable=not progress)):
            scan = pending.result()  # the digest and the byte facts the fast path relies on
            if i + 1 < len(plan):
                pending = scanner.submit(scan_file, plan[i + 1][1])
            sources.append(_stage_one(con, landing, ctx, contract, path, scan))
    finally:
        scanner.shutdown(cancel_futures=True)
    return sources


def _stage_one(con: duckdb.DuckDBPyConnection, landing: Path, ctx: BuildContext,
               contract: Contract, path: Path, scan: FileScan) -> SourceFile:
    """Stage one scanned file; its lineage row for ``meta.sources``."""
    staged = stage_file(con, contract, path, scan)
    ctx.findings += staged.findings
    try:
        relpath = str(path.relative_to(landing))
    except ValueError:
        relpath = str(path)
    entry = ctx.manifest.get("files", {}).get(relpath, {})
    return SourceFile(contract.name, relpath, scan.sha256, staged.rows, scan.size,
                      bool(entry.get("synthetic")), str(entry.get("source", contract.source)))


def _write_meta(con: duckdb.DuckDBPyConnection, ctx: BuildContext,
                sources: list[SourceFile], scale: int | None, seed: int | None) -> None:
    con.execute("""CREATE TABLE meta.build (build_id VARCHAR, built_at TIMESTAMP,
        is_demo BOOLEAN, geography VARCHAR, demo_seed INTEGER, demo_scale INTEGER,
        etl_version VARCHAR)""")
    con.execute("INSERT INTO meta.build VALUES (?, ?, ?, ?, ?, ?, ?)", [
        ctx.build_id, ctx.built_at.replace(tzinfo=None), ctx.is_demo,
        "schematic" if ctx.geography_is_schematic else "real", seed, scale, ETL_VERSION])
    ctx.write_table(con, "meta.sources", pl.DataFrame(
        [s.__dict__ for s in sources],
        schema={"contract": pl.String, "relpath": pl.String, "sha256": pl.String,
                "rows": pl.Int64, "bytes": pl.Int64, "synthetic": pl.Boolean,
                "source": pl.String}))
    ctx.write_table(con, "meta.dataset_contracts", pl.DataFrame(
        [{"dataset_id": d, "contract": c} for d, cs in dataset_contracts().items() for c in cs],
        schema={"dataset_id": pl.String, "contract": pl.String}))
    ctx.write_table(con, "meta.quality", pl.DataFrame(
        ctx.findings, schema={"contract": pl.String, "file": pl.String, "column": pl.String,
                              "check": pl.String, "rows": pl.Int64, "values": pl.String}))


def build(landing: Path, warehouse: Path, *, overrides: dict[str, Path] | None = None,
          progress: bool = True) -> BuildContext:
    """Validate ``landing`` and atomically (re)place ``warehouse``. Raises LandingError."""
    landing, warehouse = Path(landing), Path(warehouse)
    if not landing.is_dir():
        raise BuildError(f"landing folder not found: {landing}")
    overrides = {k: Path(v) for k, v in (overrides or {}).items()}
    manifest_path = landing / MANIFEST
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    for name in overrides:  # an override replaces a (possibly synthetic) landing file
        for c in all_contracts():
            if c.name == name:
                manifest.get("files", {}).pop(c.path, None)
    built_at = datetime.now(UTC).replace(microsecond=0)
    ctx = BuildContext(landing=landing, build_id="", built_at=built_at, manifest=manifest)
    scratch = scratch_path(warehouse)
    try:
        con = duckdb.connect(str(scratch))
    except (duckdb.Error, OSError) as exc:
        raise BuildError(f"cannot write the warehouse next to {warehouse}: {exc}") from exc
    try:
        for schema in ("staging", "mart", "meta"):
            con.execute(f"CREATE SCHEMA {schema}")
        sources = _load_staging(con, landing, ctx, overrides, progress)
        digest = hashlib.sha256("".join(s.sha256 for s in sources).encode()).hexdigest()
        ctx.build_id = f"{built_at:%Y%m%dT%H%M%SZ}-{digest[:8]}"
        for domain in tqdm(DOMAINS, desc="marts", unit="domain", disable=not progress):
            domain.build_marts(con, ctx)
            if hasattr(domain, "point_index"):  # the geography domain: index it for the rest
                ctx.geo = domain.point_index(con)
        catalog.write_catalog(con, ctx, datasets())
        calendar.write_meta(con)
        ingest.prepare_build(con)
        _write_meta(con, ctx, sources, manifest.get("scale"), manifest.get("seed"))
        con.execute("CHECKPOINT")
        con.close()
        atomic_publish(scratch, warehouse)
    except BaseException as exc:
        try:
            con.close()
        except duckdb.Error:
            pass
        for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if _is_write_failure(exc):  # disk full, file too large, read-only file system
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BuildError(f"cannot write the warehouse next to {warehouse} "
                             f"(disk full?): {reason}") from exc
        raise
    ingest.refresh(warehouse)  # the increments this build did not absorb stay served
    return ctx


def _is_write_failure(exc: BaseException) -> bool:
    """True for storage failures (DuckDB reports them as I/O or commit errors)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS)
    return isinstance(exc, (duckdb.IOException, duckdb.TransactionException))

