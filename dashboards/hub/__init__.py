"""Flask blueprints of the open-data hub (API, downloads, catalogue feeds, OGC API, OpenAPI,
the GBFS feed)."""

from __future__ import annotations

import re

from flask import Flask, Response, request

from dashboards import warehouse

_DATASET_PAGE = re.compile(r"^/data/([^/]+)/?$")
#: Media types a harvester may ask ``/data/<id>`` for, and the feed extension of each.
_RDF_TYPES = {"text/turtle": "ttl", "application/ld+json": "jsonld",
              "application/rdf+xml": "rdf"}


def _dataset_rdf_by_accept() -> Response | None:
    """``/data/<id>`` with ``Accept: text/turtle`` (or JSON-LD, RDF/XML) gives its DCAT.

    Browsers list ``text/html`` first, so they keep getting the page.
    """
    from dashboards.hub import dcat

    match = _DATASET_PAGE.match(request.path)
    if not match or request.method != "GET":
        return None
    best = request.accept_mimetypes.best_match(["text/html", *_RDF_TYPES])
    if best not in _RDF_TYPES:
        return None
    try:
        return dcat.dataset_response(match.group(1), _RDF_TYPES[best])
    except warehouse.WarehouseUnavailable:
        return None


def _vary_on_accept(response: Response) -> Response:
    """``/data/<id>`` also answers RDF by content negotiation: caches must key on Accept."""
    if _DATASET_PAGE.match(request.path):
        response.vary.add("Accept")
    return response


def register(server: Flask) -> None:
    """Attach the hub's blueprints to the Flask server.

    Imported here, not at the top: the download child processes (``wholefiles``,
    ``offload``) import this package too, and start ~0.4 s sooner without the blueprints.
    """
    from dashboards.hub import ckan, dcat, downloads, gbfs, ogc, openapi

    server.register_blueprint(ckan.bp)
    server.register_blueprint(dcat.bp)
    server.register_blueprint(downloads.bp)
    server.register_blueprint(gbfs.bp)
    server.register_blueprint(ogc.bp)
    server.register_blueprint(openapi.bp)
    server.before_request(_dataset_rdf_by_accept)
    server.after_request(_vary_on_accept)
