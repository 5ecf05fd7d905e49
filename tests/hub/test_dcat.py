"""DCAT-AP_IT feed: validated with pyshacl against DCAT-AP 3.0.1 and the DCAT-AP_IT minimum."""

from __future__ import annotations

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.hub.shapes import shapes_graph

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")  # inside pyshacl
DCATAPIT = "http://dati.gov.it/onto/dcatapit#"
SHAPES = ("dcat-ap-3.0.1-SHACL.ttl", "dcatapit-min.shapes.ttl")


@pytest.fixture(scope="module")
def feed(http, hub) -> Graph:
    resp = http.get(f"{hub}/catalog.ttl", timeout=120)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/turtle")
    return Graph().parse(data=resp.text, format="turtle")


@pytest.mark.parametrize("shapes", SHAPES)
def test_feed_conforms(feed, realdata, shapes):
    conforms, _, text = pyshacl.validate(feed, shacl_graph=shapes_graph(realdata, shapes),
                                         inference="rdfs")
    assert conforms, text[:3000]


def test_shapes_can_fail(feed, realdata):
    """Removing a mandatory property makes the DCAT-AP_IT shapes report a violation."""
    broken = Graph()
    for triple in feed:
        if triple[1] != DCTERMS.accrualPeriodicity:
            broken.add(triple)
    conforms, _, _ = pyshacl.validate(broken, shacl_graph=str(realdata / "dcat" / SHAPES[1]),
                                      inference="rdfs")
    assert not conforms


def test_every_dataset_in_the_feed(feed, published):
    datasets = set(feed.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(published)
    identifiers = {str(feed.value(d, DCTERMS.identifier)) for d in datasets}
    assert identifiers == {f"c_f205:{d}" for d in published}
    for agent in set(feed.objects(None, DCTERMS.rightsHolder)):
        assert feed.value(agent, DCTERMS.identifier) == Literal("c_f205")
        assert (agent, RDF.type, URIRef(DCATAPIT + "Agent")) in feed
    for title in feed.objects(None, DCTERMS.title):
        assert title.language in ("it", "en")


@pytest.mark.parametrize("ext, fmt", [("jsonld", "json-ld"), ("rdf", "xml")])
def test_other_serialisations_hold_the_same_graph(http, hub, feed, ext, fmt):
    """Same triples up to blank-node labels (rdflib's graph isomorphism), not just as many."""
    other = Graph().parse(data=http.get(f"{hub}/catalog.{ext}", timeout=120).text, format=fmt)
    assert len(other) == len(feed) > 0
    if not isomorphic(other, feed):
        _, only_other, only_feed = graph_diff(to_isomorphic(other), to_isomorphic(feed))
        pytest.fail(f"catalog.{ext} differs from catalog.ttl: only in {ext}: "
                    f"{sorted(only_other)[:3]}; only in ttl: {sorted(only_feed)[:3]}")


def test_paging(http, hub, published):
    page = Graph().parse(data=http.get(f"{hub}/catalog.ttl?page=1", timeout=120).text,
                         format="turtle")
    hydra = URIRef("http://www.w3.org/ns/hydra/core#totalItems")
    assert int(next(page.objects(None, hydra))) == len(published)
    assert http.get(f"{hub}/catalog.ttl?page=abc", timeout=30).status_code == 400
