"""Monitoring views through the query layer and the chart registry: flagged items first,
reasons in the page's language, the timeline's data, table and downloads."""

from __future__ import annotations

import base64
import io

import polars as pl
import pytest


def test_flagged_items_red_first_with_reasons_in_each_language(app):
    from dashboards.queries import monitoring

    it, en = monitoring.flagged(None, "it"), monitoring.flagged(None, "en")
    assert it.height == en.height > 0
    ranks = it["status_rank"].to_list()
    assert ranks == sorted(ranks, reverse=True) and set(it["status"]) <= {"amber", "red"}
    assert all(r.startswith(("Pagato", "Impegni", "Raggiunto", "Fine")) for r in it["reasons"])
    assert all(r.startswith(("Paid", "Open", "Achieved", "Planned")) for r in en["reasons"])
    four = monitoring.flagged(4, "it")
    assert set(four["axis_id"]) == {4} and "MI4.1.1.c" in four["item_id"].to_list()
    assert monitoring.flagged(4, "<script>").equals(four)  # unknown language -> Italian


def test_sections_show_status_as_shape_and_word(app):
    import json

    from dashboards import jsonenc
    from dashboards.components import monitoring

    def text(tree) -> str:  # the JSON the browser receives, HTML-safe escapes undone
        return json.dumps(json.loads(jsonenc.to_json(tree)), ensure_ascii=False)

    section = text(monitoring.flagged_section("k", None, "it"))
    assert "✖" in section and "Rosso" in section and "▲" in section and "Giallo" in section
    assert "Elementi a rischio" in section and "Red" not in section
    risk = text(monitoring.project_risk("MI4.1.1.c", "en"))
    assert "Why it is flagged:" in risk and "Planned end 30 Jun 2023 passed" in risk
    green = text(monitoring.project_risk("MI1.1.1.a", "it"))
    assert "Nessuna segnalazione" in green and "Verde" in green
    pf = text(monitoring.performance_section("p", 3, "it"))
    assert "Quadro di riferimento" in pf and "215/2014" in pf and "F3" in pf


@pytest.mark.parametrize(("params", "prefix"), [({"axis_id": "2", "lang": "it"}, "MI2"),
                                                ({"axis_id": "7", "lang": "en"}, "MI")])
def test_timeline_download_is_exactly_its_data(app, params, prefix):
    from dashboards.components import charts
    from dashboards.components.timeline import TIMELINE

    frame = TIMELINE.data(params)
    figure, summary, table, store = charts.render(TIMELINE, params, params["lang"])
    assert frame.height > 0 and all(c.startswith(prefix) for c in frame["project_code"])
    names = [t["name"] for t in figure["data"]]
    assert ("Previsto" in names) == (params["lang"] == "it")
    assert any(s.get("type") == "line" for s in figure["layout"]["shapes"])  # today's line
    sent = charts.download(store, "csv")
    back = pl.read_csv(io.BytesIO(base64.b64decode(sent["content"])), try_parse_dates=True)
    assert back.height == frame.height and back.columns == frame.columns
    assert sent["filename"] == "project_timeline.csv"
    assert charts.download(store, "xlsx")["filename"] == "project_timeline.xlsx"
