"""Dashboards draw with the partial plotly.js bundle, and maps draw every point of their layer."""

from __future__ import annotations

import pytest

from tests.browser.conftest import settle

pytestmark = pytest.mark.browser

DASHBOARDS = ["/", "/axis/2", "/housing", "/social", "/mobility"]
#: trace types the page's figures use and plotly.js registered (read in the browser)
_TRACES_JS = """() => {
  const drawn = [...document.querySelectorAll('.js-plotly-plot')]
    .flatMap(gd => (gd.data || []).map(t => t.type || 'scatter'));
  return {version: window.Plotly && window.Plotly.version, drawn: [...new Set(drawn)],
          registered: Object.keys(window.Plotly.PlotSchema.get().traces)};
}"""


def spec_trace_types() -> set[str]:
    """Trace types of every registered chart, built from the test warehouse's data."""
    from dashboards.components import charts
    from dashboards.components.timeline import TIMELINE

    types = set()
    for spec in [*charts.REGISTRY.values(), TIMELINE]:
        frame = spec.data({})
        if frame.height:
            types |= {t.get("type", "scatter") for t in spec.figure(frame, "it")["data"]}
    return types


@pytest.mark.parametrize("route", DASHBOARDS)
def test_dashboard_draws_with_the_partial_bundle(page, console, live_server, warehouse, route):
    from plotly.offline import get_plotlyjs_version

    settle(page, live_server + route)
    page.wait_for_selector(".js-plotly-plot .main-svg")
    seen = page.evaluate(_TRACES_JS)
    assert seen["version"] == get_plotlyjs_version()
    assert "scattergeo" not in seen["registered"], "the full bundle was loaded"
    assert seen["drawn"] and set(seen["drawn"]) <= set(seen["registered"])
    assert set(spec_trace_types()) <= set(seen["registered"]), \
        "a chart uses a trace type the partial bundle lacks"
    assert page.locator(".dash-fe-error__title").count() == 0
    assert console.unexpected() == []
    # a browser with ES modules skips Dash's polyfill (nomodule) and no page lists DataTable
    fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not [u for u in fetched if "/deps/polyfill@" in u or "dash_table" in u]
    assert page.evaluate("typeof regeneratorRuntime.mark") == "function"


def test_station_map_draws_every_station_with_a_text_tooltip(page, console, live_server,
                                                             warehouse):
    from dashboards import warehouse as door

    stations = door.query("SELECT name FROM mart.mobility_bike_stations "
                          "WHERE lat IS NOT NULL ORDER BY name")
    settle(page, live_server + "/mobility")
    markers = page.locator('#mobility-map path.leaflet-interactive[stroke="#1a1a1a"]')
    markers.first.wait_for()
    assert markers.count() == stations.height
    markers.first.hover(force=True)
    tooltip = page.locator("#mobility-map .leaflet-tooltip")
    tooltip.first.wait_for()
    assert any(tooltip.first.inner_text().startswith(f"{name}: ") for name in stations["name"])
    assert console.unexpected() == []
