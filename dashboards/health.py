"""``/healthz``: is the warehouse readable, which build is served, and how many
data-quality findings it records (``quality_findings``, details in ``meta.quality``).

Every response also names its build in ``X-Build-Id`` (the build the door had open
when the response was finished), so a proxy log or a client can tell which build a
host served while a rolling switch moves hosts from one build to the next.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from dashboards import cache, warehouse
from dashboards.queries import freshness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        info = warehouse.build_info()
        warehouse.query("SELECT 1")
        findings = freshness.quality().height
    except warehouse.WarehouseUnavailable as exc:
        return jsonify(status="unhealthy", reason=str(exc), cache=cache.stats()), 503
    return jsonify(status="ok", build_id=info.build_id, built_at=info.built_at.isoformat() + "Z",
                   demo=info.is_demo, geography=info.geography, cache=cache.stats(),
                   quality_findings=findings)


@bp.after_app_request
def build_header(response: Response) -> Response:
    if "X-Build-Id" not in response.headers:
        try:
            response.headers["X-Build-Id"] = warehouse.build_info().build_id
        except warehouse.WarehouseUnavailable:
            pass
    return response
