"""DCAT-AP_IT catalogue feed: ``/catalog.ttl``, ``/catalog.jsonld``, ``/catalog.rdf``.

Built with rdflib from the catalogue. Every node is typed with both the DCAT and
the DCAT-AP_IT class, and every referenced vocabulary node (theme, frequency,
file type, licence, language, agent) carries the explicit ``rdf:type`` triples
the DCAT-AP 3.0.1 shapes check, so the feed validates without the EU vocabularies.
Paging follows ckanext-dcat (``?page=N``, hydra:PagedCollection).
Each dataset carries ``dcat:version`` (its current release, or the build id when
the host keeps no releases) and ``adms:versionNotes`` (what changed); with kept
releases it is part of a ``dcat:DatasetSeries`` whose other members are the
earlier kept releases, each downloadable with ``?release=``.
"""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from dashboards import formats, releases, warehouse
from dashboards.hub import describe, hvd
from dashboards.queries import catalog
from etl.catalog import LICENCE_URL

bp = Blueprint("hub_dcat", __name__)

DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
#: DCAT 3 terms (version, series) that rdflib's DCAT namespace, DCAT 2, does not define.
DCAT3 = Namespace(str(DCAT))
ADMS_LT = URIRef("http://purl.org/adms/licencetype/Attribution")
EU = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = URIRef(EU + "data-theme")
LANGS = ("ITA", "ENG")
PER_PAGE = 100
SERIALISATIONS = {"ttl": ("turtle", "text/turtle"),
                  "jsonld": ("json-ld", "application/ld+json"),
                  "rdf": ("xml", "application/rdf+xml"),
                  "xml": ("xml", "application/rdf+xml")}
CONTACT_EMAIL = "mailto:opendata@comune.milano.it"


def _bind(g: Graph) -> None:
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS),
                       ("dcatapit", DCATAPIT), ("vcard", VCARD), ("hydra", HYDRA),
                       ("adms", ADMS)):
        g.bind(prefix, ns)


def _agent(g: Graph, base: str) -> URIRef:
    agent = URIRef(f"{base}organization/{describe.ORG_NAME}")
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, RDF.type, DCATAPIT.Agent))
    g.add((agent, DCTERMS.identifier, Literal("c_f205")))
    g.add((agent, FOAF.name, Literal("Comune di Milano", lang="it")))
    return agent


def _vocabularies(g: Graph, datasets: list[catalog.Dataset]) -> URIRef:
    g.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((THEME_SCHEME, DCTERMS.title, Literal("Data Theme Vocabulary", lang="en")))
    for ds in datasets:
        theme = URIRef(f"{EU}data-theme/{ds.theme}")
        label_it, label_en = catalog.THEME_LABELS.get(ds.theme, (ds.theme, ds.theme))
        g.add((theme, RDF.type, SKOS.Concept))
        g.add((theme, SKOS.prefLabel, Literal(label_it, lang="it")))
        g.add((theme, SKOS.prefLabel, Literal(label_en, lang="en")))
        g.add((theme, SKOS.inScheme, THEME_SCHEME))
        g.add((URIRef(f"{EU}frequency/{ds.frequency}"), RDF.type, DCTERMS.Frequency))
    for fmt in formats.listed():
        g.add((URIRef(fmt.eu_file_type_uri), RDF.type, DCTERMS.MediaTypeOrExtent))
    for code in LANGS:
        g.add((URIRef(f"{EU}language/{code}"), RDF.type, DCTERMS.LinguisticSystem))
    licence = URIRef(LICENCE_URL)
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, RDF.type, DCATAPIT.LicenseDocument))
    g.add((licence, DCTERMS.type, ADMS_LT))
    g.add((licence, FOAF.name, Literal("CC BY 4.0")))
    g.add((ADMS_LT, RDF.type, SKOS.Concept))
    g.add((ADMS_LT, SKOS.prefLabel, Literal("Attribution", lang="en")))
    return licence


