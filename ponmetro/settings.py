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
ENV_RATE_LIMIT = "PONMETRO_RATE_LIMIT"  # e.g. "50 per 5 seconds"; "off" disables
ENV_RATE_LIMIT_STORAGE = "PONMETRO_RATE_LIMIT_STORAGE"
ENV_PROXIES = "PONMETRO_PROXIES"  # trusted proxies in front (X-Forwarded-For hops)


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the warehouse file: explicit value, then $PONMETRO_WAREHOUSE, then data/."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_WAREHOUSE)
    if env:
        return Path(env).expanduser().resolve()
    return PROJECT_ROOT / "data" / "warehouse.duckdb"
