"""``/healthz``: is the warehouse readable, which build is served, how fresh the live
data are (``last_ingest``, ``ingest_lag_s``, ``ingest_errors``) and how many
data-quality findings it records (``quality_findings``, details in ``meta.quality``).

Every response also names its build in ``X-Build-Id`` (the build the door had open
when the response was finished), so a proxy log or a client can tell which build a
host served while a rolling switch moves hosts from one build to the next.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify

from dashboards import cache, warehouse
from dashboards.queries import freshness
from ponmetro.settings import live_dir, warehouse_path

#: What the live worker (``ponmetro live``) writes beside the served warehouse.
WORKER_STATUS = "worker.json"

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        info = warehouse.build_info()
        warehouse.query("SELECT 1")
        findings = freshness.quality().height
        ingest = ingest_state()
    except warehouse.WarehouseUnavailable as exc:
        return jsonify(status="unhealthy", reason=str(exc), cache=cache.stats()), 503
    return jsonify(status="ok", build_id=info.build_id, built_at=info.built_at.isoformat() + "Z",
                   demo=info.is_demo, geography=info.geography, cache=cache.stats(),
                   quality_findings=findings, **ingest)


def ingest_state() -> dict[str, object]:
    """``last_ingest`` (ISO 8601, UTC) and ``ingest_lag_s`` from the newest batch (null
    before the first), ``ingest_errors`` counted by the live worker."""
    batch = freshness.last_batch()
    last = batch["ingested_at"] if batch else None
    lag = None
    if last is not None:
        lag = round((datetime.now(UTC).replace(tzinfo=None) - last).total_seconds(), 1)
    try:
        status = json.loads((live_dir(warehouse_path()) / WORKER_STATUS).read_text("utf-8"))
        errors = int(status.get("errors", 0))
    except (OSError, ValueError, AttributeError):
        errors = 0
    return {"last_ingest": last.isoformat() + "Z" if last is not None else None,
            "ingest_lag_s": lag, "ingest_errors": errors}


@bp.after_app_request
def build_header(response: Response) -> Response:
    if "X-Build-Id" not in response.headers:
        try:
            response.headers["X-Build-Id"] = warehouse.build_info().build_id
        except warehouse.WarehouseUnavailable:
            pass
    return response