def _contact(g: Graph, base: str) -> URIRef:
    node = URIRef(f"{base}contact/open-data")
    for cls in (DCATAPIT.Organization, VCARD.Organization, VCARD.Kind):
        g.add((node, RDF.type, cls))
    g.add((node, VCARD.fn, Literal("Comune di Milano - Open data PON Metro")))
    g.add((node, VCARD.hasEmail, URIRef(CONTACT_EMAIL)))
    return node


def _dataset(g: Graph, base: str, ds: catalog.Dataset, agent: URIRef, licence: URIRef,
             contact: URIRef) -> URIRef:
    node = URIRef(f"{base}data/{ds.id}#dataset")
    page = URIRef(f"{base}data/{ds.id}")
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, RDF.type, DCATAPIT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(f"{ds.publisher_ipa}:{ds.id}")))
    g.add((node, DCTERMS.title, Literal(ds.title_it, lang="it")))
    g.add((node, DCTERMS.title, Literal(ds.title_en, lang="en")))
    g.add((node, DCTERMS.description, Literal(ds.description_it, lang="it")))
    g.add((node, DCTERMS.description, Literal(ds.description_en, lang="en")))
    g.add((node, DCTERMS.modified, Literal(ds.modified.date(), datatype=XSD.date)))
    g.add((node, DCAT.theme, URIRef(f"{EU}data-theme/{ds.theme}")))
    g.add((node, DCTERMS.rightsHolder, agent))
    g.add((node, DCTERMS.publisher, agent))
    g.add((node, DCTERMS.accrualPeriodicity, URIRef(f"{EU}frequency/{ds.frequency}")))
    g.add((node, DCAT.contactPoint, contact))
    g.add((node, DCAT.landingPage, page))
    g.add((page, RDF.type, FOAF.Document))
    for code in LANGS:
        g.add((node, DCTERMS.language, URIRef(f"{EU}language/{code}")))
    for keyword in ds.keywords:
        g.add((node, DCAT.keyword, Literal(keyword, lang="it")))
    if ds.temporal_start and ds.temporal_end:
        period = BNode()
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(ds.temporal_start, datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(ds.temporal_end, datatype=XSD.date)))
        g.add((node, DCTERMS.temporal, period))
    for fmt in ds.formats:
        dist = URIRef(f"{base}data/{ds.id}#{fmt.key}")
        url = URIRef(describe.download_url(base, ds, fmt))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, RDF.type, DCATAPIT.Distribution))
        g.add((dist, DCAT.accessURL, page))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCTERMS.format, URIRef(fmt.eu_file_type_uri)))
        g.add((dist, DCTERMS.license, licence))
        name = fmt.key.upper()
        g.add((dist, DCTERMS.title, Literal(f"{ds.title_it} ({name})", lang="it")))
        g.add((dist, DCTERMS.description,
               Literal(f"{ds.title_it}: formato {name}", lang="it")))
        g.add((dist, DCTERMS.modified, Literal(ds.modified.date(), datatype=XSD.date)))
        g.add((node, DCAT.distribution, dist))
    hvd.mark_dataset(g, base, ds, node, licence)
    return node


