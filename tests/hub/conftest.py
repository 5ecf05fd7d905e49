"""Fixtures of the open-data hub tests: the live hub URL and the published catalogue."""

from __future__ import annotations

import duckdb
import pytest
import requests


@pytest.fixture(scope="session")
def hub(live_server) -> str:
    """Base URL (no trailing slash) of a real gunicorn serving the demo warehouse."""
    return live_server


@pytest.fixture(scope="session")
def published(warehouse) -> dict[str, dict]:
    """``meta.datasets`` of the demo build, by dataset id, with its dictionary."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.sql("SELECT * FROM meta.datasets").pl().to_dicts()
        cols = con.sql("SELECT * FROM meta.dataset_columns ORDER BY dataset_id, position"
                       ).pl().to_dicts()
    finally:
        con.close()
    out = {r["dataset_id"]: {**r, "columns": []} for r in rows}
    for c in cols:
        out[c["dataset_id"]]["columns"].append(c)
    return out


@pytest.fixture(scope="session")
def http() -> requests.Session:
    return requests.Session()


def action(http: requests.Session, hub: str, name: str, method: str = "POST", **params):
    """Call a CKAN action; returns (status, body)."""
    url = f"{hub}/api/3/action/{name}"
    resp = http.post(url, json=params, timeout=60) if method == "POST" else \
        http.get(url, params=params, timeout=60)
    return resp.status_code, resp.json()
