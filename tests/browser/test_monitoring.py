"""Flags first, why a project is flagged, the timeline filtered by the URL, in Chromium."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.browser.conftest import settle

pytestmark = pytest.mark.browser


def truth(sql: str, params=None):
    from dashboards import warehouse as door

    return door.query(sql, params)


def test_overview_lists_flagged_items_first_and_filters_the_timeline(page, console,
                                                                      live_server):
    settle(page, live_server + "/?axis=2")
    sections = page.locator("#main-content section")
    assert sections.first.get_attribute("id") == "home-flags"
    flags = page.locator("#home-flags tbody tr")
    assert flags.count() == truth("SELECT count(*) AS n FROM mart.programme_risk_status "
                                  "WHERE status <> 'green'")["n"][0]
    assert re.match(r"^✖ Rosso", flags.first.locator("td").first.inner_text())
    timeline = page.locator("section", has=page.locator("#home-timeline-title"))
    with page.expect_download() as info:
        timeline.get_by_role("button", name=re.compile("^Scarica CSV")).click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    axis2 = truth("SELECT project_code FROM mart.programme_projects WHERE axis_id = 2 ORDER BY 1")
    assert sorted(r["project_code"] for r in rows) == axis2["project_code"].to_list()
    assert {r["status_label"][0] for r in rows} <= {"✔", "▲", "✖"}
    page.locator("#home-axis input[value='4']").check()
    page.wait_for_url(re.compile(r"\?axis=4$"))
    page.wait_for_function("() => document.querySelector(\"[id*='home-timeline'][id*='chart-table']\")"
                           ".textContent.includes('MI4.1.1.c')")
    table = page.locator("[id*='home-timeline'][id*='chart-table']").text_content()
    assert "MI2.2.3.a" not in table
    assert console.unexpected() == []


def test_project_page_says_why_it_is_flagged(page, console, live_server):
    settle(page, live_server + "/projects/MI4.1.1.c?lang=en")
    risk = page.locator("#project-risk")
    assert "✖ Red" in risk.inner_text()
    for reason in truth("SELECT reason_en FROM mart.programme_risk_flags WHERE item_id = 'MI4.1.1.c'"
                        )["reason_en"]:
        assert reason in risk.inner_text()
    assert console.unexpected() == []


def test_axis_page_flags_then_performance_framework(page, live_server):
    settle(page, live_server + "/axis/3")
    ids = page.locator("#main-content section[id]").evaluate_all("els => els.map(e => e.id)")
    assert ids.index("axis-flags") < ids.index("axis-pf")
    pf = page.locator("#axis-pf").inner_text()
    assert "Quadro di riferimento" in pf and "F3" in pf and "CO18" in pf
    assert page.locator("#axis-timeline-title").count() == 1
