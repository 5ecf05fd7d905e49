"""What crawlers read: head tags per page and language, schema.org JSON-LD agreeing with
DCAT, sitemap.xml and robots.txt; headers and bad input on the public pages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from lxml import html as lhtml
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS

SDO = Namespace("https://schema.org/")
PAGES = ["/data", "/data/projects", "/data/bike-stations", "/projects/MI4.1.1.c",
         "/projects/MI2.2.3.a", "/reporting"]


def _doc(client, path: str):
    reply = client.get(path)
    assert reply.status_code == 200, path
    return lhtml.fromstring(reply.data)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_titles_and_descriptions_differ_per_page_and_language(client):
    seen: dict[str, str] = {}
    for path in PAGES:
        for lang in ("it", "en"):
            doc = _doc(client, f"{path}?lang={lang}")
            title = doc.findtext(".//title")
            description = doc.xpath("//meta[@name='description']/@content")
            assert title and title not in seen, (path, lang, title, seen.get(title))
            seen[title] = f"{path} {lang}"
            assert description and 20 <= len(description[0]) <= 160
            assert doc.xpath("/html/@lang") == [lang]


@pytest.mark.parametrize("path", PAGES)
def test_canonical_and_hreflang_alternates(client, path):
    doc = _doc(client, f"{path}?lang=en&q=x&page=2")
    canonical = doc.xpath("//link[@rel='canonical']/@href")
    assert [_path(c) for c in canonical] == [f"{path}?lang=en"]
    alternates = {a.get("hreflang"): _path(a.get("href"))
                  for a in doc.xpath("//link[@rel='alternate'][@hreflang]")}
    assert alternates == {"it": path, "en": f"{path}?lang=en", "x-default": path}
    for href in alternates.values():
        assert client.get(href).status_code == 200


def _jsonld(client, dataset_id: str) -> tuple[dict, Graph]:
    doc = _doc(client, f"/data/{dataset_id}")
    scripts = doc.xpath("//script[@type='application/ld+json']/text()")
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    # parsed as RDF with the schema.org vocabulary given inline (no network for its context)
    local = {**data, "@context": {"@vocab": "https://schema.org/"}}
    graph = Graph().parse(data=json.dumps(local), format="json-ld")
    return data, graph


def _dcat(client, dataset_id: str) -> Graph:
    reply = client.get(f"/data/{dataset_id}.ttl")
    assert reply.status_code == 200
    return Graph().parse(data=reply.data, format="turtle")


def test_jsonld_names_the_same_distributions_as_dcat(client, door):
    from dashboards.queries import catalog

    for ds in catalog.datasets():
        data, graph = _jsonld(client, ds.id)
        dataset = next(graph.subjects(predicate=None, object=SDO.Dataset))
        urls = {str(graph.value(d, SDO.contentUrl)) for d in graph.objects(dataset,
                                                                          SDO.distribution)}
        formats = {str(graph.value(d, SDO.encodingFormat))
                   for d in graph.objects(dataset, SDO.distribution)}
        dcat = _dcat(client, ds.id)
        node = URIRef(str(dataset))
        assert (node, None, None) in dcat, "the JSON-LD @id is the DCAT dataset node"
        # the files (an HVD API distribution has an access URL and no download URL)
        files = [d for d in dcat.objects(node, DCAT.distribution)
                 if dcat.value(d, DCAT.downloadURL) is not None]
        downloads = {str(dcat.value(d, DCAT.downloadURL)) for d in files}
        assert urls == downloads and urls, ds.id
        assert formats == {f.media_type for f in ds.formats}
        licences = {str(dcat.value(d, DCTERMS.license)) for d in files}
        assert licences == {str(graph.value(dataset, SDO.license))}
        assert "creativecommons.org/licenses/by/4.0" in data["license"]
        publisher = dcat.value(node, DCTERMS.publisher)
        names = {str(n) for n in dcat.objects(publisher, URIRef(
            "http://xmlns.com/foaf/0.1/name"))}
        assert data["publisher"]["name"] in names
        assert data["spatialCoverage"]["name"] == ds.spatial
        if ds.temporal_start:
            period = dcat.value(node, DCTERMS.temporal)
            start = dcat.value(period, DCAT.startDate)
            end = dcat.value(period, DCAT.endDate)
            assert data["temporalCoverage"] == f"{start}/{end}"


def test_sitemap_lists_every_page_and_each_answers_200(client, door):
    from dashboards.queries import catalog, programme

    reply = client.get("/sitemap.xml")
    assert reply.status_code == 200 and reply.mimetype == "application/xml"
    root = ET.fromstring(reply.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    paths = [_path(loc.text) for loc in root.findall("s:url/s:loc", ns)]
    assert len(paths) == len(set(paths))
    expected = {"/", "/axis/1", "/axis/4", "/housing", "/social", "/mobility", "/data",
                "/reporting", *[f"/data/{i}" for i in catalog.ids()],
                *[f"/projects/{c}" for c in programme.project_codes()]}
    assert expected <= set(paths)
    assert expected | {f"{p}?lang=en" if p != "/" else "/?lang=en" for p in expected} <= \
        set(paths)
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path


def test_robots_points_at_the_sitemap(client):
    reply = client.get("/robots.txt")
    assert reply.status_code == 200 and reply.mimetype == "text/plain"
    lines = reply.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    sitemap = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap: ")]
    assert len(sitemap) == 1 and sitemap[0].endswith("/sitemap.xml")
    assert client.get(_path(sitemap[0])).status_code == 200
    assert "Disallow: /data" not in lines and "Disallow: /" not in lines


@pytest.mark.parametrize("path", ["/data", "/data/projects", "/projects/MI4.1.1.c",
                                  "/reporting", "/data/nope"])
def test_security_and_build_headers_apply(client, door, path):
    reply = client.get(path)
    assert reply.headers["X-Build-Id"] == door.build_info().build_id
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    policy = reply.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]


def test_unchanged_page_answers_304(client):
    first = client.get("/data/projects")
    assert first.headers["ETag"] and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/data/projects", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/data/projects?lang=en", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_dataset_page_is_also_dcat_by_accept(client):
    reply = client.get("/data/projects", headers={"Accept": "text/turtle"})
    assert reply.status_code == 200 and reply.mimetype == "text/turtle"
    page = client.get("/data/projects", headers={"Accept": "text/html"})
    assert page.mimetype == "text/html" and "Accept" in page.headers["Vary"]


HOSTILE = ["' OR 1=1 --", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
           "%", "_", "x" * 2000, "🙂" * 300, "\\", "{{7*7}}", "${7*7}", "../../etc/passwd"]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_search_strings_never_fail(client, q):
    for params in ({"q": q}, {"theme": q}, {"format": q, "q": q}, {"lang": q}):
        reply = client.get("/data", query_string=params)
        assert reply.status_code in (200, 400), (params, reply.status_code)
        assert reply.mimetype == "text/html"
        body = reply.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "49" not in re.findall(r"<h1[^>]*>(.*?)</h1>", body, re.S)[0]


@pytest.mark.parametrize("params", [
    {"q": "\x00"}, {"q": "a\x1bb"},
])
def test_control_characters_in_search_answer_400_page(client, params):
    reply = client.get("/data", query_string=params)
    assert reply.status_code == 400 and reply.mimetype == "text/html"
    assert b'id="bad-request"' in reply.data and b"<header" in reply.data


@pytest.mark.parametrize("params", [
    {"page": "-1"}, {"page": "99999999999999999999"}, {"page": "x"}, {"sort": "1; DROP TABLE x"},
    {"sort": "project_code", "desc": "<b>"}, {"col": "nope", "val": "1"},
    {"col": "axis_id", "val": "not-a-number"}, {"q": "' OR 1=1 --"},
    {"release": "../../etc"},
])
def test_hostile_preview_parameters_never_fail(client, params):
    reply = client.get("/data/projects", query_string=params)
    assert reply.status_code in (200, 400, 404), params
    assert reply.mimetype == "text/html"
    assert b"Traceback" not in reply.data and b"duckdb" not in reply.data.lower()


@pytest.mark.parametrize("path", ["/data/no-such", "/data/%3Cscript%3E", "/projects/MI9.9.9.z",
                                  "/projects/%27%20OR%201%3D1", "/download/chart/nope.csv",
                                  "/download/chart/project_finance.exe"])
def test_unknown_ids_answer_404_page(client, path):
    reply = client.get(path)
    assert reply.status_code == 404 and reply.mimetype == "text/html"
    body = reply.get_data(as_text=True)
    assert 'id="not-found"' in body and "<script>" not in body
    assert "<title>Pagina non trovata · PON Metro Milano</title>" in body


def test_every_public_message_has_an_italian_translation():
    from pathlib import Path

    from babel.messages.extract import extract_from_file
    from jinja2.ext import babel_extract

    from dashboards import i18n

    root = Path(__file__).resolve().parents[2] / "dashboards" / "public"
    ids = set()
    for path in sorted(root.glob("*.py")):
        ids |= {m for _l, m, _c, _x in extract_from_file("python", str(path),
                                                          keywords={"_": None})}
    for path in sorted((root / "templates").glob("*.html")):
        with path.open("rb") as fh:
            ids |= {m for _l, _f, m, _c in babel_extract(fh, ("_",), [], {})
                    if isinstance(m, str)}
    assert len(ids) > 60
    italian = i18n._CATALOGUES["it"]
    assert sorted(i for i in ids if i not in italian) == []
