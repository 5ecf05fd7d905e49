"""Citizen pages as complete HTML at the first response: ``/data``, ``/data/<id>``,
``/projects/<code>``, ``/reporting``, plus ``/sitemap.xml`` and ``/robots.txt``.

Flask views with Jinja templates (``views``), inside the same frame as the Dash
dashboards (``markup`` prints the Dash frame as HTML), readable without JavaScript;
their data come from the query layer. Security headers, rate limits and
``X-Build-Id`` apply to them through the server's hooks, like every other route.
"""

from __future__ import annotations

from flask import Flask

from dashboards.public import views


def register(server: Flask) -> None:
    server.register_blueprint(views.bp)
