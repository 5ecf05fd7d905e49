"""DCAT-AP HVD marks and per-dataset DCAT (``/data/<id>.ttl|.jsonld|.rdf``, Accept)."""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.hub.shapes import shapes_graph

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
DCATAP = Namespace("http://data.europa.eu/r5r/")
REGULATION = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
GEOSPATIAL = URIRef("http://data.europa.eu/bna/c_ac64a52d")
MOBILITY = URIRef("http://data.europa.eu/bna/c_b79e35eb")
SHAPES = ("dcat-ap-3.0.1-SHACL.ttl", "dcatapit-min.shapes.ttl")


@pytest.fixture(scope="module")
def feed(http, hub) -> Graph:
    return Graph().parse(data=http.get(f"{hub}/catalog.ttl", timeout=120).text,
                         format="turtle")


def dataset_node(hub: str, dataset_id: str) -> URIRef:
    return URIRef(f"{hub}/data/{dataset_id}#dataset")


def expected_category(meta: dict) -> URIRef | None:
    return {"geography": GEOSPATIAL, "mobility": MOBILITY}.get(meta["domain"])


def test_hvd_datasets_are_marked_and_others_are_not(feed, hub, published):
    hvd = [d for d, m in published.items() if expected_category(m)]
    assert {"nil", "municipi", "bike-stations", "mobility-areas"} <= set(hvd)
    for dataset_id, meta in published.items():
        node = dataset_node(hub, dataset_id)
        category = expected_category(meta)
        if category is None:
            assert (node, DCATAP.applicableLegislation, None) not in feed, dataset_id
            continue
        assert (node, DCATAP.applicableLegislation, REGULATION) in feed, dataset_id
        assert (node, DCATAP.hvdCategory, category) in feed, dataset_id
        for dist in feed.objects(node, DCAT.distribution):
            assert (dist, DCATAP.applicableLegislation, REGULATION) in feed


def test_every_hvd_dataset_has_an_api_data_service(feed, hub, published):
    """HVD rules: an API serving each HVD dataset, reached through a distribution;
    every distribution (bulk or API) has a licence."""
    for dataset_id, meta in published.items():
        node = dataset_node(hub, dataset_id)
        for dist in feed.objects(node, DCAT.distribution):
            assert feed.value(dist, DCTERMS.license) is not None, (dataset_id, dist)
        if expected_category(meta) is None:
            continue
        services = set(feed.subjects(DCAT.servesDataset, node))
        assert services, dataset_id
        for service in services:
            assert (service, RDF.type, DCAT.DataService) in feed
            assert feed.value(service, DCAT.endpointURL) is not None
            assert feed.value(service, DCAT.endpointDescription) is not None
            assert (service, DCATAP.applicableLegislation, REGULATION) in feed
            assert (service, DCATAP.hvdCategory, expected_category(meta)) in feed
        via_api = {feed.value(d, DCAT.accessService) for d in
                   feed.objects(node, DCAT.distribution)} - {None}
        assert via_api == services, dataset_id
    ogc = {s for s in feed.subjects(RDF.type, DCAT.DataService)
           if str(feed.value(s, DCAT.endpointURL)).endswith("/ogc/")}
    assert len(ogc) == 1


def hvd_subgraph(feed: Graph, hub: str, published: dict) -> Graph:
    """The HVD-tagged resources (the HVD shapes target every Dataset and DataService)."""
    out = Graph()
    keep = {dataset_node(hub, d) for d, m in published.items() if expected_category(m)}
    drop = {dataset_node(hub, d) for d in published} - keep
    dropped_dists = {o for s in drop for o in feed.objects(s, DCAT.distribution)}
    for s, p, o in feed:
        if s in drop or s in dropped_dists or o in drop or o in dropped_dists:
            continue
        out.add((s, p, o))
    return out


def test_hvd_shapes_conform(feed, hub, published, realdata):
    shapes = realdata / "dcat" / "dcat-ap-hvd-3.0.0-SHACL.ttl"
    if not shapes.exists():
        pytest.skip(f"DCAT-AP HVD shapes not present at {shapes}")
    graph = hvd_subgraph(feed, hub, published)
    conforms, _, text = pyshacl.validate(graph, shacl_graph=str(shapes), inference="rdfs")
    assert conforms, text[:3000]
    # and they can fail: a dataset without its category
    broken = Graph()
    for triple in graph:
        if triple[1] != DCATAP.hvdCategory:
            broken.add(triple)
    assert not pyshacl.validate(broken, shacl_graph=str(shapes), inference="rdfs")[0]


@pytest.mark.parametrize("ext, fmt, media", [
    ("ttl", "turtle", "text/turtle"), ("jsonld", "json-ld", "application/ld+json"),
    ("rdf", "xml", "application/rdf+xml")])
def test_per_dataset_dcat(http, hub, ext, fmt, media):
    resp = http.get(f"{hub}/data/bike-stations.{ext}", timeout=60)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith(media)
    g = Graph().parse(data=resp.text, format=fmt)
    assert set(g.subjects(RDF.type, DCAT.Dataset)) == {dataset_node(hub, "bike-stations")}
    assert set(g.subjects(RDF.type, DCAT.DataService))
    negotiated = http.get(f"{hub}/data/bike-stations", headers={"Accept": media}, timeout=60)
    assert negotiated.status_code == 200
    assert negotiated.headers["Content-Type"].startswith(media)
    assert len(Graph().parse(data=negotiated.text, format=fmt)) == len(g)


def test_browsers_still_get_the_page_and_unknown_ids_404(http, hub):
    page = http.get(f"{hub}/data/nil", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        timeout=60)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]  # caches keep the page and the RDF apart
    for url, headers in ((f"{hub}/data/nope.ttl", {}),
                         (f"{hub}/data/nope", {"Accept": "text/turtle"})):
        assert http.get(url, headers=headers, timeout=60).status_code == 404


@pytest.mark.parametrize("shapes", SHAPES)
def test_per_dataset_dcat_conforms(http, hub, realdata, shapes):
    g = Graph().parse(data=http.get(f"{hub}/data/nil.ttl", timeout=60).text, format="turtle")
    conforms, _, text = pyshacl.validate(g, shacl_graph=shapes_graph(realdata, shapes),
                                         inference="rdfs")
    assert conforms, text[:3000]
