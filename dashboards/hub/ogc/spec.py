"""The OpenAPI description of the OGC API, written once for both documents.

:func:`paths` gives the path items (in OpenAPI 3.1 form, nullable types as
``["integer", "null"]``); ``/api/openapi.json`` embeds them under ``/ogc``, and
:func:`document` turns them into the OpenAPI 3.0 definition ``/ogc/api`` that the
OGC "OpenAPI 3.0" conformance class (and GDAL's OAPIF driver) reads.
"""

from __future__ import annotations

from typing import Any

from dashboards.queries import catalog, features

JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"

#: JSON schema of each dictionary type family (values may be empty).
FAMILY_SCHEMAS: dict[str, dict[str, Any]] = {
    "integer": {"type": ["integer", "null"]},
    "number": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
    "datetime": {"type": ["string", "null"]},
    "string": {"type": ["string", "null"]},
    "complex": {},
}
#: What a filter value may be, per family (the query layer converts and checks it).
FILTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "string": {"type": "string", "maxLength": 1000},
}

EXCEPTION = {"type": "object", "required": ["code", "description"],
             "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}
LINK = {"type": "object", "required": ["href", "rel"],
        "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                       "type": {"type": "string"}, "title": {"type": "string"}}}
LINKS = {"type": "array", "items": LINK}
GEOMETRY = {"type": ["object", "null"], "required": ["type"],
            "properties": {"type": {"type": "string", "enum": [
                "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                "MultiPolygon", "GeometryCollection"]}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": EXCEPTION}}}


def _ok(description: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description,
            "content": {media: {"schema": schema}, HTML: {"schema": {"type": "string"}}}}


F_PARAM = {"name": "f", "in": "query", "required": False,
           "description": "Formato: json (GeoJSON/JSON) o html. / Representation.",
           "schema": {"type": "string", "enum": ["json", "html"]}}
LANG_PARAM = {"name": "lang", "in": "query", "required": False,
              "description": "Lingua delle pagine HTML e dei titoli. / Language.",
              "schema": {"type": "string", "enum": ["it", "en"]}}
COMMON = [F_PARAM, LANG_PARAM]
LIMIT = {"name": "limit", "in": "query", "required": False, "style": "form",
         "explode": False, "description": "Elementi per pagina. / Features per page.",
         "schema": {"type": "integer", "minimum": 1, "maximum": features.MAX_LIMIT,
                    "default": features.DEFAULT_LIMIT}}
OFFSET = {"name": "offset", "in": "query", "required": False,
          "description": "Elementi da saltare (i link next/prev lo impostano). / Features "
                         "to skip (set by the next/prev links).",
          "schema": {"type": "integer", "minimum": 0, "maximum": 10**12 - 1}}
BBOX = {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
        "description": "minLon,minLat,maxLon,maxLat in WGS84 (CRS84); 6 numbers with "
                       "heights are accepted, heights are ignored.",
        "schema": {"type": "array", "minItems": 4, "maxItems": 6,
                   "items": {"type": "number"}}}
DATETIME = {"name": "datetime", "in": "query", "required": False, "style": "form",
            "explode": False,
            "description": "Istante o intervallo RFC 3339 (es. 2020-01-01/2021-12-31, "
                           "2020-01-01T00:00:00Z/..). / Instant or interval.",
            "schema": {"type": "string", "maxLength": 100}}


def feature_schema(ds: catalog.Dataset) -> dict[str, Any]:
    props = {c.name: FAMILY_SCHEMAS[c.family] for c in features.property_columns(ds)}
    return {"type": "object", "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "id": {"type": ["string", "integer"]}, "geometry": GEOMETRY,
                           "properties": {"type": "object", "properties": props},
                           "links": LINKS}}


def collection_schema() -> dict[str, Any]:
    return {"type": "object", "required": ["id", "links"],
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "description": {"type": "string"}, "links": LINKS,
                           "extent": {"type": "object"}, "itemType": {"type": "string"},
                           "crs": {"type": "array", "items": {"type": "string"}}}}


def _items_operation(ds: catalog.Dataset) -> dict[str, Any]:
    params = [*COMMON, LIMIT, OFFSET, BBOX]
    if features.time_column(ds) is not None:
        params.append(DATETIME)
    for col in features.filterable_columns(ds):
        params.append({"name": col.name, "in": "query", "required": False,
                       "description": f"{col.description_it} / {col.description_en} "
                                      "(uguale a / equal to)",
                       "schema": FILTER_SCHEMAS[col.family]})
    collection = {"type": "object", "required": ["type", "features"], "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": feature_schema(ds)},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string"}, "links": LINKS}}
    return {"get": {
        "tags": ["OGC API - Features"], "operationId": f"ogc_items_{ds.id}",
        "summary": f"Elementi / Features: {ds.title_it}",
        "description": ds.description_en, "parameters": params,
        "responses": {"200": _ok("Una pagina di elementi / One page of features", GEOJSON,
                                 collection),
                      "400": _error("Parametro non valido / Invalid parameter"),
                      "503": _error("Dati non disponibili / Data unavailable")}}}


def paths(prefix: str = "") -> dict[str, Any]:
    """OGC path items; ``prefix`` is ``/ogc`` inside the site-wide document."""
    ids = [ds.id for ds in features.collections()]
    coll_id = {"name": "collectionId", "in": "path", "required": True,
               "schema": {"type": "string", "enum": ids}}
    simple = {"tags": ["OGC API - Features"]}
    out: dict[str, Any] = {
        f"{prefix}/": {"get": {**simple, "operationId": "ogc_landing",
                               "summary": "Pagina iniziale / Landing page",
                               "parameters": COMMON, "responses": {
                                   "200": _ok("Link alle risorse / Links", JSON, {
                                       "type": "object", "required": ["links"],
                                       "properties": {"links": LINKS}}),
                                   "400": _error("Parametro non valido")}}},
        f"{prefix}/conformance": {"get": {**simple, "operationId": "ogc_conformance",
                                          "summary": "Classi di conformità / Conformance",
                                          "parameters": COMMON, "responses": {
                                              "200": _ok("Conformance", JSON, {
                                                  "type": "object",
                                                  "required": ["conformsTo"],
                                                  "properties": {"conformsTo": {
                                                      "type": "array", "items": {
                                                          "type": "string"}}}}),
                                              "400": _error("Parametro non valido")}}},
        f"{prefix}/collections": {"get": {**simple, "operationId": "ogc_collections",
                                          "summary": "Collezioni / Collections",
                                          "parameters": COMMON, "responses": {
                                              "200": _ok("Collections", JSON, {
                                                  "type": "object",
                                                  "required": ["links", "collections"],
                                                  "properties": {
                                                      "links": LINKS,
                                                      "collections": {
                                                          "type": "array",
                                                          "items": collection_schema()}}}),
                                              "400": _error("Parametro non valido"),
                                              "503": _error("Dati non disponibili")}}},
        f"{prefix}/collections/{{collectionId}}": {"get": {
            **simple, "operationId": "ogc_collection",
            "summary": "Una collezione / One collection",
            "parameters": [coll_id, *COMMON],
            "responses": {"200": _ok("Collection", JSON, collection_schema()),
                          "400": _error("Parametro non valido"),
                          "404": _error("Collezione sconosciuta / Unknown collection")}}},
        f"{prefix}/collections/{{collectionId}}/items/{{featureId}}": {"get": {
            **simple, "operationId": "ogc_feature",
            "summary": "Un elemento / One feature",
            "parameters": [coll_id, {"name": "featureId", "in": "path", "required": True,
                                     "schema": {"type": "string", "maxLength": 200}},
                           *COMMON],
            "responses": {"200": _ok("Feature", GEOJSON, {
                "type": "object", "required": ["type", "geometry", "properties"],
                "properties": {"type": {"type": "string", "enum": ["Feature"]},
                               "geometry": GEOMETRY, "properties": {"type": "object"},
                               "links": LINKS}}),
                "400": _error("Parametro non valido"),
                "404": _error("Elemento sconosciuto / Unknown feature")}}},
    }
    for ds in features.collections():
        out[f"{prefix}/collections/{ds.id}/items"] = _items_operation(ds)
    return out


def with_limits(paths_: dict[str, Any]) -> dict[str, Any]:
    """Add the site-wide request limits (``dashboards/security.py``) to every operation:
    414 for a query string over 8 KiB, 413 for a body over 1 MiB."""
    text = {"text/plain": {"schema": {"type": "string"}},
            JSON: {"schema": {"type": "object"}},
            # a request line past gunicorn's own limit is refused by gunicorn, in HTML
            HTML: {"schema": {"type": "string"}}}
    for item in paths_.values():
        for method, op in item.items():
            op["responses"].setdefault("414", {
                "description": "Query string longer than 8 KiB", "content": text})
            if method == "post":
                op["responses"].setdefault("413", {
                    "description": "Request body larger than 1 MiB", "content": text})
    return paths_


def to_openapi30(node: Any) -> Any:
    """Rewrite 3.1 ``type: [t, "null"]`` as 3.0 ``type: t, nullable: true``."""
    if isinstance(node, list):
        return [to_openapi30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_openapi30(v) for k, v in node.items()}
    kind = out.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        if len(rest) == 1:
            out["type"] = rest[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in rest]
        if "null" in kind:
            out["nullable"] = True
    return out


def document(base: str) -> dict[str, Any]:
    """The OpenAPI 3.0 definition of ``/ogc`` (server URL = the landing page)."""
    return to_openapi30({
        "openapi": "3.0.3",
        "info": {"title": "PON Metro Milano - OGC API Features", "version": "1.0.0",
                 "description": "OGC API - Features Part 1 (Core, GeoJSON, HTML, OpenAPI "
                                "3.0) over the located open datasets. CC BY 4.0.",
                 "license": {"name": "CC BY 4.0",
                             "url": "https://creativecommons.org/licenses/by/4.0/"}},
        "servers": [{"url": f"{base}ogc"}],
        "paths": with_limits(paths()),
    })
