"""Fixtures of the dashboards tests: the app imported once, a Dash callback client."""

from __future__ import annotations

import json

import pytest
import requests


@pytest.fixture(scope="session")
def app(warehouse):
    """The Dash app (imports every page) bound to the session demo warehouse."""
    from dashboards import app as module
    from dashboards import warehouse as door

    door.reset()
    return module


def route_payload(path: str, search: str = "") -> dict:
    """The Dash Pages router callback request for ``path``, as the browser sends it."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def render_route(base_url: str, path: str, search: str = "") -> dict:
    """POST the Dash Pages router callback for ``path`` as the browser does; the JSON reply."""
    payload = route_payload(path, search)
    reply = requests.post(base_url + "/_dash-update-component", data=json.dumps(payload),
                          headers={"Content-Type": "application/json"}, timeout=60)
    reply.raise_for_status()
    return reply.json()
