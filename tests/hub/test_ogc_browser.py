"""Headless Debian chromium with axe-core on the HTML of the OGC API and the OpenAPI page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
PAGES = ["/ogc/?f=html", "/ogc/collections?f=html", "/ogc/collections/nil?f=html",
         "/ogc/collections/bike-stations/items?f=html&limit=20&offset=20",
         "/ogc/collections/projects/items/MI4.1.1.c?f=html&lang=en", "/ogc/api?f=html"]


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(page, hub, axe, path):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{hub}{path}")
    page.wait_for_selector("h1")
    assert axe(page) == []
    assert errors == []  # CSP lets the local stylesheets load, nothing else is needed


def test_html_pages_link_to_each_other(page, hub):
    page.goto(f"{hub}/ogc/collections?f=html")
    page.click("a[href*='/collections/nil/items']")
    page.wait_for_selector("table tbody tr")
    assert page.locator("table tbody tr").count() == 10
    page.click("a[rel=next]")
    page.wait_for_url("**offset=10**")
    page.wait_for_selector("a[rel=prev]")
