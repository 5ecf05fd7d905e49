"""/reporting through a real gunicorn: downloads equal the CLI export; the page in a browser."""

from __future__ import annotations

from datetime import date

import pytest
import requests

from dashboards.reporting.export import export_eu_report
from dashboards.reporting.formats import file_names

AS_OF = date(2020, 12, 31)


def _get(base: str, **params) -> requests.Response:
    return requests.get(f"{base}/reporting/download", params=params, timeout=60)


@pytest.mark.parametrize("key", ["table6", "table3a", "operations"])
def test_csv_download_is_the_cli_file(live_server, warehouse, tmp_path, key):
    reply = _get(live_server, as_of=AS_OF.isoformat(), file=key, lang="it")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    name = file_names(AS_OF)[key]
    assert name in reply.headers["Content-Disposition"]
    export_eu_report(warehouse, AS_OF, tmp_path)
    assert reply.content == (tmp_path / name).read_bytes()


def test_xlsx_download_is_in_the_chosen_language(live_server, tmp_path):
    import openpyxl

    reply = _get(live_server, as_of=AS_OF.isoformat(), file="xlsx", lang="it")
    assert reply.status_code == 200
    assert reply.content[:2] == b"PK"
    path = tmp_path / "r.xlsx"
    path.write_bytes(reply.content)
    book = openpyxl.load_workbook(path)
    assert book["Table 6"]["A1"].value == "Asse prioritario"


@pytest.mark.parametrize("params,fragment", [
    ({"as_of": "2031-01-01", "file": "table6"}, "outside the programme period"),
    ({"as_of": "yesterday", "file": "table6"}, "not a date"),
    ({"as_of": "2020-01-01", "file": "../../etc/passwd"}, "unknown file"),
    ({"as_of": "2020-01-01", "file": "<script>"}, "unknown file"),
])
def test_bad_download_requests_get_400(live_server, params, fragment):
    reply = _get(live_server, **params)
    assert reply.status_code == 400
    assert fragment in reply.text
    assert "<script>" not in reply.text


@pytest.mark.browser
def test_reporting_page_in_a_browser(live_server, page, axe):
    page.goto(f"{live_server}/reporting?as_of=2019-12-31&lang=en")
    page.wait_for_selector("h1:has-text('EU programme reporting')", timeout=60_000)
    tables = page.locator("table")
    assert tables.count() == 5  # progress by axis, Table 6, Table 3A, Table 5, operations
    assert page.get_by_role("link", name="Table 5 (CSV)").count() == 1
    assert page.locator("#table-table6 tbody tr").count() == 5
    assert page.get_by_text("All reconciliation checks passed.").is_visible()
    link = page.get_by_role("link", name="Table 6 (CSV)")
    assert "as_of=2019-12-31" in link.get_attribute("href")
    assert axe(page) == []

    page.fill("#reporting-as-of", "2022-06-30")
    page.get_by_role("button", name="Update").click()
    page.wait_for_url("**as_of=2022-06-30**", timeout=60_000)
    page.wait_for_selector("text=as of 30 Jun 2022", timeout=60_000)
    assert "as_of=2022-06-30" in page.get_by_role("link", name="Table 6 (CSV)").get_attribute(
        "href")


@pytest.mark.browser
def test_reporting_page_in_italian_with_a_bad_date(live_server, page, axe):
    page.goto(f"{live_server}/reporting?as_of=2099-01-01&lang=it")
    page.wait_for_selector("h1:has-text('Rendicontazione UE del programma')", timeout=60_000)
    alert = page.locator("[role=alert]").filter(has_text="2014-01-01")
    assert alert.count() == 1
    assert axe(page) == []
