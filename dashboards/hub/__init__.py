"""Flask blueprints of the open-data hub (API, downloads, catalogue feeds)."""

from __future__ import annotations

from flask import Flask


def register(server: Flask) -> None:
    """Attach the hub's blueprints to the Flask server."""
