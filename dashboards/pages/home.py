"""Home page (placeholder until the overview lands)."""

import dash
from dash import html

from dashboards import warehouse

dash.register_page(__name__, path="/", title="PON Metro Milano")


def layout(**_):
    try:
        info = warehouse.build_info()
    except warehouse.WarehouseUnavailable as exc:
        return html.P(f"Dati non disponibili / data unavailable: {exc}")
    return html.Div([
        html.H1("PON Metro 2014-2020 Milano"),
        html.P(f"Build {info.build_id}" + (" · DATI DEMO / DEMO DATA" if info.is_demo else "")),
    ])
