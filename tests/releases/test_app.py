"""Releases in the running service: ``?release=`` downloads and EU reports from a real
gunicorn that switches release under it, the dataset page's release list, DCAT versions.

One host is set up per module: release ``base`` is published and served, the files the
service gives are recorded, then release ``v1`` is published and the server follows it.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date

import pyarrow.parquet as pq
import pyshacl
import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, RDF

from dashboards.reporting.formats import file_names
from dashboards.reporting.routes import FILES
from tests.conftest import Server
from tests.hub.shapes import shapes_graph
from tests.releases.conftest import Host, build_id

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
DCAT3 = Namespace(str(DCAT))  # DCAT 3 terms; rdflib's DCAT is DCAT 2
AS_OF = "2023-12-31"
ADMS = "http://www.w3.org/ns/adms#"
SHAPES = ("dcat-ap-3.0.1-SHACL.ttl", "dcatapit-min.shapes.ttl")


def _wait_for_build(url: str, build: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if requests.get(f"{url}/healthz", timeout=10).json().get("build_id") == build:
            return
        time.sleep(0.2)
    raise AssertionError(f"the server did not switch to build {build}")


@pytest.fixture(scope="module")
def service(variants, tmp_path_factory):
    folder = tmp_path_factory.mktemp("service")
    host = Host(folder / "host")
    host.ok("release", "publish", "--warehouse", str(variants["base"]))
    base = host.current()
    server = Server(host.served, env={"PONMETRO_RELEASES": str(host.store),
                                      "PONMETRO_CACHE_DIR": str(folder / "cache")},
                    log=folder / "gunicorn.log").start()
    try:
        _wait_for_build(server.url, build_id(variants["base"]))
        before = {"reports": {}, "downloads": {}}
        for file in FILES:
            resp = requests.get(f"{server.url}/reporting/download",
                                params={"as_of": AS_OF, "file": file}, timeout=120)
            assert resp.status_code == 200
            before["reports"][file] = resp.content
        for fmt in ("csv", "parquet", "json"):
            resp = requests.get(f"{server.url}/download/indicators.{fmt}", timeout=120)
            assert resp.status_code == 200
            before["downloads"][fmt] = resp.content
        cli_out = folder / "export-while-current"
        host.ok("export", "eu-report", "--as-of", AS_OF, "--out", str(cli_out))
        before["cli"] = {p.name: p.read_bytes() for p in cli_out.iterdir()}
        host.ok("release", "publish", "--warehouse", str(variants["v1"]))
        _wait_for_build(server.url, build_id(variants["v1"]))
        yield {"url": server.url, "host": host, "base": base, "v1": host.current(),
               "before": before, "folder": folder}
    finally:
        server.stop()


def test_download_as_of_a_kept_release(service, variants):
    url, base = service["url"], service["base"]
    for fmt in ("csv", "json"):
        old = requests.get(f"{url}/download/indicators.{fmt}", params={"release": base},
                           timeout=120)
        assert old.status_code == 200
        assert old.content == service["before"]["downloads"][fmt]
        assert old.headers["X-Build-Id"] == build_id(variants["base"])
        assert base in old.headers["Content-Disposition"]
        now = requests.get(f"{url}/download/indicators.{fmt}", timeout=120)
        assert now.headers["X-Build-Id"] == build_id(variants["v1"])
        assert now.content != old.content and b"TEST.NEW" in now.content
        assert b"TEST.NEW" not in old.content
    old = requests.get(f"{url}/download/indicators.parquet", params={"release": base},
                       timeout=120)
    assert pq.read_table(io.BytesIO(old.content)).equals(
        pq.read_table(io.BytesIO(service["before"]["downloads"]["parquet"])))


def test_filters_apply_to_the_release(service):
    url, base = service["url"], service["base"]
    params = {"indicator_code": "TEST.NEW", "fields": "indicator_code"}
    now = requests.get(f"{url}/download/indicators.csv", params=params, timeout=60)
    old = requests.get(f"{url}/download/indicators.csv", params={**params, "release": base},
                       timeout=60)
    assert list(csv.reader(io.StringIO(now.text))) == [["indicator_code"], ["TEST.NEW"]]
    assert list(csv.reader(io.StringIO(old.text))) == [["indicator_code"]]
    bad = requests.get(f"{url}/download/indicators.csv",
                       params={"release": base, "nope": "1"}, timeout=60)
    assert bad.status_code == 400 and "nope" in bad.text


@pytest.mark.parametrize("value", ["20990101T000000Z-deadbeef", "../../etc/passwd",
                                   "x" * 5000, "20990101T000000Z-dead\x00beef", "%2e%2e/",
                                   "20990101t000000z-DEADBEEF"])
def test_unknown_release_is_a_clear_404(service, value):
    for path in ("/download/indicators.csv", "/download/catalog.zip", "/reporting/download"):
        resp = requests.get(service["url"] + path,
                            params={"release": value, "as_of": AS_OF}, timeout=60)
        assert resp.status_code == 404, (path, resp.status_code)
        assert "is not kept on this service" in resp.text
        assert "etc/passwd" not in resp.text and "xxxxxxxx" not in resp.text
        assert "/tmp" not in resp.text  # no server paths


def test_eu_report_from_a_release_is_byte_identical(service):
    url, base = service["url"], service["base"]
    differs = []
    for file in FILES:
        old = requests.get(f"{url}/reporting/download",
                           params={"as_of": AS_OF, "file": file, "release": base}, timeout=120)
        assert old.status_code == 200
        assert old.content == service["before"]["reports"][file], file
        now = requests.get(f"{url}/reporting/download", params={"as_of": AS_OF, "file": file},
                           timeout=120)
        differs.append(now.content != old.content)
    assert any(differs)  # the current release moved money: the check can fail


def test_cli_export_from_a_release_is_byte_identical(service, tmp_path):
    host, base = service["host"], service["base"]
    out = tmp_path / "from-release"
    host.ok("export", "eu-report", "--as-of", AS_OF, "--release", base, "--out", str(out))
    got = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(got) == set(file_names(date.fromisoformat(AS_OF)).values())
    assert got == service["before"]["cli"]
    now = tmp_path / "current"
    host.ok("export", "eu-report", "--as-of", AS_OF, "--out", str(now))
    assert {p.name: p.read_bytes() for p in now.iterdir()} != got
    done = host.run("export", "eu-report", "--as-of", AS_OF, "--release",
                    "20990101T000000Z-deadbeef", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and done.stderr.startswith("error: unknown release")
    assert not (tmp_path / "x").exists()


def test_dataset_page_lists_releases_with_changes(service):
    from lxml import html as lhtml

    reply = requests.get(service["url"] + "/data/indicators?lang=en", timeout=120)
    assert reply.status_code == 200
    tree = lhtml.fromstring(reply.content)
    rows = {tr.get("data-release"): tr for tr in tree.xpath("//tr[@data-release]")}
    assert list(rows) == [service["v1"], service["base"]]  # newest first
    newest = [c.text_content().strip() for c in rows[service["v1"]]]
    assert "(current)" in newest[0]
    assert newest[2:6] == ["15", "1", "1", "2"]  # rows, added, removed, changed
    assert "first release" in rows[service["base"]].text_content()
    links = rows[service["base"]].xpath(".//a/@href")
    assert f"/download/indicators.csv?release={service['base']}" in links
    # and every link answers
    for link in links:
        assert requests.get(service["url"] + link, timeout=120).status_code == 200


@pytest.fixture(scope="module")
def feed(service) -> Graph:
    resp = requests.get(f"{service['url']}/catalog.ttl", timeout=120)
    assert resp.status_code == 200
    return Graph().parse(data=resp.text, format="turtle")


@pytest.mark.parametrize("shapes", SHAPES)
def test_dcat_versions_conform(feed, realdata, shapes):
    conforms, _, text = pyshacl.validate(feed, shacl_graph=shapes_graph(realdata, shapes),
                                         inference="rdfs")
    assert conforms, text[:3000]


def test_dcat_version_notes_and_series(service, feed):
    url = service["url"]
    node = URIRef(f"{url}/data/indicators#dataset")
    assert feed.value(node, DCAT3.version) == Literal(service["v1"])
    notes = {str(n) for n in feed.objects(node, URIRef(ADMS + "versionNotes"))}
    assert any("1 rows added, 1 removed, 2 changed" in n for n in notes)
    assert any("1 righe aggiunte, 1 rimosse, 2 modificate" in n for n in notes)
    series = feed.value(node, DCAT3.inSeries)
    assert (series, RDF.type, DCAT3.DatasetSeries) in feed
    member = URIRef(f"{url}/data/indicators?release={service['base']}#dataset")
    assert (member, DCAT3.inSeries, series) in feed
    assert feed.value(member, DCAT3.version) == Literal(service["base"])
    assert feed.value(node, DCAT3.prev) == member
    dist = feed.value(member, DCAT.distribution)
    download = str(feed.value(dist, DCAT.downloadURL))
    assert download == f"{url}/download/indicators.csv?release={service['base']}"
    assert requests.get(download, timeout=60).status_code == 200


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["it", "en"])
def test_release_list_in_the_browser_is_accessible(service, page, axe, lang):
    """Debian chromium renders the release list; axe finds no serious violations."""
    page.goto(f"{service['url']}/data/indicators?lang={lang}")
    page.wait_for_selector("#releases-table", timeout=60_000)
    shown = page.locator("#releases-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.release)")
    assert shown == [service["v1"], service["base"]]
    title = page.locator("#releases-title").inner_text()
    assert title == ("Rilasci" if lang == "it" else "Releases")
    assert axe(page) == []


def test_dataset_page_reads_a_kept_release(service):
    """``/data/<id>?release=`` shows the dataset as that release had it; unknown: 404 page."""
    from lxml import html as lhtml

    def preview(release: str | None) -> list[str]:
        query = f"&release={release}" if release else ""
        reply = requests.get(f"{service['url']}/data/indicators?lang=en{query}", timeout=120)
        assert reply.status_code == 200
        tree = lhtml.fromstring(reply.content)
        return [tr.text_content() for tr in tree.xpath("//table[@id='preview-table']//tbody/tr")]

    assert preview(service["base"]) != preview(None)  # rows changed between the releases
    assert preview(service["v1"]) == preview(None)
    reply = requests.get(f"{service['url']}/data/indicators?release=20990101T000000Z-deadbeef",
                         timeout=120)
    assert reply.status_code == 404 and reply.headers["Content-Type"].startswith("text/html")
