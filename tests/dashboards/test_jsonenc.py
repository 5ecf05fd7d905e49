"""Callback responses encoded in one orjson pass are the JSON plotly's encoder writes."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from dash import dcc, html

DASHBOARDS = ["/", "/axis/3", "/housing", "/social", "/mobility"]


@pytest.mark.parametrize("path", DASHBOARDS)
def test_page_responses_encode_as_plotly_does(app, path):
    from plotly.io.json import to_json_plotly

    from dashboards import jsonenc
    from tests.dashboards.conftest import route_payload

    reply = app.server.test_client().post("/_dash-update-component", json=route_payload(path))
    assert reply.status_code == 200
    content = reply.get_json()["response"]["_pages_content"]["children"]
    assert content["type"] == "Div" and content["namespace"] == "dash_html_components"
    # re-encode the decoded page both ways: same document
    assert json.loads(jsonenc.to_json(content)) == json.loads(to_json_plotly(content))


def test_components_dates_nan_and_unsafe_text():
    from plotly.io.json import to_json_plotly

    from dashboards import jsonenc

    value = {"a": html.Div([html.Td("<script>x</script>", className="c"), dcc.Store(id="s", data=1)]),
             "d": date(2024, 2, 29), "t": datetime(2024, 2, 29, 8, 30), "nan": float("nan"),
             "line": "a\u2028b"}
    ours = jsonenc.to_json(value)
    assert json.loads(ours) == json.loads(to_json_plotly(value))
    assert "<" not in ours and ">" not in ours and "\u2028" not in ours


def test_objects_orjson_cannot_encode_go_through_plotly():
    from plotly.io.json import to_json_plotly

    from dashboards import jsonenc

    value = {"amount": Decimal("1.50"), "when": date(2024, 1, 1)}
    assert jsonenc.to_json(value) == to_json_plotly(value)


def test_dash_uses_it_for_callbacks(app):
    import dash._callback

    from dashboards import jsonenc

    assert dash._callback.to_json is jsonenc.to_json