def _versions(g: Graph, base: str, ds: catalog.Dataset, node: URIRef, agent: URIRef,
              licence: URIRef, history: list, current: str | None, build_id: str) -> None:
    """``dcat:version``/``adms:versionNotes``; the series of kept releases (newest first)."""
    now = next((r for r in history if r.id == current), None)
    if now is None or ds.id not in now.datasets:
        g.add((node, DCAT3.version, Literal(build_id)))
        return
    g.add((node, DCAT3.version, Literal(now.id)))
    for lang in ("it", "en"):
        g.add((node, ADMS.versionNotes, Literal(now.notes(ds.id, lang), lang=lang)))
    earlier = [r for r in history if r.id != now.id and ds.id in r.datasets]
    if not earlier:
        return
    series = URIRef(f"{base}data/{ds.id}#releases")
    g.add((series, RDF.type, DCAT3.DatasetSeries))
    g.add((series, DCTERMS.title, Literal(f"{ds.title_it}: rilasci", lang="it")))
    g.add((series, DCTERMS.title, Literal(f"{ds.title_en}: releases", lang="en")))
    g.add((series, DCTERMS.description, Literal(
        "Le versioni conservate del dataset, una per rilascio (elaborazione completa).",
        lang="it")))
    g.add((series, DCTERMS.description, Literal(
        "The kept versions of the dataset, one per release (full build).", lang="en")))
    g.add((series, DCTERMS.publisher, agent))
    g.add((node, DCAT3.inSeries, series))
    g.add((series, DCAT3.last, node))
    newer = node
    for rel in earlier:
        member = URIRef(f"{base}data/{ds.id}?release={rel.id}#dataset")
        g.add((member, RDF.type, DCAT.Dataset))
        g.add((member, DCTERMS.title, Literal(f"{ds.title_it} (rilascio {rel.id})", lang="it")))
        g.add((member, DCTERMS.title, Literal(f"{ds.title_en} (release {rel.id})", lang="en")))
        for lang in ("it", "en"):
            g.add((member, DCTERMS.description, Literal(rel.notes(ds.id, lang), lang=lang)))
            g.add((member, ADMS.versionNotes, Literal(rel.notes(ds.id, lang), lang=lang)))
        g.add((member, DCAT3.version, Literal(rel.id)))
        g.add((member, DCTERMS.issued, Literal(rel.created.replace(tzinfo=None).isoformat(
            timespec="seconds"), datatype=XSD.dateTime)))
        g.add((member, DCTERMS.publisher, agent))
        g.add((member, DCAT3.inSeries, series))
        g.add((newer, DCAT3.prev, member))
        newer = member
        dist = URIRef(f"{base}data/{ds.id}?release={rel.id}#csv")
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, URIRef(f"{base}data/{ds.id}")))
        g.add((dist, DCAT.downloadURL,
               URIRef(f"{base}download/{ds.id}.csv?release={rel.id}")))
        g.add((dist, DCTERMS.format, URIRef(formats.get("csv").eu_file_type_uri)))
        g.add((dist, DCTERMS.license, licence))
        g.add((member, DCAT.distribution, dist))
    g.add((series, DCAT3.first, newer))


