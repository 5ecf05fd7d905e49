"""OGC API - Features (Part 1) under ``/ogc/``: every located dataset as a collection.

Conformance classes: Core, GeoJSON, HTML and OpenAPI 3.0. Every resource has a
GeoJSON/JSON and an HTML representation, chosen by ``?f=json|html`` or else by the
``Accept`` header (JSON unless the client prefers HTML, as browsers do). Rows come
from the published marts through :mod:`dashboards.queries.features`, the same
tables and the same row-to-feature rule as ``/download/<id>.geojson``.
Bad ``bbox``, ``limit``, ``datetime``, ``offset``, filter values or unknown
parameters answer 400 with an OGC exception ``{"code", "description"}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from dashboards import warehouse
from dashboards.hub.ogc import html, spec
from dashboards.i18n import resolve_lang
from dashboards.queries import features
from dashboards.queries.datastore import QueryError

bp = Blueprint("hub_ogc", __name__)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
OAS30 = "application/vnd.oai.openapi+json;version=3.0"
#: Query parameters every resource accepts; items add paging, bbox, datetime, filters.
COMMON_PARAMS = {"f", "lang"}
ITEMS_PARAMS = COMMON_PARAMS | {"limit", "offset", "bbox", "datetime"}


class OgcError(Exception):
    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


@bp.errorhandler(OgcError)
def _ogc_error(exc: OgcError) -> Response:
    return Response(json.dumps({"code": exc.code, "description": exc.description}),
                    status=exc.status, content_type=JSON)


@bp.errorhandler(warehouse.WarehouseUnavailable)
def _unavailable(exc: warehouse.WarehouseUnavailable) -> Response:
    """The declared 503 exception (never the reason, which may name a path)."""
    return _ogc_error(OgcError(503, "ServiceUnavailable",
                               "the data is temporarily unavailable; please try again later"))


def _bad(field: str, message: str) -> OgcError:
    return OgcError(400, "InvalidParameterValue", f"{field}: {message}")


def _check_params(allowed: set[str]) -> None:
    for key in request.args:
        if key not in allowed:
            raise OgcError(400, "InvalidParameterValue",
                           f"unknown query parameter '{key[:60]}' (accepted: "
                           f"{', '.join(sorted(allowed))})")


def _wants_html() -> bool:
    f = request.args.get("f")
    if f is not None:
        if f in ("json", "geojson"):
            return False
        if f == "html":
            return True
        raise _bad("f", "must be json or html")
    best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML])
    return best == HTML


def _base() -> str:
    return request.url_root + "ogc"


def _lang() -> str:
    return resolve_lang(request.args.get("lang"))


def _link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _self_links(path: str, json_type: str = JSON) -> list[dict[str, str]]:
    """``self`` and ``alternate`` links of a resource in both representations."""
    html_first = _wants_html()
    url = f"{_base()}{path}"
    as_json = _link(f"{url}?f=json", "self" if not html_first else "alternate", json_type,
                    "Questo documento in JSON / This document as JSON")
    as_html = _link(f"{url}?f=html", "self" if html_first else "alternate", HTML,
                    "Questo documento in HTML / This document as HTML")
    return [as_json, as_html]


def _reply(body: dict[str, Any], template: str, json_type: str = JSON,
           **context: Any) -> Response:
    if _wants_html():
        page = html.render(template, body=body, lang=_lang(), base=_base(), **context)
        response = Response(page, content_type="text/html; charset=utf-8")
    else:
        response = Response(json.dumps(body, ensure_ascii=False), content_type=json_type)
    response.headers["Vary"] = "Accept"
    return response


def _collection_or_404(collection_id: str):
    ds = features.get(collection_id)
    if ds is None:
        raise OgcError(404, "NotFound", f"no collection '{collection_id[:60]}'")
    return ds


# ----------------------------------------------------------------- resources

@bp.get("/ogc")
@bp.get("/ogc/")
def landing():
    _check_params(COMMON_PARAMS)
    base = _base()
    body = {
        "title": "PON Metro 2014-2020 Milano - OGC API Features",
        "description": "Dati geografici aperti del PON Metro a Milano: confini, stazioni, "
                       "aree di mobilità, sedi, complessi ERP e progetti (CC BY 4.0). / "
                       "Open geodata of PON Metro in Milan (CC BY 4.0).",
        "links": _self_links("/") + [
            _link(f"{base}/api", "service-desc", OAS30,
                  "Definizione OpenAPI 3.0 / OpenAPI 3.0 definition"),
            _link(f"{request.url_root}api/openapi.html", "service-doc", HTML,
                  "Documentazione dell'API / API documentation"),
            _link(f"{base}/conformance", "conformance", JSON,
                  "Classi di conformità / Conformance classes"),
            _link(f"{base}/conformance",
                  "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON,
                  "Classi di conformità / Conformance classes"),
            _link(f"{base}/collections", "data", JSON, "Collezioni / Collections"),
            _link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data",
                  JSON, "Collezioni / Collections"),
        ],
    }
    return _reply(body, "landing")


@bp.get("/ogc/conformance")
def conformance():
    _check_params(COMMON_PARAMS)
    return _reply({"conformsTo": CONFORMANCE, "links": _self_links("/conformance")},
                  "conformance")


def _collection(ds) -> dict[str, Any]:
    base = f"{_base()}/collections/{ds.id}"
    lang = _lang()
    extent = features.extent(ds.id)
    out: dict[str, Any] = {
        "id": ds.id, "title": ds.title(lang), "description": ds.description(lang),
        "keywords": list(ds.keywords), "itemType": "feature", "crs": [CRS84],
        "links": [
            _link(f"{base}?f=json", "self", JSON, ds.title(lang)),
            _link(f"{base}?f=html", "alternate", HTML, ds.title(lang)),
            _link(f"{base}/items?f=json", "items", GEOJSON, "Elementi / Items (GeoJSON)"),
            _link(f"{base}/items?f=html", "items", HTML, "Elementi / Items (HTML)"),
            _link(f"{request.url_root}download/{ds.id}.geojson", "enclosure", GEOJSON,
                  "Scarica tutto / Download all (GeoJSON)"),
            _link(f"{request.url_root}data/{ds.id}", "describedby", HTML,
                  "Scheda del dataset / Dataset page"),
            _link(ds.licence_url, "license", HTML, "CC BY 4.0"),
        ],
    }
    if extent:
        out["extent"] = {}
        if "bbox" in extent:
            out["extent"]["spatial"] = {"bbox": [extent["bbox"]], "crs": CRS84}
        if "interval" in extent:
            out["extent"]["temporal"] = {
                "interval": [extent["interval"]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return out


@bp.get("/ogc/collections")
def collections():
    _check_params(COMMON_PARAMS)
    items = [_collection(ds) for ds in features.collections()]
    return _reply({"links": _self_links("/collections"), "collections": items},
                  "collections")


@bp.get("/ogc/collections/<collection_id>")
def collection(collection_id: str):
    _check_params(COMMON_PARAMS)
    ds = _collection_or_404(collection_id)
    return _reply(_collection(ds), "collection")


def _items_params(ds) -> dict[str, Any]:
    """Parse paging, bbox, datetime and property filters; QueryError becomes 400."""
    allowed = ITEMS_PARAMS | {c.name for c in features.filterable_columns(ds)}
    _check_params(allowed)
    args = request.args
    filters = {}
    for key in args:
        if key not in ITEMS_PARAMS:
            values = args.getlist(key)
            filters[key] = values if len(values) > 1 else values[0]
    bbox = args.get("bbox")
    when = args.get("datetime")
    return {
        "limit": features.parse_limit(args.get("limit")),
        "offset": features.parse_offset(args.get("offset")),
        "bbox": features.parse_bbox(bbox) if bbox is not None else None,
        "interval": features.parse_datetime(when) if when is not None else None,
        "filters": filters,
    }


def _page_url(path: str, **changes: Any) -> str:
    args = {k: v for k, v in request.args.items(multi=True) if k not in changes}
    pairs = list(args.items()) + [(k, str(v)) for k, v in changes.items()]
    return f"{_base()}{path}?{urlencode(pairs)}"


@bp.get("/ogc/collections/<collection_id>/items")
def items(collection_id: str):
    ds = _collection_or_404(collection_id)
    html_first = _wants_html()
    try:
        params = _items_params(ds)
        found, matched = features.items(ds, **params)
    except QueryError as exc:
        raise _bad(exc.field, exc.message) from None
    path = f"/collections/{ds.id}/items"
    limit, offset = params["limit"], params["offset"]
    fmt = "html" if html_first else "json"
    media = HTML if html_first else GEOJSON
    links = [
        _link(_page_url(path, f=fmt), "self", media, "Questa pagina / This page"),
        _link(_page_url(path, f="html" if fmt == "json" else "json"), "alternate",
              GEOJSON if html_first else HTML, "Altro formato / Other format"),
        _link(f"{_base()}/collections/{ds.id}", "collection", JSON, ds.title(_lang())),
    ]
    if offset + len(found) < matched:
        links.append(_link(_page_url(path, f=fmt, offset=offset + limit), "next", media,
                           "Pagina successiva / Next page"))
    if offset > 0:
        links.append(_link(_page_url(path, f=fmt, offset=max(0, offset - limit)), "prev",
                           media, "Pagina precedente / Previous page"))
    body = {
        "type": "FeatureCollection", "features": found,
        "numberMatched": matched, "numberReturned": len(found),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "links": links,
    }
    return _reply(body, "items", GEOJSON, collection=ds, id_column=features.id_column(ds),
                  offset=offset)


@bp.get("/ogc/collections/<collection_id>/items/<fid>")
def item(collection_id: str, fid: str):
    _check_params(COMMON_PARAMS)
    ds = _collection_or_404(collection_id)
    feature = features.item(ds, fid)
    if feature is None:
        raise OgcError(404, "NotFound", f"no feature '{fid[:60]}' in '{ds.id}'")
    base = f"{_base()}/collections/{ds.id}"
    feature["links"] = _self_links(f"/collections/{ds.id}/items/{fid}", GEOJSON) + [
        _link(f"{base}?f=json", "collection", JSON, ds.title(_lang()))]
    return _reply(feature, "item", GEOJSON, collection=ds)


@bp.get("/ogc/api")
def api():
    """The OpenAPI 3.0 definition of this OGC API (the OpenAPI 3.0 conformance class)."""
    _check_params(COMMON_PARAMS)
    if _wants_html():
        from dashboards.hub import openapi

        return openapi.html_response(spec.document(request.url_root))
    return Response(json.dumps(spec.document(request.url_root), ensure_ascii=False),
                    content_type=OAS30)
