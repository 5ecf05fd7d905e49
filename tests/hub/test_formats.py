"""The format registry: a format added only to ``dashboards/formats.py`` appears everywhere
(download route, CKAN resources, DCAT distributions, dataset page, catalogue facets),
and the registry refuses incomplete records."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS

TSV_MEDIA = "text/tab-separated-values"


def _tsv_chunks(reader: pa.RecordBatchReader, ds) -> Iterator[bytes]:
    from dashboards import writers

    return writers.csv_chunks(reader, delimiter="\t")


@pytest.fixture
def tsv(warehouse, monkeypatch):
    """A TSV format registered for this test only, and the app's test client."""
    from dashboards import app as module
    from dashboards import formats
    from dashboards import warehouse as door

    door.reset()
    record = formats.Format("tsv", "TSV", "TSV", "TSV (tabulazioni)", "TSV (tabs)", TSV_MEDIA,
                            "TSV", "csv", chunks=_tsv_chunks, charset="utf-8")
    monkeypatch.setattr(formats, "FORMATS", [*formats.FORMATS, record])
    return module.server.test_client()


def _page(client, path: str, search: str = "") -> str:
    reply = client.get(path + search)
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def _links(page: str) -> list[dict]:
    """Every element of the page that carries an ``href``: its attributes and text."""
    from lxml import html as lhtml

    return [{**el.attrib, "children": el.text_content()}
            for el in lhtml.fromstring(page).xpath("//*[@href]")]


def test_a_format_added_only_to_the_registry_is_served(tsv, published):
    reply = tsv.get("/download/indicators.tsv?axis_id=2&sort=indicator_code")
    assert reply.status_code == 200
    assert reply.content_type == f"{TSV_MEDIA}; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="indicators.tsv"'
    lines = reply.get_data(as_text=True).splitlines()
    header = [c.strip('"') for c in lines[0].split("\t")]
    assert header == [c["column_name"] for c in published["indicators"]["columns"]]
    codes = [line.split("\t")[0].strip('"') for line in lines[1:]]
    assert codes and codes == sorted(codes)
    # filters still go through the query layer: a bad one is refused before any byte
    assert tsv.get("/download/indicators.tsv?nope=1").status_code == 400
    # a whole dataset has every published row
    full = tsv.get("/download/projects.tsv").get_data(as_text=True).splitlines()
    assert len(full) - 1 == published["projects"]["rows"]


def test_a_registered_format_is_a_ckan_resource(tsv):
    pkg = tsv.get("/api/3/action/package_show?id=projects").get_json()["result"]
    res = [r for r in pkg["resources"] if r["format"] == "TSV"]
    assert len(res) == 1
    assert res[0]["mimetype"] == TSV_MEDIA
    assert res[0]["url"].endswith("/download/projects.tsv")
    assert res[0]["id"] == "projects.tsv" and res[0]["datastore_active"] is False
    shown = tsv.get("/api/3/action/resource_show?id=projects.tsv").get_json()
    assert shown["success"] and shown["result"]["url"] == res[0]["url"]
    found = tsv.post("/api/3/action/package_search",
                     json={"fq": "res_format:TSV", "rows": 1000}).get_json()["result"]
    assert found["count"] == len(tsv.get("/api/3/action/package_list").get_json()["result"])


def test_a_registered_format_is_a_dcat_distribution(tsv):
    g = Graph().parse(data=tsv.get("/catalog.ttl").get_data(as_text=True), format="turtle")
    dist = URIRef("http://localhost/data/projects#tsv")
    assert (URIRef("http://localhost/data/projects#dataset"), DCAT.distribution, dist) in g
    assert (dist, DCTERMS.format,
            URIRef("http://publications.europa.eu/resource/authority/file-type/TSV")) in g
    assert (dist, DCAT.downloadURL, URIRef("http://localhost/download/projects.tsv")) in g


def test_a_registered_format_is_on_the_dataset_page_and_in_the_facets(tsv):
    page = _page(tsv, "/data/projects")
    hrefs = {p["href"]: p for p in _links(page)}
    assert hrefs["/download/projects.tsv"]["children"] == "TSV (tabulazioni)"
    assert hrefs["/download/projects.tsv"]["data-format"] == "tsv"
    english = _page(tsv, "/data/projects", "?lang=en")
    assert {p["href"]: p for p in _links(english)}["/download/projects.tsv"]["children"] \
        == "TSV (tabs)"
    catalogue = _page(tsv, "/data")
    facet = [p for p in _links(catalogue) if p.get("data-facet") == "format"
             and p.get("data-value") == "tsv"]
    assert len(facet) == 1
    n_datasets = len(tsv.get("/api/3/action/package_list").get_json()["result"])
    assert f"TSV ({n_datasets})" in facet[0]["children"]
    chosen = _page(tsv, "/data", "?format=tsv")
    assert chosen.count(" data-dataset=") == n_datasets


def test_located_only_formats_stay_off_datasets_without_coordinates(tsv, published):
    from dashboards.queries import catalog

    for ds in catalog.datasets():
        keys = [f.key for f in ds.formats]
        assert ("geojson" in keys) == ds.located
        assert "tsv" in keys
    plain = next(i for i, m in published.items()
                 if not (m["lon_column"] or m["geometry_column"]))
    assert tsv.get(f"/download/{plain}.geojson").status_code == 404


def test_the_registry_refuses_incomplete_records():
    from dashboards import formats

    with pytest.raises(ValueError, match="exactly one of chunks or file"):
        formats.Format("tsv", "TSV", "TSV", "TSV", "TSV", TSV_MEDIA, "TSV", "csv")
    with pytest.raises(ValueError, match="variant needs its query flags"):
        formats.Format("tsv", "TSV", "TSV", "TSV", "TSV", TSV_MEDIA, "TSV", "csv",
                       chunks=_tsv_chunks, variant="excel")
    with pytest.raises(ValueError, match="unknown projection 'tab'"):
        formats.Format("tsv", "TSV", "TSV", "TSV", "TSV", TSV_MEDIA, "TSV", "tab",
                       chunks=_tsv_chunks)
    with pytest.raises(KeyError, match="unknown output format 'tsv'"):
        formats.by_key("tsv")