def catalogue_graph(base: str, page: int | None = None) -> Graph:
    """The catalogue (all datasets, or one page of ``PER_PAGE``) as an rdflib graph."""
    all_datasets = list(catalog.datasets())
    datasets = all_datasets
    pages = max(1, math.ceil(len(all_datasets) / PER_PAGE))
    if page is not None:
        datasets = all_datasets[(page - 1) * PER_PAGE: page * PER_PAGE]
    info = warehouse.build_info()
    g = Graph()
    _bind(g)
    cat = URIRef(f"{base}catalog")
    agent = _agent(g, base)
    licence = _vocabularies(g, datasets)
    contact = _contact(g, base)
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, RDF.type, DCATAPIT.Catalog))
    g.add((cat, DCTERMS.title, Literal("Open data PON Metro 2014-2020 Milano", lang="it")))
    g.add((cat, DCTERMS.title, Literal("PON Metro 2014-2020 Milan open data", lang="en")))
    g.add((cat, DCTERMS.description, Literal(
        "Catalogo dei dati aperti del Programma Operativo Nazionale Città Metropolitane "
        "2014-2020 a Milano: progetti, indicatori, avanzamento finanziario, abitare, servizi "
        "sociali e mobilità.", lang="it")))
    g.add((cat, DCTERMS.description, Literal(
        "Open-data catalogue of the National Operational Programme for Metropolitan Cities "
        "2014-2020 in Milan: projects, indicators, financial progress, housing, social "
        "services and mobility.", lang="en")))
    g.add((cat, DCTERMS.publisher, agent))
    newest = max([info.built_at, *(ds.modified for ds in all_datasets)])  # data follow ingests
    g.add((cat, DCTERMS.modified, Literal(newest.date(), datatype=XSD.date)))
    g.add((cat, DCTERMS.language, URIRef(f"{EU}language/ITA")))
    g.add((cat, FOAF.homepage, URIRef(base)))
    g.add((URIRef(base), RDF.type, FOAF.Document))
    g.add((cat, DCAT.themeTaxonomy, THEME_SCHEME))
    history, current = releases.kept(), releases.current_id()
    for ds in datasets:
        node = _dataset(g, base, ds, agent, licence, contact)
        _versions(g, base, ds, node, agent, licence, history, current, info.build_id)
        g.add((cat, DCAT.dataset, node))
    hvd.add_services(g, base, datasets, cat, contact, licence)
    if page is not None:
        coll = URIRef(f"{base}catalog.ttl?page={page}")
        g.add((coll, RDF.type, HYDRA.PagedCollection))
        g.add((coll, HYDRA.totalItems, Literal(len(all_datasets))))
        g.add((coll, HYDRA.itemsPerPage, Literal(PER_PAGE)))
        g.add((coll, HYDRA.firstPage, URIRef(f"{base}catalog.ttl?page=1")))
        g.add((coll, HYDRA.lastPage, URIRef(f"{base}catalog.ttl?page={pages}")))
        if page < pages:
            g.add((coll, HYDRA.nextPage, URIRef(f"{base}catalog.ttl?page={page + 1}")))
        if page > 1:
            g.add((coll, HYDRA.previousPage, URIRef(f"{base}catalog.ttl?page={page - 1}")))
    return g


@bp.get("/catalog.<ext>")
def catalogue(ext: str):
    if ext not in SERIALISATIONS:
        abort(404)
    raw_page = request.args.get("page")
    page = None
    if raw_page is not None:
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= 10_000:
            return Response("Bad request: page must be a positive integer\n", status=400,
                            mimetype="text/plain")
        page = int(raw_page)
    fmt, media = SERIALISATIONS[ext]
    info = warehouse.build_info()
    etag = f'"{info.data_version}-{releases.tag()}-{ext}-{page}"'
    if request.if_none_match and request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers={"ETag": etag})
    body = catalogue_graph(request.url_root, page).serialize(format=fmt)
    return Response(body, content_type=f"{media}; charset=utf-8", headers={"ETag": etag})


def dataset_graph(base: str, ds: catalog.Dataset) -> Graph:
    """One dataset's DCAT-AP_IT description (what ``/data/<id>.ttl`` serves)."""
    g = Graph()
    _bind(g)
    agent = _agent(g, base)
    licence = _vocabularies(g, [ds])
    contact = _contact(g, base)
    node = _dataset(g, base, ds, agent, licence, contact)
    _versions(g, base, ds, node, agent, licence, releases.kept(), releases.current_id(),
              warehouse.build_info().build_id)
    hvd.add_services(g, base, [ds], None, contact, licence)
    return g


def dataset_response(dataset_id: str, ext: str) -> Response:
    """``/data/<id>.<ext>``, and ``/data/<id>`` asked for RDF by content negotiation."""
    ds = catalog.get(dataset_id)
    if ds is None or ext not in SERIALISATIONS:
        abort(404)
    fmt, media = SERIALISATIONS[ext]
    body = dataset_graph(request.url_root, ds).serialize(format=fmt)
    return Response(body, content_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})


@bp.get("/data/<dataset_id>.<ext>")
def dataset_rdf(dataset_id: str, ext: str):
    """RDF of a dataset; ``/data/<a>.<b>`` with any other extension is the dataset page
    of the id ``a.b`` (an unknown one gets the page's HTML 404, like every other page)."""
    if ext not in SERIALISATIONS:
        from dashboards.public.views import data_page

        return data_page(f"{dataset_id}.{ext}")
    return dataset_response(dataset_id, ext)
