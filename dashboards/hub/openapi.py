"""OpenAPI 3.1 description of every HTTP API of the hub: ``/api/openapi.json``.

Built from the catalogue at request time, so dataset ids, columns and their types
in the document are exactly those of the build being served: the CKAN Action API
(each action, GET and POST, its parameters and result schema), the downloads with
their per-column filters, the Data Packages, the DCAT feeds, ``/healthz`` and the
OGC API (whose path items come from :mod:`dashboards.hub.ogc.spec`). ``/api/openapi.html``
renders the same document as a plain HTML page served by the app itself.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from dashboards import writers
from dashboards.hub.ogc import html as ogc_html
from dashboards.hub.ogc import spec as ogc
from dashboards.queries import catalog, datastore

bp = Blueprint("hub_openapi", __name__)

JSON = "application/json"
TEXT = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}
NULLABLE_TEXT = {"type": ["string", "null"]}
INT0 = {"type": "integer", "minimum": 0, "maximum": 2**62}
FLAG = {"type": "boolean"}

# ----------------------------------------------------------------- CKAN schemas

CKAN_ERROR = {
    "type": "object", "required": ["success", "error"],
    "properties": {"help": TEXT, "success": {"type": "boolean", "enum": [False]},
                   "error": {"type": "object"}},
}
RESOURCE = {
    "type": "object",
    "required": ["id", "package_id", "name", "format", "url", "datastore_active"],
    "properties": {"id": TEXT, "package_id": TEXT, "position": INT0, "name": TEXT,
                   "format": TEXT, "mimetype": TEXT, "url": TEXT, "url_type": TEXT,
                   "state": TEXT, "description": TEXT, "datastore_active": FLAG,
                   "created": NULLABLE_TEXT, "last_modified": NULLABLE_TEXT,
                   "metadata_modified": NULLABLE_TEXT, "license_type": TEXT,
                   "distribution_format": TEXT},
}
ORGANIZATION = {"type": "object", "required": ["id", "name", "title"],
                "properties": {"id": TEXT, "name": TEXT, "title": TEXT,
                               "package_count": INT0}}
PACKAGE = {
    "type": "object",
    "required": ["id", "name", "title", "notes", "license_id", "resources", "tags",
                 "groups", "organization", "identifier", "theme", "modified", "frequency"],
    "properties": {
        "id": TEXT, "name": TEXT, "title": TEXT, "notes": TEXT, "type": TEXT,
        "state": TEXT, "private": FLAG, "isopen": FLAG, "license_id": TEXT,
        "license_title": TEXT, "license_url": TEXT, "owner_org": TEXT,
        "organization": ORGANIZATION, "author": TEXT, "maintainer": TEXT, "url": TEXT,
        "version": NULLABLE_TEXT, "metadata_created": NULLABLE_TEXT,
        "metadata_modified": NULLABLE_TEXT,
        "tags": {"type": "array", "items": {"type": "object", "required": ["name"],
                                            "properties": {"name": TEXT}}},
        "groups": {"type": "array", "items": {"type": "object", "required": ["name"],
                                              "properties": {"name": TEXT}}},
        "resources": {"type": "array", "items": RESOURCE},
        "num_resources": INT0, "num_tags": INT0, "extras": {"type": "array"},
        "identifier": TEXT, "theme": TEXT, "publisher_name": TEXT,
        "publisher_identifier": TEXT, "holder_name": TEXT, "holder_identifier": TEXT,
        "modified": {"type": "string", "format": "date"}, "frequency": TEXT,
        "language": TEXT, "geographical_name": TEXT,
        "temporal_coverage": {"type": "array", "items": {"type": "object"}},
        "axis": {"type": ["integer", "null"]}, "domain": TEXT, "rows": INT0,
        "suppression_note": NULLABLE_TEXT,
        "data_dictionary": {"type": "array", "items": {
            "type": "object", "required": ["id", "type"],
            "properties": {"id": TEXT, "type": TEXT, "unit": NULLABLE_TEXT,
                           "description_it": TEXT, "description_en": TEXT}}},
    },
}
FIELD = {"type": "object", "required": ["id", "type"],
         "properties": {"id": TEXT, "type": TEXT, "info": {"type": "object"}}}
SCALAR = {"type": ["string", "number", "boolean", "null"]}
#: A datastore filter: a value, any of a list of values, or a range {"gte": a, "lt": b}.
FILTER_VALUE = {"anyOf": [SCALAR, {"type": "array", "maxItems": 5, "items": SCALAR},
                          {"type": "object", "maxProperties": 4,
                           "additionalProperties": SCALAR}]}
NAMES_OR_DICTS = {"type": "array", "items": {"anyOf": [TEXT, {"type": "object"}]}}


def _p(name: str, schema: dict[str, Any], description: str,
       required: bool = False) -> dict[str, Any]:
    return {"name": name, "schema": schema, "description": description,
            "required": required}


def _actions() -> dict[str, tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    """Action name -> (summary, parameters, result schema)."""
    ids = list(catalog.ids())
    resource_ids = sorted(f"{ds.id}.{fmt.key}" if fmt.key != "csv" else ds.id
                          for ds in catalog.datasets() for fmt in ds.formats)
    text = {"type": "string", "maxLength": 2000}
    list_params = [
        _p("sort", {"type": "string", "enum": ["name", "name asc", "name desc", "title",
                                               "title asc", "title desc", "package_count",
                                               "package_count desc"]},
           "name, title or package_count, asc or desc (default title asc)"),
        _p("limit", INT0, "at most this many (default 1000, or 25 with all_fields)"),
        _p("offset", INT0, "skip this many"),
        _p("all_fields", FLAG, "dicts instead of names"),
    ]
    record = {"anyOf": [{"type": "array"}, {"type": "string"}]}
    return {
        "package_list": ("Nomi dei dataset / Dataset names",
                         [_p("limit", INT0, "page size"), _p("offset", INT0, "skip")],
                         {"type": "array", "items": TEXT}),
        "package_search": ("Ricerca dei dataset / Dataset search", [
            _p("q", text, "words, or field:value terms (default *:*)"),
            _p("fq", text, "filter query, e.g. groups:tran res_format:GeoJSON"),
            _p("fq_list", {"type": "array", "items": text, "maxItems": 20},
               "several filter queries"),
            _p("sort", {"type": "string", "enum": [
                "score desc, metadata_modified desc", "name asc", "name desc",
                "title_string asc", "title_string desc", "metadata_modified desc",
                "num_resources desc"]}, "sort order"),
            _p("rows", INT0, "page size (default 10, larger than 1000 is capped)"),
            _p("start", INT0, "offset of the first result"),
            _p("facet.field", {"type": "array", "maxItems": 10, "items": {
                "type": "string", "enum": ["groups", "tags", "res_format", "organization",
                                           "theme", "frequency", "axis", "domain"]}},
               "fields to count"),
            _p("facet.limit", {"type": "integer", "minimum": -1, "maximum": 10000},
               "values per facet (-1 = all)"),
        ], {"type": "object", "required": ["count", "results", "facets", "search_facets",
                                           "sort"],
            "properties": {"count": INT0, "results": {"type": "array", "items": PACKAGE},
                           "facets": {"type": "object"}, "search_facets": {"type": "object"},
                           "sort": TEXT}}),
        "package_show": ("Un dataset / One dataset",
                         [_p("id", {"type": "string", "enum": ids + ["missing-dataset"]},
                             "dataset name")], PACKAGE),
        "resource_show": ("Una risorsa / One resource",
                          [_p("id", {"type": "string", "enum": resource_ids + ["missing"]},
                              "resource id")], RESOURCE),
        "organization_list": ("Organizzazioni / Organizations", list_params, NAMES_OR_DICTS),
        "organization_show": ("Un'organizzazione / One organization",
                              [_p("id", {"type": "string", "maxLength": 100},
                                  "comune-di-milano")], ORGANIZATION),
        "group_list": ("Gruppi (temi UE) / Groups (EU themes)", list_params, NAMES_OR_DICTS),
        "group_show": ("Un gruppo / One group",
                       [_p("id", {"type": "string", "maxLength": 100}, "theme, e.g. tran")],
                       {"type": "object", "required": ["name"], "properties": {
                           "name": TEXT, "package_count": INT0}}),
        "tag_list": ("Parole chiave / Tags", [], {"type": "array", "items": TEXT}),
        "license_list": ("Licenze / Licences", [], {"type": "array", "items": {
            "type": "object", "required": ["id", "url"]}}),
        "status_show": ("Stato / Status", [], {"type": "object", "required": [
            "site_url", "ckan_version", "build_id"]}),
        "help_show": ("Aiuto su un'azione / Help on an action",
                      [_p("name", {"type": "string", "maxLength": 100}, "action name",
                          required=True)], TEXT),
        "datastore_search": ("Righe di una risorsa / Rows of a resource", [
            _p("resource_id", {"type": "string", "enum": ids}, "the CSV resource id "
               "(= dataset id)", required=True),
            _p("q", {"anyOf": [text, {"type": "object", "maxProperties": 5,
                                      "additionalProperties": text}]},
               "full text: every word in some text column; or {field: text}"),
            _p("filters", {"type": "object", "maxProperties": 5,
                           "additionalProperties": FILTER_VALUE},
               '{"col": v}, {"col": [v1, v2]}, {"col": {"gte": a, "lt": b}}'),
            _p("fields", {"type": "array", "maxItems": 50, "items": {"type": "string"}},
               "columns to return (also a comma-separated string)"),
            _p("sort", {"type": "string", "maxLength": 200}, '"col, other desc nulls last"'),
            _p("distinct", FLAG, "only distinct rows of the returned fields"),
            _p("limit", {"type": "integer", "minimum": 0, "maximum": 10**9},
               f"default {datastore.DEFAULT_LIMIT}, capped at {datastore.MAX_LIMIT}"),
            _p("offset", INT0, "rows to skip"),
            _p("include_total", FLAG, "count the matching rows (default true)"),
            _p("records_format", {"type": "string", "enum": ["objects", "lists", "csv",
                                                             "tsv"]}, "records layout"),
        ], {"type": "object", "required": ["resource_id", "fields", "records", "limit",
                                           "offset"],
            "properties": {"resource_id": TEXT, "fields": {"type": "array", "items": FIELD},
                           "records": record, "limit": INT0, "offset": INT0,
                           "total": INT0, "distinct": FLAG, "_links": {"type": "object"}}}),
        "datastore_search_sql": ("SQL di sola lettura / Read-only SQL", [
            _p("sql", {"type": "string", "maxLength": 20000},
               'one SELECT over published datasets, e.g. SELECT * FROM "nil"', required=True),
        ], {"type": "object", "required": ["sql", "fields", "records"],
            "properties": {"sql": TEXT, "fields": {"type": "array", "items": FIELD},
                           "records": {"type": "array"}, "records_truncated": FLAG}}),
    }


#: Parameters sent as JSON text on GET (CKAN decodes them, ckan/ckan#4327).
_JSON_ON_GET = {"q", "filters"}


def _ckan_paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (summary, params, result) in _actions().items():
        envelope = {"type": "object", "required": ["help", "success", "result"],
                    "properties": {"help": TEXT,
                                   "success": {"type": "boolean", "enum": [True]},
                                   "result": result}}
        responses = {
            "200": {"description": "CKAN envelope", "content": {JSON: {"schema": envelope}}},
            "400": {"description": "Bad request (JSON error string) or Search Query Error",
                    "content": {JSON: {"schema": {"anyOf": [TEXT, CKAN_ERROR]}}}},
            "404": {"description": "Not Found Error",
                    "content": {JSON: {"schema": CKAN_ERROR}}},
            "409": {"description": "Validation Error (field errors)",
                    "content": {JSON: {"schema": CKAN_ERROR}}},
            "503": {"description": "Warehouse unavailable",
                    "content": {JSON: {"schema": CKAN_ERROR}}},
        }
        query = []
        for p in params:
            q = {"name": p["name"], "in": "query", "required": p["required"],
                 "description": p["description"]}
            if p["name"] in _JSON_ON_GET and p["name"] != "q":
                q["content"] = {JSON: {"schema": p["schema"]}}
            elif p["name"] == "q":
                q["schema"] = {"type": "string", "maxLength": 2000}
            else:
                q["schema"] = p["schema"]
            query.append(q)
        body = {"type": "object", "properties": {p["name"]: p["schema"] for p in params},
                "required": [p["name"] for p in params if p["required"]]}
        for prefix, tag in (("/api/3/action", "CKAN Action API"),
                            ("/api/action", "CKAN Action API (alias)")):
            op_id = name if prefix == "/api/3/action" else f"{name}_alias"
            out[f"{prefix}/{name}"] = {
                "get": {"tags": [tag], "operationId": f"{op_id}_get", "summary": summary,
                        "parameters": query, "responses": responses},
                "post": {"tags": [tag], "operationId": f"{op_id}_post", "summary": summary,
                         "requestBody": {"required": False,
                                         "content": {JSON: {"schema": body}}},
                         "responses": responses},
            }
    return out


# ----------------------------------------------------------------- downloads and feeds

def _text_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": TEXT}}}


def _row_schema(ds: catalog.Dataset) -> dict[str, Any]:
    return {"type": "object", "properties": {
        c.name: ogc.FAMILY_SCHEMAS[c.family] for c in ds.columns}}


def _download_paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ds in catalog.datasets():
        params = [
            {"name": "format", "in": "path", "required": True,
             "schema": {"type": "string", "enum": [fmt.key for fmt in ds.formats]}},
            {"name": "fields", "in": "query", "style": "form", "explode": False,
             "description": "columns to include", "schema": {
                 "type": "array", "items": {"type": "string", "enum": list(ds.column_names)},
                 "minItems": 1, "uniqueItems": True}},
            {"name": "sort", "in": "query", "description": '"col" or "col desc", '
             "comma-separated", "schema": {"type": "string", "maxLength": 200}},
            {"name": "q", "in": "query", "description": "text in any text column",
             "schema": {"type": "string", "maxLength": 1000}},
            {"name": "excel", "in": "query", "description": "1: CSV for Excel (; and BOM)",
             "schema": {"type": "string", "enum": ["1", "0"]}},
            {"name": "release", "in": "query", "description": "a kept release id: the dataset "
             "as that release had it (404 for an unknown release)",
             "schema": {"type": "string", "maxLength": 64}},
        ]
        for col in ds.columns:
            if col.is_complex:
                continue
            schema = ogc.FILTER_SCHEMAS[col.family]
            params.append({"name": col.name, "in": "query", "explode": True,
                           "description": f"{col.description_en} (equal; repeat for any of)",
                           "schema": {"type": "array", "items": schema, "maxItems": 5}})
            if col.family in ("integer", "number", "date", "datetime"):
                for op in ("gte", "gt", "lte", "lt"):
                    params.append({"name": f"{col.name}__{op}", "in": "query",
                                   "description": f"{col.name} {op}", "schema": schema})
        feature = {"type": "object", "required": ["type", "geometry", "properties"],
                   "properties": {"type": {"type": "string", "enum": ["Feature"]},
                                  "geometry": ogc.GEOMETRY, "properties": _row_schema(ds)}}
        # Response schema per format key; finished binary files (XLSX, Parquet) by default.
        bodies = {"csv": TEXT, "json": {"type": "array", "items": _row_schema(ds)},
                  "geojson": {"type": "object", "required": ["type", "features"],
                              "properties": {"type": {"type": "string",
                                                      "enum": ["FeatureCollection"]},
                                             "features": {"type": "array",
                                                          "items": feature}}}}
        out[f"/download/{ds.id}.{{format}}"] = {"get": {
            "tags": ["Downloads"], "operationId": f"download_{ds.id}",
            "summary": f"Scarica / Download: {ds.title_it}",
            "description": "No row cap. Filtered downloads and small tables stream; "
            "unfiltered CSV and Parquet of large tables are files written once per data "
            "version and sent from disk (with "
            "Content-Length, ETag and byte ranges). XLSX holds at most one Excel sheet "
            f"({writers.XLSX_SHEET_ROWS:,} rows): past it, 422 with links (body and Link headers) to the "
            "same rows as CSV and Parquet. " + ds.description_en,
            "parameters": params,
            "responses": {
                "200": {"description": "The (filtered) dataset", "content": {
                    fmt.media_type: {"schema": bodies.get(fmt.key, BINARY)}
                    for fmt in ds.formats}},
                "206": {"description": "A byte range of an unfiltered CSV or Parquet file",
                        "content": {fmt.media_type: {"schema": TEXT if fmt.key == "csv"
                                                     else BINARY}
                                    for fmt in ds.formats if fmt.whole_file}},
                "400": _text_error("Bad request: <parameter>: <reason>"),
                "404": _text_error("Format not offered for this dataset"),
                "422": {"description": "XLSX past one Excel sheet: links to the same rows "
                        "as CSV and Parquet (HTML body, Link headers rel=alternate)",
                        "headers": {"Link": {"schema": TEXT}},
                        "content": {"text/html": {"schema": TEXT}}},
            }}}
    ids = list(catalog.ids())
    dataset_param = {"name": "dataset_id", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ids}}
    out["/data/{dataset_id}/datapackage.json"] = {"get": {
        "tags": ["Downloads"], "operationId": "datapackage",
        "summary": "Frictionless Data Package", "parameters": [dataset_param],
        "responses": {"200": {"description": "datapackage.json", "content": {JSON: {
            "schema": {"type": "object", "required": ["name", "resources"]}}}},
            "404": _text_error("No such dataset")}}}
    out["/download/catalog.zip"] = {"get": {
        "tags": ["Downloads"], "operationId": "catalogue_zip",
        "summary": "Tutti i dataset in CSV / Every dataset as CSV (zip)",
        "responses": {"200": {"description": "zip", "content": {"application/zip": {
            "schema": {"type": "string", "format": "binary"}}}}}}}
    rdf = {"text/turtle": {"schema": TEXT}, "application/ld+json": {"schema": {}},
           "application/rdf+xml": {"schema": TEXT}}
    for ext, media in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                       ("rdf", "application/rdf+xml")):
        out[f"/catalog.{ext}"] = {"get": {
            "tags": ["DCAT-AP_IT"], "operationId": f"catalogue_{ext}",
            "summary": f"Catalogo DCAT-AP_IT / DCAT-AP_IT catalogue ({ext})",
            "parameters": [{"name": "page", "in": "query", "description":
                            "hydra page of 100 datasets",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
            "responses": {"200": {"description": "RDF", "content": {media: rdf[media]}},
                          "400": _text_error("page is not a positive integer")}}}
        out[f"/data/{{dataset_id}}.{ext}"] = {"get": {
            "tags": ["DCAT-AP_IT"], "operationId": f"dataset_{ext}",
            "summary": f"DCAT-AP_IT di un dataset / One dataset's DCAT ({ext}); "
                       "/data/<id> with Accept: text/turtle gives the same",
            "parameters": [dataset_param],
            "responses": {"200": {"description": "RDF", "content": {media: rdf[media]}},
                          "404": _text_error("No such dataset")}}}
    out["/gbfs/{file}.json"] = {"get": {
        "tags": ["GBFS"], "operationId": "gbfs",
        "summary": "Feed GBFS 3.0 in tempo reale / Real-time GBFS 3.0 feed "
                   "(gbfs.json lists the files; Cache-Control max-age <= ttl)",
        "parameters": [{"name": "file", "in": "path", "required": True, "schema": {
            "type": "string", "enum": ["gbfs", "system_information", "vehicle_types",
                                       "station_information", "station_status"]}}],
        "responses": {"200": {"description": "GBFS 3.0 JSON (MobilityData schemas)",
                              "content": {JSON: {"schema": {"type": "object", "required": [
                                  "last_updated", "ttl", "version", "data"]}}}},
                      "404": _text_error("No such GBFS file")}}}
    out["/healthz"] = {"get": {
        "tags": ["Operations"], "operationId": "healthz", "summary": "Health check",
        "responses": {
            "200": {"description": "Serving a readable build", "content": {JSON: {"schema": {
                "type": "object", "required": ["status", "build_id", "built_at", "demo"],
                "properties": {"status": {"type": "string", "enum": ["ok"]},
                               "build_id": TEXT, "built_at": TEXT, "demo": FLAG,
                               "quality_findings": {"type": "integer", "minimum": 0}}}}}},
            "503": {"description": "Warehouse missing or unreadable", "content": {JSON: {
                "schema": {"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": ["unhealthy"]}}}}}}}}}
    out["/api/openapi.json"] = {"get": {
        "tags": ["Operations"], "operationId": "openapi",
        "summary": "This document (OpenAPI 3.1); /api/openapi.html renders it",
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {
            "schema": {"type": "object", "required": ["openapi", "paths"]}}}}}}}
    return out


def document(base: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for a server at ``base`` (ends with ``/``)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PON Metro 2014-2020 Milano - open-data hub",
            "version": "1.0.0",
            "description": "CKAN-compatible Action API (GET and POST, also JSONP with "
                           "?callback= on GET), streamed downloads with filters, DCAT-AP_IT "
                           "feeds, OGC API - Features under /ogc and the health check. "
                           "Publisher Comune di Milano (IPA c_f205), data under CC BY 4.0.",
            "license": {"name": "CC BY 4.0",
                        "url": "https://creativecommons.org/licenses/by/4.0/"},
            "contact": {"name": "Comune di Milano - Open data",
                        "email": "opendata@comune.milano.it"},
        },
        "servers": [{"url": base.rstrip("/")}],
        "tags": [{"name": "CKAN Action API"}, {"name": "CKAN Action API (alias)"},
                 {"name": "Downloads"}, {"name": "DCAT-AP_IT"},
                 {"name": "OGC API - Features"}, {"name": "Operations"}],
        "paths": ogc.with_limits({**_ckan_paths(), **_download_paths(), **ogc.paths("/ogc")}),
    }


def html_response(doc: dict[str, Any]) -> Response:
    """A readable HTML page of an OpenAPI document (served locally, no script)."""
    page = ogc_html.render("openapi", doc=doc, body={"links": []},
                           lang="it" if request.args.get("lang") != "en" else "en",
                           base=request.url_root + "ogc", pretty=_pretty)
    return Response(page, content_type="text/html; charset=utf-8")


def _pretty(schema: Any) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=1)[:4000]


@bp.get("/api/openapi.json")
def openapi_json():
    return Response(json.dumps(document(request.url_root), ensure_ascii=False),
                    content_type=JSON)


@bp.get("/api/openapi.html")
def openapi_html():
    return html_response(document(request.url_root))

