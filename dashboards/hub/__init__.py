"""Flask blueprints of the open-data hub (API, downloads, catalogue feeds)."""

from __future__ import annotations

import re

from flask import Flask, Response, request

from dashboards import warehouse
from dashboards.hub import ckan, dcat, downloads

_DATASET_PAGE = re.compile(r"^/data/([^/]+)/?$")


def _unknown_dataset_is_404(response: Response) -> Response:
    """``/data/<id>`` for an id that is not published answers 404 (the page says why)."""
    match = _DATASET_PAGE.match(request.path)
    if match and request.method == "GET" and response.status_code == 200 \
            and response.mimetype == "text/html":
        from dashboards.queries import catalog

        try:
            if catalog.get(match.group(1)) is None:
                response.status_code = 404
        except warehouse.WarehouseUnavailable:
            pass
    return response


def register(server: Flask) -> None:
    """Attach the hub's blueprints to the Flask server."""
    server.register_blueprint(ckan.bp)
    server.register_blueprint(dcat.bp)
    server.register_blueprint(downloads.bp)
    server.after_request(_unknown_dataset_is_404)
