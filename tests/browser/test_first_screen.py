"""The dashboards' server-written first screen in Debian chromium: readable and accessible
without JavaScript; with it, Dash's render takes its place at the same position, leaves
one copy of the page (no duplicate ids) and keeps the page's title when navigating."""

from __future__ import annotations

import pytest

from dashboards.public import seo
from tests.browser.conftest import fonts_in_use, settle

pytestmark = pytest.mark.browser
PHONE = {"width": 412, "height": 823}


@pytest.fixture(scope="module")
def nojs(browser):
    context = browser.new_context(java_script_enabled=False, locale="it-IT", viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def scriptless(browser):
    """A page whose script files never load: the first screen as it stays without Dash, with
    JavaScript still available to axe-core (which cannot run where JavaScript is off)."""
    context = browser.new_context(locale="it-IT", viewport=PHONE)
    context.route("**/*", lambda route: route.abort() if route.request.resource_type == "script"
                  else route.continue_())
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def shell(warehouse):
    """The shell module on the served warehouse (what the server writes, read in-process)."""
    from dashboards import (
        app,  # noqa: F401 - registers the pages
        shell,
    )
    from dashboards import warehouse as door

    door.reset()
    return shell


@pytest.mark.parametrize("path", seo.DASHBOARDS)
def test_dashboard_reads_without_javascript(nojs, scriptless, live_server, axe, shell, path):
    title, _description, _html = shell.first_screen(path, {"lang": "en"})
    response = nojs.goto(f"{live_server}{path}?lang=en")
    assert response.status == 200
    assert nojs.title() == seo.full_title(title)
    heading = nojs.locator("h1")
    assert heading.count() == 1 and heading.is_visible()
    assert nojs.locator("#frame-header nav a").count() >= 8  # the frame: navigation works
    assert nojs.locator("footer").get_by_text("CC BY 4.0").count() == 1
    assert nojs.locator("#react-entry-point").is_hidden()  # Dash's "Loading..." is not shown
    scriptless.goto(f"{live_server}{path}?lang=en")
    assert scriptless.locator("#pm-first-screen h1").is_visible()
    assert axe(scriptless) == []


def test_overview_kpis_are_visible_without_javascript(nojs, live_server, shell):
    from dashboards.i18n import fmt_eur
    from dashboards.queries import programme

    nojs.goto(f"{live_server}/")
    value = nojs.locator(".pm-kpi-value").first
    assert value.is_visible()
    assert value.inner_text() == fmt_eur(programme.programme_totals()["allocation_eur"], "it")


@pytest.mark.parametrize("path", ["/", "/housing", "/axis/1"])
def test_dash_takes_the_place_of_the_first_screen(page, nojs, console, live_server, path):
    nojs.set_viewport_size(PHONE)
    nojs.goto(f"{live_server}{path}")
    fonts_in_use(nojs)  # both sides measured in the same fonts
    before = nojs.locator("h1").bounding_box()
    # below the filters: Dash's own stylesheet (injected by its scripts) moves nothing
    last_before = nojs.locator("#main-content section.pm-card").last.bounding_box()
    server_title = nojs.title()
    page.set_viewport_size(PHONE)
    settle(page, f"{live_server}{path}")
    assert page.locator("#pm-first-screen").count() == 0
    assert page.locator("h1").count() == 1
    assert page.locator("#react-entry-point h1").is_visible()
    after = page.locator("h1").bounding_box()
    assert abs(after["y"] - before["y"]) <= 1 and abs(after["height"] - before["height"]) <= 1
    last_after = page.locator("#main-content section.pm-card").last.bounding_box()
    assert abs(last_after["y"] - last_before["y"]) <= 2, (last_before, last_after)
    duplicates = page.evaluate("""() => {
        const seen = {}, twice = [];
        document.querySelectorAll('[id]').forEach(e => {
            if (seen[e.id]) twice.push(e.id); seen[e.id] = true; });
        return twice; }""")
    assert duplicates == []
    assert page.title() == server_title  # Dash's router sets the same title
    assert console.unexpected() == []


def test_title_follows_navigation_in_the_language(page, console, live_server, shell):
    settle(page, f"{live_server}/?lang=en")
    page.locator("#frame-header nav a[href='/housing?lang=en']").click()
    page.wait_for_url("**/housing?lang=en")
    title, _description, _html = shell.first_screen("/housing", {"lang": "en"})
    page.wait_for_function("t => document.title === t", arg=seo.full_title(title))
    assert console.unexpected() == []
