"""``/healthz``: is the warehouse readable, and which build is served."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboards import cache, warehouse

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        info = warehouse.build_info()
        warehouse.query("SELECT 1")
    except warehouse.WarehouseUnavailable as exc:
        return jsonify(status="unhealthy", reason=str(exc), cache=cache.stats()), 503
    return jsonify(status="ok", build_id=info.build_id, built_at=info.built_at.isoformat() + "Z",
                   demo=info.is_demo, geography=info.geography, cache=cache.stats())
