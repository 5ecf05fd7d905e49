"""Every council page in headless Debian Chromium: loads cleanly, renders, is accessible.

One visit per route (the suite must stay within a few minutes on 2 cores); the
interaction tests below each drive one behaviour users rely on.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.browser.conftest import SCREENSHOTS, settle

pytestmark = pytest.mark.browser

#: route, screenshot name (None: no screenshot), minimum number of charts, of maps
ROUTES = [
    ("/", "overview", 1, 1),
    ("/axis/1", "axis-1", 2, 0),
    ("/axis/2", None, 2, 0),
    ("/axis/3", None, 2, 0),
    ("/axis/4", None, 2, 0),
    ("/housing", "housing", 3, 1),
    ("/social", "social", 2, 1),
    ("/mobility", "mobility", 4, 1),
    ("/note-legali", None, 0, 0),
    ("/privacy", None, 0, 0),
    ("/accessibilita", None, 0, 0),
    ("/?lang=en", None, 1, 1),
]
NOT_FOUND = ("status of 404", "http 404")


def expected(sql: str):
    """Ground truth read through the warehouse door (one DuckDB configuration per process)."""
    from dashboards import warehouse as door

    return door.query(sql)


@pytest.mark.parametrize(("route", "shot", "charts", "maps"), ROUTES,
                         ids=[r[0] for r in ROUTES])
def test_route_loads_renders_and_is_accessible(page, console, axe, live_server,
                                               route, shot, charts, maps):
    settle(page, live_server + route)
    assert page.locator(".js-plotly-plot").count() >= charts
    assert page.locator(".leaflet-container").count() >= maps
    assert page.locator(".dash-fe-error__title").count() == 0, "Dash callback error shown"
    assert page.locator("html").get_attribute("lang") == ("en" if "lang=en" in route else "it")
    assert page.locator(".pm-demo-banner").count() == 1, "demo data must be labelled"
    assert page.locator("footer").get_by_text("CC BY 4.0").count() == 1
    assert console.unexpected() == []
    assert axe(page) == []
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"))


def test_project_page_screenshot(page, console, axe, live_server):
    """The project pages are server-rendered (tests/public); here: the screenshot in the docs."""
    page.goto(live_server + "/projects/MI4.1.1.c", wait_until="networkidle")
    assert "MI4.1.1.c" in page.locator("h1").inner_text()
    assert console.unexpected() == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "project-MI4.1.1.c.png"))


def test_dash_links_to_project_pages_load_the_whole_page(page, console, live_server):
    """A project link on an axis page leaves Dash: the server-rendered page arrives whole."""
    settle(page, live_server + "/axis/4")
    page.locator("a[href='/projects/MI4.1.1.c']").first.click()
    page.wait_for_url(re.compile(r"/projects/MI4\.1\.1\.c$"))
    page.wait_for_selector("#project-money")
    assert page.locator("#_pages_content").count() == 0  # not drawn by Dash's router
    assert console.unexpected() == []


@pytest.mark.parametrize("route", ["/no-such-page", "/projects/MI9.9.9.z", "/axis/7"])
def test_unknown_routes_get_the_404_page(page, console, live_server, route):
    response = page.goto(live_server + route, wait_until="networkidle")
    assert response.status == 404
    page.wait_for_function("() => !document.getElementById('pm-first-screen')")  # Dash's own
    page.wait_for_selector("#not-found")
    assert page.locator("h1").inner_text() == "Pagina non trovata"
    assert console.unexpected(allowed=NOT_FOUND) == []


def summary(page, key: str) -> str:
    return page.locator(f"figcaption[id*='{key}']").inner_text()


def caption_changes(page, key: str, before: str) -> str:
    """Wait until chart ``key``'s caption is no longer ``before``; return the new one."""
    page.wait_for_function(
        "([k, b]) => document.querySelector(`figcaption[id*='${k}']`).innerText !== b",
        arg=[key, before])
    return summary(page, key)


