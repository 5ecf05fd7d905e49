"""The query layer on the real demo warehouse: checked parameters, consistent money,
suppression kept, and downloads that are exactly the data behind each chart."""

from __future__ import annotations

import base64
import io

import polars as pl
import pytest
from openpyxl import load_workbook
from polars.testing import assert_frame_equal

from tests.conftest import assert_sheet_matches

HOSTILE = ["1; DROP TABLE mart.projects", "' OR 1=1 --", "../../etc/passwd", "9" * 400,
           "３", "-1", "1e3", None, "", "\u0000", "<script>alert(1)</script>"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameters_mean_all(app, value):
    from dashboards.queries import common, housing, programme

    assert common.as_municipio(value) is None
    assert common.as_year(value) is None
    assert programme.clean_code(value) is None
    assert housing.as_status(value) == "vacant"


def test_programme_totals_add_up(app):
    from dashboards.queries import programme

    totals = programme.programme_totals()
    by_axis = programme.axis_summary()
    projects = programme.projects()
    assert totals["projects"] == projects.height >= 28
    assert totals["paid_eur"] == pytest.approx(projects["paid_eur"].sum())
    assert 0 <= totals["share_reached"] <= 1
    assert set(by_axis["axis_id"]) >= {1, 2, 3, 4}


def test_project_codes_are_exact(app):
    from dashboards.queries import programme

    assert programme.exists("MI4.1.1.c")
    assert not programme.exists("MI4.1.1.C")
    assert not programme.exists("MI4.1.1.c' OR '1'='1")
    assert programme.project("MI9.9.9.z") is None


def test_social_usage_never_publishes_small_counts(app):
    from dashboards.queries import social

    for municipio in (None, 1, 5):
        frame = social.usage_monthly(municipio, None)
        assert frame.height > 0
        assert frame.filter(pl.col("users").is_between(1, 4)).height == 0
        flagged = frame.filter(pl.col("flag") == "c")
        assert flagged["users"].null_count() == flagged.height


def test_filters_narrow_results(app):
    from dashboards.queries import housing, mobility

    everywhere = housing.status_totals(None, None)["units"].sum()
    one = housing.status_totals(3, None)["units"].sum()
    assert 0 < one < everywhere
    assert mobility.stations(None, None, 1, 8, programme_only=True).height == 35


@pytest.mark.parametrize("name", ["programme_by_axis", "axis_finance", "axis_indicators",
                                  "housing_status", "housing_vacancy", "social_usage",
                                  "mobility_bay_heatmap", "mobility_trips", "bike_stations",
                                  "cycle_routes", "project_finance", "project_units"])
def test_download_is_exactly_the_chart_data(app, name):
    from dashboards.components import charts

    spec = charts.REGISTRY[name]
    params = {"axis_id": "2", "code": "MI4.1.1.c", "municipio": "3", "year": "2022"}
    if name in ("mobility_bay_heatmap", "bike_stations", "cycle_routes"):
        params = {"code": "MI2.2.3.b" if name == "mobility_bay_heatmap" else None}
    frame = spec.data(params)
    figure, summary, table, store = charts.render(spec, params, "it")
    assert frame.height > 0 and summary
    sent = charts.download(store, "csv")
    assert sent["base64"] is True
    round_trip = pl.read_csv(io.BytesIO(base64.b64decode(sent["content"])), schema=frame.schema)
    assert_frame_equal(round_trip, frame)  # value by value, in the chart's row order
    assert sent["filename"] == f"{name}.csv"
    xlsx = charts.download(store, "xlsx")
    assert xlsx["filename"] == f"{name}.xlsx"
    sheet = load_workbook(io.BytesIO(base64.b64decode(xlsx["content"])), read_only=True).active
    assert_sheet_matches(list(sheet.iter_rows(values_only=True)), frame)


def test_download_refuses_unknown_charts(app):
    from dashboards.components import charts

    assert charts.download({"chart": "__import__('os')", "params": {}}, "csv") is None
    assert charts.download({"chart": "axis_finance", "params": {}}, "exe") is None
    assert charts.download("not a dict", "csv") is None
