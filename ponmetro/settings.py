"""Settings shared by the ETL, the app and the CLI.

Everything configurable is an environment variable with a safe default, so the
same code runs in development, in tests and behind gunicorn in production.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: Environment variables (a contract: documented in the README).
ENV_WAREHOUSE = "PONMETRO_WAREHOUSE"
ENV_TILE_URL = "PONMETRO_TILE_URL"
ENV_CACHE_TYPE = "PONMETRO_CACHE_TYPE"  # simple | filesystem | redis | null
ENV_CACHE_DIR = "PONMETRO_CACHE_DIR"
ENV_REDIS_URL = "PONMETRO_REDIS_URL"
ENV_RELEASES = "PONMETRO_RELEASES"
ENV_RELEASES_KEEP = "PONMETRO_RELEASES_KEEP"
#: Releases kept in the store when ``PONMETRO_RELEASES_KEEP`` is unset.
DEFAULT_RELEASES_KEEP = 5
ENV_RATE_LIMIT = "PONMETRO_RATE_LIMIT"  # e.g. "50 per 5 seconds"; "off" disables
ENV_RATE_LIMIT_STORAGE = "PONMETRO_RATE_LIMIT_STORAGE"
ENV_PROXIES = "PONMETRO_PROXIES"  # trusted proxies in front (X-Forwarded-For hops)
ENV_DOWNLOADS_DIR = "PONMETRO_DOWNLOADS_DIR"  # whole-table download files
ENV_XLSX_MAX_ROWS = "PONMETRO_XLSX_MAX_ROWS"  # rows an XLSX download may hold


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the warehouse file: explicit value, then $PONMETRO_WAREHOUSE, then data/."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_WAREHOUSE)
    if env:
        return Path(env).expanduser().resolve()
    return PROJECT_ROOT / "data" / "warehouse.duckdb"


def releases_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the release store: explicit value, then $PONMETRO_RELEASES, then data/releases."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_RELEASES)
    if env:
        return Path(env).expanduser().resolve()
    return PROJECT_ROOT / "data" / "releases"


def releases_keep(explicit: int | None = None) -> int:
    """How many releases the store keeps (at least 2, so a rollback is always possible)."""
    if explicit is not None:
        return max(2, int(explicit))
    raw = os.environ.get(ENV_RELEASES_KEEP, "").strip()
    try:
        return max(2, int(raw)) if raw else DEFAULT_RELEASES_KEEP
    except ValueError:
        return DEFAULT_RELEASES_KEEP


def live_dir(warehouse: str | os.PathLike[str]) -> Path:
    """The live folder of a served warehouse: its ingested batches and live snapshot
    (``etl.ingest``), beside the file (``data/warehouse.live/`` for the default)."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.stem + ".live")


def live_snapshot_path(warehouse: str | os.PathLike[str]) -> Path:
    """The live snapshot readers open on top of ``warehouse`` when it matches its build."""
    return live_dir(warehouse) / "snapshot.duckdb"


def downloads_dir(warehouse: str | os.PathLike[str]) -> Path:
    """Where whole-table download files are written (``dashboards.hub.wholefiles``):
    $PONMETRO_DOWNLOADS_DIR, else beside the served warehouse
    (``data/warehouse.downloads/`` for the default)."""
    env = os.environ.get(ENV_DOWNLOADS_DIR)
    if env:
        return Path(env).expanduser().resolve()
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.stem + ".downloads")

