"""The public pages in Debian chromium with JavaScript disabled: every fact is in the first
response, and equals what the query layer reads from the warehouse (not fixed strings).
axe-core then checks the same pages (0 serious or critical violations)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser
DATASETS = ["projects", "bike-stations", "social-usage-monthly"]


@pytest.fixture(scope="module")
def nojs(browser):
    context = browser.new_context(java_script_enabled=False, locale="it-IT",
                                  viewport={"width": 412, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _open(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    # complete HTML: no script runs on these pages (JSON-LD is data, not a script)
    assert page.locator("script:not([type='application/ld+json'])").count() == 0
    assert page.locator(".pm-demo-banner").count() == 1
    assert page.locator("footer").get_by_text("CC BY 4.0").count() == 1


def _texts(locator) -> list[str]:
    return [t.strip() for t in locator.all_inner_texts()]


def _contents(locator) -> list[str]:
    """Text of elements the browser may not have laid out yet (``content-visibility: auto``
    below the first screen): what the HTML holds, as a crawler or screen reader reads it."""
    return [" ".join(t.split()) for t in locator.all_text_contents()]


def test_catalogue_without_javascript(nojs, live_server, door):
    from dashboards.hub.labels import facet_label
    from dashboards.i18n import fmt_number
    from dashboards.queries import catalog

    _open(nojs, f"{live_server}/data")
    results, counts = catalog.search("", {})
    cards = nojs.locator("#data-results [data-dataset]")
    assert cards.evaluate_all("els => els.map(e => e.dataset.dataset)") == \
        [ds.id for ds in results]
    for ds, card in zip(results, cards.all(), strict=True):
        text = card.inner_text()
        assert card.locator("h3").inner_text() == ds.title_it
        assert fmt_number(ds.rows, "it") in text and ds.description_it in text
    for facet, values in counts.items():
        for value, n in values.items():
            link = nojs.locator(f"a[data-facet='{facet}'][data-value='{value}']")
            assert link.inner_text() == f"{facet_label(facet, value, 'it')} ({n})"
    nojs.fill("#data-q", "bike")  # a plain GET form: works without scripts
    nojs.click("#data-q-submit")
    nojs.wait_for_url(re.compile(r"/data\?q=bike"))
    found = nojs.locator("#data-results [data-dataset]").evaluate_all(
        "els => els.map(e => e.dataset.dataset)")
    assert found == [ds.id for ds in catalog.search("bike", {})[0]]
    nojs.click("a[data-facet='theme']")  # facet links narrow the result set
    assert "theme=" in nojs.url and nojs.locator("a.pm-facet[aria-current='true']").count() == 1


@pytest.mark.parametrize("dataset_id", DATASETS)
def test_dataset_page_without_javascript(nojs, live_server, door, dataset_id):
    from dashboards import formats
    from dashboards.i18n import fmt_number
    from dashboards.public.dataset import PAGE_SIZE, _cell
    from dashboards.queries import catalog, datastore

    ds = catalog.get(dataset_id)
    _open(nojs, f"{live_server}/data/{dataset_id}?lang=en")
    assert nojs.locator("h1").inner_text() == ds.title_en
    assert nojs.locator("p.lead").inner_text() == ds.description_en
    terms = _texts(nojs.locator("#dataset-metadata dt"))
    values = dict(zip(terms, _texts(nojs.locator("#dataset-metadata dd")), strict=True))
    assert values["Identifier"] == f"{ds.publisher_ipa}:{ds.id}"
    assert values["Rows"] == fmt_number(ds.rows, "en")
    assert values["Spatial coverage"] == ds.spatial
    assert values["Keywords"] == ", ".join(ds.keywords)
    assert ds.publisher in values["Publisher"]
    assert (nojs.locator("#dataset-suppression").count() == 1) == ds.suppressed
    hrefs = nojs.locator("#dataset-downloads a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert hrefs == [f.href(ds.id) for f in formats.links(ds)] + \
        [f"/data/{ds.id}/datapackage.json"]
    assert _texts(nojs.locator("#dictionary-table tbody th")) == list(ds.column_names)
    truth = datastore.search(ds, limit=PAGE_SIZE)
    assert _texts(nojs.locator("#preview-table thead th")) == [c.name for c in truth["columns"]]
    rows = nojs.locator("#preview-table tbody tr")
    assert rows.count() == len(truth["rows"])
    for i in (0, len(truth["rows"]) - 1):
        shown = [t.strip() for t in rows.nth(i).locator("td").all_inner_texts()]
        assert shown == [_cell(v).strip() for v in truth["rows"][i]]
    assert fmt_number(truth["total"], "en") in nojs.locator("#preview-total").inner_text()
    api = nojs.locator("#api-examples").inner_text()
    assert f"resource_id={ds.id}" in api and f"package_show?id={ds.id}" in api
    assert door.build_info().build_id in nojs.locator("#citation").inner_text()
    # sorting is a link: the next page of rows comes from the server, sorted
    column = ds.columns[0].name
    nojs.click(f"th[data-col='{column}'] a")
    nojs.click(f"th[data-col='{column}'] a")
    assert nojs.locator(f"th[data-col='{column}']").get_attribute("aria-sort") == "descending"
    top = datastore.search(ds, sort=f"{column} desc", limit=1)["rows"][0]
    assert [t.strip() for t in nojs.locator("#preview-table tbody tr").first.locator(
        "td").all_inner_texts()] == [_cell(v).strip() for v in top]


def test_every_project_page_without_javascript(nojs, live_server, door):
    from dashboards.components import specs
    from dashboards.components.charts import TABLE_ROWS
    from dashboards.i18n import fmt_eur
    from dashboards.queries import monitoring, programme

    codes = programme.project_codes()
    assert len(codes) >= 28
    for code in codes:
        project = programme.project(code)
        _open(nojs, f"{live_server}/projects/{code}")
        assert nojs.locator("h1").inner_text() == f"{code} – {project['title_it']}"
        money = nojs.locator("#project-money").inner_text()
        for key in ("budget_eur", "committed_eur", "paid_eur"):
            assert fmt_eur(project[key] or 0, "it") in money, (code, key)
        risk = nojs.locator("#project-risk").inner_text()
        for reason in monitoring.project_flags(code, "it")["reason"].to_list() \
                if monitoring.available() else []:
            assert reason in risk, code
        for key, spec in (("project-finance", specs.PROJECT_FINANCE),
                          ("project-indicators", specs.PROJECT_INDICATORS)):
            frame = spec.data({"code": code})
            assert nojs.locator(f"#{key} tbody tr").count() == min(frame.height, TABLE_ROWS)
    # the year filter is a GET form: the table follows it without scripts
    _open(nojs, f"{live_server}/projects/MI4.1.1.c")
    nojs.select_option("#project-year", "2020")
    nojs.click("#project-year ~ button")
    nojs.wait_for_url(re.compile(r"year=2020"))
    frame = specs.PROJECT_FINANCE.data({"code": "MI4.1.1.c", "year": "2020"})
    assert nojs.locator("#project-finance tbody tr").count() == frame.height == 12


def test_chart_download_link_gives_exactly_the_table_data(nojs, live_server, door):
    import io

    import polars as pl
    import requests

    from dashboards.components import specs

    _open(nojs, f"{live_server}/projects/MI4.1.1.c?year=2021")
    href = nojs.locator("#project-finance a[href*='.csv']").get_attribute(
        "href")
    reply = requests.get(live_server + href, timeout=60)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    got = pl.read_csv(io.BytesIO(reply.content), try_parse_dates=True)
    want = specs.PROJECT_FINANCE.data({"code": "MI4.1.1.c", "year": "2021"})
    assert got.height == want.height == 12
    assert got["paid_cum_eur"].to_list() == want["paid_cum_eur"].to_list()


def test_reporting_without_javascript(nojs, live_server, door):
    from dashboards.i18n import fmt_eur, fmt_number
    from dashboards.queries.reporting import cached_report

    as_of = "2020-12-31"
    report = cached_report(as_of)
    _open(nojs, f"{live_server}/reporting?as_of={as_of}&lang=en")
    table6 = nojs.locator("#table-table6 tbody tr")
    assert table6.count() == report.table6.height
    for row, truth in zip(table6.all(), report.table6.iter_rows(named=True), strict=True):
        cells = _contents(row.locator("td"))
        assert cells[0] == f"{truth['axis_id']} – {truth['axis_name_en']}"
        assert cells[2] == fmt_eur(truth["total_allocation_eur"], "en")
        assert cells[8] == fmt_number(truth["operations_selected"], "en")
    assert nojs.locator("#table-operations tbody tr").count() == report.operations.height
    assert nojs.locator("#table-table5 tbody tr").count() == report.table5.height
    codes = _contents(nojs.locator("#table-operations tbody tr td:first-child"))
    assert codes == report.operations["COD_LOCALE_PROGETTO"].to_list()
    links = nojs.locator("#reporting-downloads a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert len(links) == 5 and all(f"as_of={as_of}" in h for h in links)
    nojs.fill("#reporting-as-of", "2022-06-30")
    nojs.click("form.reporting-form button")
    nojs.wait_for_url(re.compile(r"as_of=2022-06-30"))
    assert "30 Jun 2022" in nojs.locator("h1 + p").inner_text()


@pytest.mark.parametrize("route", ["/data", "/data/projects?lang=en", "/data/social-usage-monthly",
                                   "/projects/MI4.1.1.c", "/projects/MI2.2.3.a?lang=en",
                                   "/reporting?as_of=2021-06-30", "/data/nope"])
def test_public_pages_are_accessible(page, console, axe, live_server, route):
    page.goto(live_server + route)
    page.wait_for_selector("#main-content h1")
    assert axe(page) == []
    allowed = ("http 404", "status of 404") if "nope" in route else ()
    assert console.unexpected(allowed=allowed) == []
