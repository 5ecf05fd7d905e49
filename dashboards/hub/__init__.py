"""Flask blueprints of the open-data hub (API, downloads, catalogue feeds)."""

from __future__ import annotations

from flask import Flask

from dashboards.hub import ckan, dcat, downloads


def register(server: Flask) -> None:
    """Attach the hub's blueprints to the Flask server."""
    server.register_blueprint(ckan.bp)
    server.register_blueprint(dcat.bp)
    server.register_blueprint(downloads.bp)
