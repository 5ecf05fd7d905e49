"""The SHACL shapes of the DCAT tests, loaded from ../shared/realdata/dcat/.

The official DCAT-AP 3.0.1 shapes list two property shapes of ``dcat:DataService``
(``.../3.0.1#dcat:DataServiceShape/dc08f4...`` for ``dcat:endpointDescription`` and
``.../eb3ac4...`` for ``dcat:endpointURL``) without defining them, so pyshacl stops
with "not a well-formed SHACL PropertyShape" as soon as a catalogue has a data
service. Shape ids are hashes of their content, and the DCAT-AP HVD 3.0.0 release
defines the shapes with the same hashes (``sh:class rdfs:Resource`` on those
paths), so the missing definitions are copied from there: nothing is relaxed.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SH

HVD = "dcat-ap-hvd-3.0.0-SHACL.ttl"


def shapes_graph(realdata: Path, name: str) -> Graph:
    graph = Graph().parse(realdata / "dcat" / name)
    missing = [o for o in set(graph.objects(None, SH.property))
               if (o, SH.path, None) not in graph]
    if not missing:
        return graph
    hvd = Graph().parse(realdata / "dcat" / HVD)
    for shape in missing:
        twin = URIRef(str(shape).replace("/releases/3.0.1#", "/releases/3.0.0-hvd#"))
        triples = list(hvd.triples((twin, None, None)))
        assert triples, f"{shape} is undefined in {name} and in {HVD}"
        for _, p, o in triples:
            graph.add((shape, p, o))
    return graph
