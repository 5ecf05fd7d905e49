"""Headless Debian chromium on /data and /data/<id>: search, facets, preview, downloads, axe."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
PAGES = ["/data", "/data/projects", "/data/social-usage-monthly", "/data/bike-stations",
         "/data/station-status-hourly?sort=avg_vehicles_available&desc=1&page=2"]


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("h1", timeout=60_000)


def test_search_and_facets(page, hub, published):
    open_page(page, f"{hub}/data")
    assert page.locator("#data-results > li").count() == len(published)
    page.fill("#data-q", "bike")
    page.click("#data-q-submit")
    page.wait_for_url(re.compile(r"/data\?q=bike"))
    page.wait_for_selector("#data-results")
    found = page.locator("#data-results [data-dataset]").evaluate_all(
        "els => els.map(e => e.dataset.dataset)")
    assert "bike-stations" in found and "projects" not in found
    open_page(page, f"{hub}/data")
    page.click("a[data-facet=theme][data-value=SOCI]")
    page.wait_for_url(re.compile(r"theme=SOCI"))
    page.wait_for_selector("#data-results")
    soci = {d for d, m in published.items() if m["theme"] == "SOCI"}
    shown = set(page.locator("#data-results [data-dataset]").evaluate_all(
        "els => els.map(e => e.dataset.dataset)"))
    assert shown == soci
    page.click("a[data-facet=format][data-value=geojson]")  # facets combine, URL keeps both
    page.wait_for_url(re.compile(r"theme=SOCI.*format=geojson|format=geojson.*theme=SOCI"))
    page.wait_for_selector("#data-results")
    shown = set(page.locator("#data-results [data-dataset]").evaluate_all(
        "els => els.map(e => e.dataset.dataset)"))
    assert shown == {d for d in soci if published[d]["lon_column"] or
                     published[d]["geometry_column"]}


def test_preview_pages_sorts_and_filters(page, hub, published):
    open_page(page, f"{hub}/data/bed-occupancy-daily")
    first = page.locator("#preview-table tbody tr").first.inner_text()
    page.click("#preview-next")
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_selector("#preview-table")
    assert page.locator("#preview-table tbody tr").first.inner_text() != first
    assert "2" in page.locator("#preview-page").inner_text()
    page.click("th[data-col=beds_available] a")
    page.wait_for_url(re.compile(r"sort=beds_available"))
    page.wait_for_selector("th[data-col=beds_available][aria-sort=ascending]")
    page.click("th[data-col=beds_available] a")
    page.wait_for_selector("th[data-col=beds_available][aria-sort=descending]")
    index = [c["column_name"] for c in published["bed-occupancy-daily"]["columns"]].index(
        "beds_available")
    values = page.locator(f"#preview-table tbody tr td:nth-child({index + 1})").all_inner_texts()
    numbers = [int(v.replace(".", "")) for v in values if v]
    assert numbers == sorted(numbers, reverse=True)
    open_page(page, f"{hub}/data/nil")
    page.select_option("#preview-col", "municipio_id")
    page.fill("#preview-val", "3")
    page.click("#preview-submit")
    page.wait_for_url(re.compile(r"col=municipio_id"))
    page.wait_for_selector("#preview-total")
    col = [c["column_name"] for c in published["nil"]["columns"]].index("municipio_id")
    cells = page.locator(f"#preview-table tbody tr td:nth-child({col + 1})").all_inner_texts()
    assert cells and set(cells) == {"3"}


def test_bad_preview_filter_shows_an_error(page, hub):
    open_page(page, f"{hub}/data/nil?col=municipio_id&val=abc")
    assert page.locator("#preview-error").is_visible()


def test_downloads_start(page, hub):
    open_page(page, f"{hub}/data/projects")
    page.wait_for_function("document.title.startsWith('Progetti PON Metro')")
    for fmt in ("csv", "xlsx", "geojson"):
        with page.expect_download() as info:
            page.click(f"#dataset-downloads a[data-format={fmt}]")
        assert info.value.suggested_filename == f"projects.{fmt}"


def test_unknown_dataset_page(page, hub):
    response = page.goto(f"{hub}/data/not-a-dataset")
    assert response.status == 404
    page.wait_for_selector("#not-found")
    assert "Non esiste un dataset pubblicato con questo identificativo." in \
        page.locator("#not-found").inner_text()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["it", "en"])
def test_axe_no_serious_violations(page, hub, axe, path, lang):
    sep = "&" if "?" in path else "?"
    open_page(page, f"{hub}{path}{sep}lang={lang}" if lang == "en" else f"{hub}{path}")
    page.wait_for_timeout(300)
    assert axe(page) == []
