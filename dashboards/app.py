"""Assemble the Dash app and its Flask server (``gunicorn dashboards.app:server``)."""

from __future__ import annotations

import dash
from dash import Dash, html

from dashboards import health, hub, security
from dashboards.cache import init_cache

app = Dash(
    __name__,
    use_pages=True,
    pages_folder="pages",
    title="PON Metro Milano",
    suppress_callback_exceptions=True,
)
server = app.server
security.register(server)
init_cache(server)
server.register_blueprint(health.bp)
hub.register(server)

app.layout = html.Main(dash.page_container, id="main")
