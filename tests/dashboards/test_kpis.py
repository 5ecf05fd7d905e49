"""Per-axis KPIs are data (dashboards.components.kpis): the axis page draws whatever is
registered, with values from the warehouse and a source derived from the query."""

from __future__ import annotations

import duckdb
import orjson
import pytest

from dashboards import jsonenc


def cards(node) -> list[dict]:
    """Every KPI card of a layout: label, value, footnote, progress bar value (read from the
    JSON the browser receives: cards are plain elements, other blocks components)."""
    found = []

    def walk(n):
        if isinstance(n, list):
            for child in n:
                walk(child)
            return
        if not isinstance(n, dict) or "props" not in n:
            return
        props = n["props"]
        if props.get("className") == "pm-kpi":
            kids = [c["props"] for c in props["children"] if isinstance(c, dict)]
            parts = {c["className"]: c["children"] for c in kids if c.get("className")}
            bar = [c for c in kids if c.get("role") == "progressbar"]
            found.append({"label": parts["pm-kpi-label"], "value": parts["pm-kpi-value"],
                          "source": parts["pm-footnote"],
                          "bar": bar[0]["aria-valuenow"] if bar else None})
            return
        walk(props.get("children"))

    walk(orjson.loads(jsonenc.to_json(node)))
    return found


def render(app, axis_id: int, lang: str) -> list[dict]:
    from .test_map_points import page_module

    axis = page_module("axis")  # as Dash loaded it (importing it again re-registers the page)
    with app.server.test_request_context("/"):
        return cards(axis.layout(axis_id=str(axis_id), lang=lang))


@pytest.mark.parametrize("axis_id", [1, 2, 3, 4])
def test_axis_cards_show_the_warehouse_figures(app, warehouse, axis_id):
    from dashboards.i18n import fmt_eur

    with duckdb.connect(str(warehouse), read_only=True) as con:
        alloc, paid = con.execute(
            "SELECT a.allocation_eur, sum(p.paid_eur) FROM mart.programme_axes a "
            "JOIN mart.programme_projects p USING (axis_id) WHERE axis_id = ? GROUP BY ALL",
            [axis_id]).fetchone()
        indicators = con.execute("SELECT indicator_code FROM mart.programme_indicators "
                                 "WHERE axis_id = ? ORDER BY 1", [axis_id]).fetchall()
    shown = render(app, axis_id, "en")
    by_label = {c["label"]: c for c in shown}
    assert by_label["Allocation"]["value"] == fmt_eur(alloc, "en")
    assert by_label["Paid"]["value"] == fmt_eur(paid, "en")
    assert by_label["Paid"]["bar"] == round(min(1.0, paid / alloc) * 100)
    assert "mart.programme_axes; PON Metro 2014-2020 projects in Milan (mart.programme_projects)" \
        in by_label["Paid"]["source"]
    assert [c["label"].split(" – ")[0] for c in shown[3:]] == [i[0] for i in indicators]
    assert all("(mart.programme_indicator_progress)" in c["source"] for c in shown[3:])
    assert [c["label"] for c in render(app, axis_id, "it")[:3]] == \
        ["Dotazione", "Impegnato", "Pagato"]


def test_a_new_kpi_is_one_registry_entry(app, warehouse):
    """Bike trips per day on axis 2: registered here, drawn by the axis page's layout."""
    from dashboards.components import kpis
    from dashboards.i18n import fmt_number
    from dashboards.queries.common import Query

    spec = kpis.register(kpis.KpiSpec(
        name="test_bike_trips_per_day", axes=(2,), unit="trips/day",
        label=("Spostamenti in bici al giorno", "Bike trips per day"), value="per_day",
        query=Query("""
            SELECT sum(d.trips) / count(DISTINCT d.date) AS per_day
            FROM mart.mobility_trips_daily d JOIN mart.mobility_vehicle_types v USING (vehicle_type_id)
            WHERE v.form_factor = 'bicycle'""")))
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            expected = con.execute(
                "SELECT sum(trips) / count(DISTINCT date) FROM mart.mobility_trips_daily "
                "WHERE vehicle_type_id IN (SELECT vehicle_type_id FROM mart.mobility_vehicle_types "
                "WHERE form_factor = 'bicycle')").fetchone()[0]
        assert expected and expected > 0
        shown = {c["label"]: c for c in render(app, 2, "en")}
        card = shown["Bike trips per day"]
        assert card["value"] == f"{fmt_number(expected, 'en')} trips/day"
        assert card["source"].startswith(
            "Source: Daily shared-mobility trips by vehicle type (mart.mobility_trips_daily); "
            "mart.mobility_vehicle_types")
        assert "Spostamenti in bici al giorno" in {c["label"] for c in render(app, 2, "it")}
        assert "Bike trips per day" not in {c["label"] for c in render(app, 1, "en")}
    finally:
        kpis.KPIS.pop(spec.name)
    assert "Bike trips per day" not in {c["label"] for c in render(app, 2, "en")}


def test_a_kpi_in_an_unknown_group_is_refused():
    from dashboards.components import kpis
    from dashboards.queries.common import Query

    with pytest.raises(ValueError, match="unknown group 'sidebar'"):
        kpis.register(kpis.KpiSpec(name="x", query=Query("SELECT 1 AS v"), value="v",
                                   label=("x", "x"), group="sidebar"))
    assert "x" not in kpis.KPIS


def test_query_reads_are_parsed_not_written_by_hand():
    from dashboards.queries.common import Query

    q = Query("WITH t AS (SELECT * FROM mart.programme_projects WHERE axis_id = $axis_id) "
              "SELECT * FROM t JOIN mart.programme_axes USING (axis_id)")
    assert q.tables == ("mart.programme_axes", "mart.programme_projects")  # the CTE is not a table
    assert q.parameters == {"axis_id"}
    with pytest.raises(ValueError, match="does not parse"):
        _ = Query("SELEC nothing").tables