def test_filter_updates_chart_and_url_and_history(page, console, live_server):
    settle(page, live_server + "/social")
    before = summary(page, "social-usage")
    page.locator("#social-municipio").get_by_label("3", exact=True).check()
    page.wait_for_url(re.compile(r"/social\?municipio=3$"))
    page.wait_for_function(
        "(b) => document.querySelector(\"figcaption[id*='social-usage']\").innerText !== b",
        arg=before)
    filtered = summary(page, "social-usage")
    page.locator("#social-year").get_by_label("2022", exact=True).check()
    page.wait_for_url(re.compile(r"municipio=3&year=2022$"))
    page.go_back()
    page.wait_for_url(re.compile(r"/social\?municipio=3$"))
    page.wait_for_function(
        "() => document.querySelector('#social-year input[value=\"all\"]').checked")
    page.wait_for_function(
        "(f) => document.querySelector(\"figcaption[id*='social-usage']\").innerText === f",
        arg=filtered)
    page.go_back()
    page.wait_for_url(re.compile(r"/social$"))
    page.wait_for_function(
        "(b) => document.querySelector(\"figcaption[id*='social-usage']\").innerText === b",
        arg=before)
    page.go_forward()
    page.wait_for_url(re.compile(r"municipio=3$"))
    page.wait_for_function(
        "() => document.querySelector(\"#social-municipio input[value='3']\").checked")
    page.wait_for_function(
        "(f) => document.querySelector(\"figcaption[id*='social-usage']\").innerText === f",
        arg=filtered)
    assert console.unexpected() == []


def test_permalink_reproduces_the_view(page, console, live_server):
    settle(page, live_server + "/social")
    whole_city = summary(page, "social-usage")
    page.locator("#social-municipio").get_by_label("5", exact=True).check()
    page.wait_for_url(re.compile(r"municipio=5$"))
    shown = caption_changes(page, "social-usage", whole_city)
    link = page.url
    other = page.context.new_page()
    settle(other, link)
    assert other.locator("#social-municipio input[value='5']").is_checked()
    assert summary(other, "social-usage") == shown
    other.close()
    assert console.unexpected() == []


def test_chart_download_returns_exactly_its_rows(page, live_server, warehouse):
    settle(page, live_server + "/axis/2?year=2021")
    block = page.locator("section", has=page.locator("#axis-finance-title"))
    with page.expect_download() as info:
        block.get_by_role("button", name=re.compile("^Scarica CSV")).click()
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    truth = expected("SELECT month, paid_cum_eur FROM mart.programme_axis_finance_monthly "
                     "WHERE axis_id = 2 AND year(month) = 2021 ORDER BY month")
    assert [r["month"] for r in rows] == [m.isoformat() for m in truth["month"]]
    assert [float(r["paid_cum_eur"]) for r in rows] == truth["paid_cum_eur"].to_list()
    assert info.value.suggested_filename == "axis_finance.csv"
    with page.expect_download() as xlsx:
        block.get_by_role("button", name=re.compile("^Scarica XLSX")).click()
    assert open(xlsx.value.path(), "rb").read(2) == b"PK"


def test_language_switch_keeps_filters(page, console, live_server):
    settle(page, live_server + "/housing?municipio=2")
    assert page.locator("h1").inner_text() == "Edilizia residenziale pubblica (ERP)"
    page.locator(".pm-lang a[data-lang='en']").click()
    page.wait_for_url(re.compile(r"/housing\?lang=en&municipio=2$|municipio=2&lang=en$"))
    page.wait_for_selector("text=Public housing (ERP)")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#housing-municipio input[value='2']").is_checked()
    nav = page.locator("nav.pm-nav a").evaluate_all("els => els.map(e => e.href)")
    assert all("lang=en" in href for href in nav)
    page.locator("nav.pm-nav").get_by_role("link", name="Mobility").click()
    page.wait_for_selector("text=Sustainable mobility")
    assert "lang=en" in page.url
    assert console.unexpected() == []


def test_nil_filter_follows_the_municipio_and_history(page, console, live_server):
    settle(page, live_server + "/housing")
    whole_city = summary(page, "housing-status")
    page.locator("#housing-municipio input[value='2']").check()
    page.wait_for_url(re.compile(r"municipio=2$"))
    municipio = caption_changes(page, "housing-status", whole_city)
    page.wait_for_function("() => document.querySelectorAll('#housing-nil input').length > 2")
    nil = page.locator("#housing-nil input").nth(1).get_attribute("value")
    page.locator(f"#housing-nil input[value='{nil}']").check()
    page.wait_for_url(re.compile(rf"municipio=2&nil={nil}$"))
    # the URL follows the filter before the charts do: wait for the chart itself
    narrow = caption_changes(page, "housing-status", municipio)
    page.locator("#housing-municipio input[value='5']").check()
    page.wait_for_url(re.compile(r"/housing\?municipio=5$"))  # the NIL of municipio 2 is gone
    page.go_back()
    page.wait_for_url(re.compile(rf"municipio=2&nil={nil}$"))
    page.wait_for_function(
        f"() => document.querySelector(\"#housing-nil input[value='{nil}']\")?.checked")
    page.wait_for_function(
        "(f) => document.querySelector(\"figcaption[id*='housing-status']\").innerText === f",
        arg=narrow)
    assert console.unexpected() == []
