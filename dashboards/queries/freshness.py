"""How fresh the data are: ingested batches (``meta.ingest``), what each dataset is made
of (``meta.dataset_contracts``) and the data-quality findings (``meta.quality``).

``meta.ingest`` has one row per telemetry batch appended after the full build (filled by
``ponmetro ingest``); a full build starts it empty. A dataset's ``modified`` is the later
of the build time and the newest batch of a contract it is made from. Warehouses built
before these tables existed (kept releases) read as "no batches, no lineage".
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from dashboards import warehouse
from dashboards.cache import memoize
from dashboards.queries.common import fetch

#: Seconds between live updates the product expects (the GBFS status feed's cadence).
LIVE_TTL_S = 60
#: Live data with no batch for longer than this are flagged stale (a few ttl).
STALE_AFTER_S = 5 * LIVE_TTL_S
#: Contracts whose batches make the mobility page "live".
LIVE_CONTRACTS = ("mobility_station_status", "mobility_spot_status", "mobility_trips")


@memoize
def _tables() -> frozenset[str]:
    return frozenset(fetch("SELECT table_name FROM information_schema.tables "
                           "WHERE table_schema = 'meta'")["table_name"].to_list())


def _has(table: str) -> bool:
    return table in _tables()


@memoize
def last_batch(contracts: tuple[str, ...] = LIVE_CONTRACTS) -> dict | None:
    """The newest ingested batch of ``contracts`` (UTC times), or None if none landed."""
    if not _has("ingest"):
        return None
    rows = fetch("""SELECT contract, rows, first_at, last_at, ingested_at FROM meta.ingest
                    WHERE list_contains(?, contract)
                    ORDER BY ingested_at DESC, last_at DESC LIMIT 1""", [list(contracts)])
    return rows.row(0, named=True) if rows.height else None


@memoize
def dataset_modified() -> dict[str, datetime]:
    """Dataset id -> UTC time of the newest batch of a contract it is made from."""
    if not (_has("ingest") and _has("dataset_contracts")):
        return {}
    rows = fetch("""SELECT d.dataset_id, max(i.ingested_at) AS modified
                    FROM meta.dataset_contracts d JOIN meta.ingest i USING (contract)
                    GROUP BY d.dataset_id""")
    return dict(zip(rows["dataset_id"], rows["modified"], strict=True))


@memoize
def updates(limit: int = 200) -> pl.DataFrame:
    """Data updates, newest first: one row per ingested batch with the datasets it
    changed, and the full build itself (``kind`` = 'build', every dataset)."""
    info = warehouse.build_info()
    build = fetch("""SELECT 'build' AS kind, ? AS update_id, NULL::VARCHAR AS contract,
                            CAST(sum(rows) AS BIGINT) AS rows, NULL::TIMESTAMP AS first_at,
                            NULL::TIMESTAMP AS last_at, ?::TIMESTAMP AS updated_at,
                            list(dataset_id ORDER BY dataset_id) AS datasets
                     FROM meta.datasets""", [info.build_id, info.built_at])
    if not (_has("ingest") and _has("dataset_contracts")):
        return build
    batches = fetch("""
        SELECT 'batch' AS kind, i.batch_id AS update_id, i.contract, i.rows, i.first_at,
               i.last_at, i.ingested_at AS updated_at,
               coalesce(list(d.dataset_id ORDER BY d.dataset_id)
                        FILTER (WHERE d.dataset_id IS NOT NULL), []) AS datasets
        FROM meta.ingest i LEFT JOIN meta.dataset_contracts d USING (contract)
        GROUP BY ALL ORDER BY i.ingested_at DESC, i.batch_id LIMIT ?""", [limit])
    return pl.concat([batches, build], how="vertical_relaxed").head(limit)


_FINDINGS = 'SELECT contract, file, "column", "check", rows, "values" FROM meta.quality'


@memoize
def quality(dataset_id: str | None = None) -> pl.DataFrame:
    """Data-quality findings: all of them, or those of the contracts ``dataset_id`` is
    made of (none when the warehouse records no lineage)."""
    if dataset_id is None:
        return fetch(_FINDINGS + " ORDER BY contract, file")
    if not _has("dataset_contracts"):
        return fetch(_FINDINGS + " WHERE false")
    return fetch(f"""{_FINDINGS} WHERE contract IN (SELECT contract FROM meta.dataset_contracts
                     WHERE dataset_id = ?) ORDER BY contract, file""",  # noqa: S608 (fixed text)
                 [dataset_id])
