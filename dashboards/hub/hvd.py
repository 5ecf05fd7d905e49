"""High-Value Datasets (Regulation (EU) 2023/138) in the DCAT feed: which, and how marked.

One rule decides which datasets are HVD: the geography domain (administrative
boundaries: NIL, municipi) falls in the *Geospatial* category and the mobility
domain in *Mobility*. Each HVD dataset, its distributions and the data services
serving it carry ``dcatap:applicableLegislation`` (the regulation's ELI) and
``dcatap:hvdCategory``; each API that serves them (the CKAN Action API for every
dataset, OGC API - Features for the located ones) is a ``dcat:DataService`` with
its endpoint, its OpenAPI description and a documentation page, and every HVD
dataset gets one API distribution per service (``dcat:accessService``), as the
regulation asks for API access besides the bulk download. The city's real-time GBFS 3.0
feed (``/gbfs/gbfs.json``, ``dashboards/hub/gbfs.py``) is a data service too, conforming
to GBFS 3.0 and serving the shared-mobility areas and the bike-sharing stations.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS

from dashboards.queries import catalog, features

DCATAP = Namespace("http://data.europa.eu/r5r/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
REGULATION = URIRef("http://data.europa.eu/eli/reg_impl/2023/138/oj")
HVD_SCHEME = URIRef("http://data.europa.eu/bna/asd487ae75")
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
#: Catalogue domain -> (HVD category URI, Italian label, English label).
CATEGORIES = {
    "geography": ("http://data.europa.eu/bna/c_ac64a52d", "Dati geospaziali", "Geospatial"),
    "mobility": ("http://data.europa.eu/bna/c_b79e35eb", "Mobilità", "Mobility"),
}


@dataclass(frozen=True)
class Service:
    key: str
    title_it: str
    title_en: str
    endpoint: str  # relative to the base URL
    description: str  # OpenAPI document
    page: str  # human documentation
    file_type: str  # EU file type of what the API returns
    standard: str | None  # dct:conformsTo

    def serves(self, ds: catalog.Dataset) -> bool:
        if self.key == "gbfs":
            return ds.id in GBFS_DATASETS
        return self.key == "ckan" or ds.id in {c.id for c in features.collections()}

    def access_url(self, base: str, ds: catalog.Dataset) -> str:
        if self.key == "ogc":
            return f"{base}ogc/collections/{ds.id}/items"
        if self.key == "gbfs":
            return base + self.endpoint
        return f"{base}api/3/action/datastore_search?resource_id={ds.id}"

    def page_url(self, base: str) -> str:
        return self.page if self.page.startswith("https://") else base + self.page


#: The datasets whose stations the GBFS feed publishes live.
GBFS_DATASETS = ("mobility-areas", "bike-stations")
GBFS_3_0 = "https://github.com/MobilityData/gbfs/blob/v3.0/gbfs.md"


SERVICES = (
    Service("ckan", "API CKAN (Action API) del catalogo PON Metro Milano",
            "CKAN Action API of the PON Metro Milano catalogue", "api/3/action/",
            "api/openapi.json", "api/openapi.html", "JSON", None),
    Service("ogc", "API OGC Features dei dati geografici PON Metro Milano",
            "OGC API - Features of the PON Metro Milano geodata", "ogc/", "ogc/api",
            "ogc/?f=html", "GEOJSON", "http://www.opengis.net/doc/IS/ogcapi-features-1/1.0"),
    Service("gbfs", "Feed GBFS 3.0 in tempo reale della mobilità condivisa PON Metro Milano",
            "Real-time GBFS 3.0 feed of PON Metro Milano shared mobility", "gbfs/gbfs.json",
            "gbfs/gbfs.json", GBFS_3_0, "JSON", GBFS_3_0),
)


def category(ds: catalog.Dataset) -> str | None:
    """The HVD category URI of a dataset, or None when it is not a high-value dataset."""
    found = CATEGORIES.get(ds.domain)
    return found[0] if found else None


def service_uri(base: str, service: Service) -> URIRef:
    return URIRef(f"{base}{service.endpoint}#service")


def _vocabulary(g: Graph) -> None:
    g.bind("dcatap", DCATAP)
    g.bind("eli", ELI)
    g.add((REGULATION, RDF.type, ELI.LegalResource))
    g.add((HVD_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((HVD_SCHEME, DCTERMS.title, Literal("High-value dataset categories", lang="en")))
    for uri, label_it, label_en in CATEGORIES.values():
        concept = URIRef(uri)
        g.add((concept, RDF.type, SKOS.Concept))
        g.add((concept, SKOS.prefLabel, Literal(label_it, lang="it")))
        g.add((concept, SKOS.prefLabel, Literal(label_en, lang="en")))
        g.add((concept, SKOS.inScheme, HVD_SCHEME))


def add_services(g: Graph, base: str, datasets: list[catalog.Dataset],
                 catalogue: URIRef | None, contact: URIRef, licence: URIRef) -> None:
    """The data services serving HVD datasets, linked from the catalogue."""
    hvd = [ds for ds in datasets if category(ds)]
    if not hvd:
        return
    _vocabulary(g)
    for service in SERVICES:
        served = [ds for ds in hvd if service.serves(ds)]
        if not served:
            continue
        node = service_uri(base, service)
        g.add((node, RDF.type, DCAT.DataService))
        g.add((node, RDF.type, DCATAPIT.DataService))
        g.add((node, DCTERMS.title, Literal(service.title_it, lang="it")))
        g.add((node, DCTERMS.title, Literal(service.title_en, lang="en")))
        g.add((node, DCAT.endpointURL, URIRef(base + service.endpoint)))
        g.add((node, DCAT.endpointDescription, URIRef(base + service.description)))
        page = URIRef(service.page_url(base))
        g.add((node, FOAF.page, page))
        g.add((page, RDF.type, FOAF.Document))
        g.add((node, DCAT.contactPoint, contact))
        g.add((node, DCTERMS.license, licence))
        g.add((node, DCATAP.applicableLegislation, REGULATION))
        if service.standard:
            g.add((node, DCTERMS.conformsTo, URIRef(service.standard)))
            g.add((URIRef(service.standard), RDF.type, DCTERMS.Standard))
        for ds in served:
            g.add((node, DCAT.servesDataset, URIRef(f"{base}data/{ds.id}#dataset")))
            g.add((node, DCATAP.hvdCategory, URIRef(category(ds))))
        if catalogue is not None:
            g.add((catalogue, DCAT.service, node))


def mark_dataset(g: Graph, base: str, ds: catalog.Dataset, node: URIRef,
                 licence: URIRef) -> None:
    """HVD properties on a dataset and its distributions, plus one API distribution
    per data service serving it."""
    uri = category(ds)
    if uri is None:
        return
    g.add((node, DCATAP.applicableLegislation, REGULATION))
    g.add((node, DCATAP.hvdCategory, URIRef(uri)))
    for service in SERVICES:
        if not service.serves(ds):
            continue
        dist = URIRef(f"{base}data/{ds.id}#api-{service.key}")
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, RDF.type, DCATAPIT.Distribution))
        g.add((dist, DCAT.accessURL, URIRef(service.access_url(base, ds))))
        g.add((dist, DCAT.accessService, service_uri(base, service)))
        g.add((dist, DCTERMS.format, URIRef(EU_FILE_TYPE + service.file_type)))
        g.add((URIRef(EU_FILE_TYPE + service.file_type), RDF.type,
               DCTERMS.MediaTypeOrExtent))
        g.add((dist, DCTERMS.license, licence))
        g.add((dist, DCTERMS.title, Literal(f"{ds.title_it} ({service.title_it})",
                                            lang="it")))
        g.add((node, DCAT.distribution, dist))
    for dist in g.objects(node, DCAT.distribution):
        g.add((dist, DCATAP.applicableLegislation, REGULATION))
