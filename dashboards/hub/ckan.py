"""CKAN-compatible Action API: ``/api/3/action/<name>`` and ``/api/action/<name>``.

Read-only actions with CKAN's envelope (``help``/``success``/``result``) and its
error types and status codes, so ``ckanapi`` and dati.gov.it's CKAN harvester
work unchanged. Unknown parameters are ignored as CKAN does; unknown fields in
``filters``, ``sort`` or ``fields`` are a Validation Error. Rows come from the
query layer, never from SQL written here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
from flask import Blueprint, Response, request

from dashboards import warehouse
from dashboards.hub import describe
from dashboards.queries import catalog, datastore
from dashboards.queries.datastore import QueryError
from dashboards.writers import jsonable
from etl.catalog import LICENCE_ID, LICENCE_TITLE, LICENCE_URL

bp = Blueprint("hub_ckan", __name__)

ROWS_DEFAULT, ROWS_MAX = 10, 1000
CKAN_TYPES = {"integer": "int", "number": "numeric", "string": "text", "date": "date",
              "datetime": "timestamp", "boolean": "bool", "complex": "_text"}
_JSONP = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$")
#: Parameters that may arrive as JSON strings on GET (ckan/ckan#4327).
_JSON_PARAMS = {"facet.field", "filters", "fields", "q", "fq_list", "organizations",
                "groups"}


class ActionError(Exception):
    def __init__(self, kind: str, status: int, body: dict[str, Any]):
        super().__init__(kind)
        self.kind, self.status, self.body = kind, status, body


def not_found(message: str) -> ActionError:
    return ActionError("Not Found Error", 404, {"message": f"Not found: {message}"})


def validation(field: str, message: str) -> ActionError:
    return ActionError("Validation Error", 409, {field: [message]})


def search_query_error(message: str) -> ActionError:
    return ActionError("Search Query Error", 400,
                       {"message": f"Search Query is invalid: {message}"})


# ----------------------------------------------------------------- parameters

def _request_params() -> dict[str, Any]:
    if request.method == "POST":
        if request.mimetype == "application/json" or (request.data and not request.form):
            try:
                body = json.loads(request.get_data(as_text=True) or "{}")
            except (ValueError, UnicodeDecodeError) as exc:
                raise ActionError("JSON", 400, {"message": f"JSON Error: {exc}"}) from None
            if not isinstance(body, dict):
                raise ActionError("JSON", 400, {"message": "JSON Error: body must be an "
                                                           "object"})
            return body
        source = request.form
    else:
        source = request.args
    params: dict[str, Any] = {}
    for key in source:
        values = source.getlist(key)
        params[key] = values[0] if len(values) == 1 else values
    for key in _JSON_PARAMS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in "[{":
            try:
                params[key] = json.loads(value)
            except ValueError:
                if key != "q":
                    raise validation(key, "could not parse as valid JSON") from None
    return params


def _int(params: dict, key: str, default: int, low: int = 0, high: int | None = None) -> int:
    value = params.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value) if not isinstance(value, (bool, list, dict)) else None
    except (ValueError, TypeError):
        number = None
    if number is None:
        raise validation(key, "Invalid integer")
    if number < low:
        raise validation(key, f"Must be a natural number >= {low}")
    return min(number, high) if high is not None else number


def _flag(params: dict, key: str, default: bool) -> bool:
    value = params.get(key, default)
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes", "on")
    return bool(value)


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


# ----------------------------------------------------------------- package search

_FIELD = re.compile(r'([+-]?)([A-Za-z_][\w.]*):("([^"]*)"|\(([^)]*)\)|\[[^\]]*\]|\S+)')
_KNOWN_FIELDS = {"name", "id", "title", "notes", "identifier", "theme", "frequency",
                 "license_id", "domain", "owner_org", "axis", "tags", "tag", "groups", "group",
                 "organization", "res_format"}
_IGNORED_FQ = {"capacity", "state", "dataset_type", "type", "site_id", "+site_id"}


def _field_values(pkg: dict[str, Any], field: str) -> list[str] | None:
    """Values of a searchable package field, or None if the field is unknown."""
    if field in ("name", "id", "title", "notes", "identifier", "theme", "frequency",
                 "license_id", "domain", "owner_org"):
        return [str(pkg.get(field) or "")]
    if field == "axis":
        return [str(pkg["axis"])] if pkg.get("axis") else []
    if field in ("tags", "tag"):
        return [t["name"] for t in pkg["tags"]]
    if field in ("groups", "group"):
        return [g["name"] for g in pkg["groups"]]
    if field == "organization":
        return [pkg["organization"]["name"]]
    if field == "res_format":
        return [r["format"] for r in pkg["resources"]]
    return None


def _apply_terms(pkgs: list[dict], text: str, where: str) -> tuple[list[dict], str]:
    """Filter by ``field:value`` terms; return what is left of the text."""
    for sign, field, raw, quoted, grouped in _FIELD.findall(text):
        if field in _IGNORED_FQ or field == "*":
            continue
        if field not in _KNOWN_FIELDS:
            raise search_query_error(f"unknown field '{field[:40]}' in {where}")
        if quoted:
            wanted = {quoted.lower()}
        elif grouped:
            wanted = {w.strip('"').lower() for w in re.split(r"\s+OR\s+|\s+", grouped)
                      if w and w != "OR"}
        else:
            wanted = {raw.strip('"').lower()}

        def hit(p: dict, field: str = field, wanted: set = wanted) -> bool:
            return bool({v.lower() for v in _field_values(p, field) or []} & wanted)

        pkgs = [p for p in pkgs if hit(p) != (sign == "-")]
    return pkgs, _FIELD.sub(" ", text)


_SORT_KEYS: dict[str, Callable[[dict], Any]] = {
    "name": lambda p: p["name"], "title": lambda p: p["title"].lower(),
    "title_string": lambda p: p["title"].lower(),
    "metadata_modified": lambda p: p["metadata_modified"] or "",
    "metadata_created": lambda p: p["metadata_created"] or "",
    "num_resources": lambda p: p["num_resources"], "rows": lambda p: p["rows"],
}


def _sort(pkgs: list[dict], sort: str) -> list[dict]:
    items = [s.split() for s in sort.split(",") if s.strip()]
    for words in reversed(items):
        field = words[0]
        desc = len(words) > 1 and words[1].lower() == "desc"
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise search_query_error(f"bad sort '{' '.join(words)[:40]}'")
        if field == "score":
            continue
        if field not in _SORT_KEYS:
            raise search_query_error(f"cannot sort on '{field[:40]}'")
        pkgs = sorted(pkgs, key=_SORT_KEYS[field], reverse=desc)
    return pkgs


def package_search(params: dict, base: str) -> dict[str, Any]:
    rows = _int(params, "rows", ROWS_DEFAULT, 0, ROWS_MAX)
    start = _int(params, "start", 0)
    q = params.get("q") or "*:*"
    if not isinstance(q, str):
        raise validation("q", "must be a string")
    fq = params.get("fq") or ""
    if not isinstance(fq, str):
        raise validation("fq", "must be a string")
    fq_list = _list(params.get("fq_list"))
    sort = params.get("sort") or "score desc, metadata_modified desc"
    if not isinstance(sort, str):
        raise validation("sort", "must be a string")
    pkgs = [describe.package(base, ds) for ds in catalog.datasets()]
    for text, where in [(fq, "fq"), *[(f, "fq_list") for f in fq_list]]:
        pkgs, _ = _apply_terms(pkgs, text[:2000], where)
    if q.strip() not in ("*:*", "*", ""):
        pkgs, rest = _apply_terms(pkgs, q[:2000], "q")
        words = rest.replace("*:*", " ")
        by_id = {ds.id: ds for ds in catalog.datasets()}
        pkgs = [p for p in pkgs if catalog.matches_text(by_id[p["id"]], words)]
    pkgs = _sort(pkgs, sort)
    facet_fields = _list(params.get("facet.field"))
    facet_limit = _int(params, "facet.limit", 50, -1)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for field in facet_fields:
        counts = Counter(v for p in pkgs for v in (_field_values(p, field) or []))
        top = counts.most_common(None if facet_limit < 0 else facet_limit)
        facets[field] = dict(top)
        search_facets[field] = {"title": field, "items": [
            {"name": k, "display_name": k, "count": n} for k, n in top]}
    return {"count": len(pkgs), "results": pkgs[start:start + rows], "facets": facets,
            "search_facets": search_facets, "sort": sort}


# ----------------------------------------------------------------- datastore

def _dataset_for_resource(params: dict) -> tuple[catalog.Dataset, str]:
    rid = params.get("resource_id", params.get("id"))
    if rid in (None, ""):
        raise validation("resource_id", "Missing value")
    if not isinstance(rid, str):
        raise validation("resource_id", "must be a string")
    ds = catalog.get(rid.split(".")[0] if rid.count(".") == 1 else rid)
    if ds is None or rid not in {describe.resource_id(ds, f) for f in ds.formats}:
        raise ActionError("Not Found Error", 404,
                          {"message": f'Not found: Resource "{rid[:100]}" was not found.'})
    return ds, rid


def _field_info(col: catalog.Column) -> dict[str, Any]:
    return {"id": col.name, "type": CKAN_TYPES[col.family],
            "info": {"label": col.description_en, "notes": col.description_it,
                     "unit": col.unit or "", "type_override": ""}}


def _delimited(rows: list[tuple], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else jsonable(v) for v in row])
    return out.getvalue()


def datastore_search(params: dict, base: str) -> dict[str, Any]:
    ds, rid = _dataset_for_resource(params)
    records_format = params.get("records_format", "objects")
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise validation("records_format", "must be one of objects, lists, csv, tsv")
    include_total = _flag(params, "include_total", True)
    distinct = _flag(params, "distinct", False)
    try:
        page = datastore.search(ds, fields=params.get("fields"), filters=params.get("filters"),
                                q=params.get("q"), sort=params.get("sort"),
                                limit=params.get("limit", datastore.DEFAULT_LIMIT),
                                offset=params.get("offset", 0), include_total=include_total,
                                distinct=distinct)
    except QueryError as exc:
        raise validation(exc.field, exc.message) from None
    names = [c.name for c in page["columns"]]
    # values as fetched: the encoder writes dates, times and non-finite floats (_encode)
    if records_format == "objects":
        records: Any = [dict(zip(names, r, strict=True)) for r in page["rows"]]
    elif records_format == "lists":
        records = [list(r) for r in page["rows"]]
    else:
        records = _delimited(page["rows"], "," if records_format == "csv" else "\t")
    action = f"/api/3/action/datastore_search?resource_id={rid}"
    result = {
        "resource_id": rid, "fields": [_field_info(c) for c in page["columns"]],
        "records": records, "limit": page["limit"], "offset": page["offset"],
        "filters": params.get("filters") or {}, "q": params.get("q") or "",
        "sort": params.get("sort") or ", ".join(ds.order_by),
        "include_total": include_total, "records_format": records_format,
        "distinct": distinct,
        "_links": {"start": action,
                   "next": f"{action}&offset={page['offset'] + page['limit']}"},
    }
    if include_total:
        result["total"] = page["total"]
        result["total_was_estimated"] = False
    return result


def datastore_search_sql(params: dict, base: str) -> dict[str, Any]:
    sql = params.get("sql")
    try:
        out = datastore.run_sql(sql)
    except QueryError as exc:
        raise validation(exc.field, exc.message) from None
    result = {"sql": sql, "fields": [{"id": n, "type": t.lower()} for n, t in
                                     zip(out["names"], out["types"], strict=True)],
              "records": [dict(zip(out["names"], r, strict=True)) for r in out["rows"]]}
    if out["truncated"]:
        result["records_truncated"] = True
    return result


# ----------------------------------------------------------------- other actions

def package_list(params: dict, base: str) -> list[str]:
    names = list(catalog.ids())
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names))
    return names[offset:offset + limit]


def package_show(params: dict, base: str) -> dict[str, Any]:
    ident = params.get("id", params.get("name_or_id"))
    if ident in (None, ""):
        raise validation("id", "Missing value")
    ds = catalog.get(ident)
    if ds is None:
        raise not_found("Dataset not found")
    return describe.package(base, ds)


def resource_show(params: dict, base: str) -> dict[str, Any]:
    rid = params.get("id")
    if rid in (None, ""):
        raise validation("id", "Missing value")
    for ds in catalog.datasets():
        for i, fmt in enumerate(ds.formats):
            if describe.resource_id(ds, fmt) == rid:
                return describe.resource(base, ds, fmt, i)
    raise not_found("Resource was not found.")


def _names_or_dicts(items: list[dict], params: dict) -> list[Any]:
    sort = params.get("sort") or "title asc"
    if not isinstance(sort, str):
        raise validation("sort", "must be a string")
    words = sort.split()
    if words[0] not in ("name", "title", "package_count") or len(words) > 2:
        raise validation("sort", f"Cannot sort by field `{words[0][:40]}`")
    desc = len(words) == 2 and words[1].lower() == "desc"
    items = sorted(items, key=lambda i: i.get(words[0]) or "", reverse=desc)
    all_fields = _flag(params, "all_fields", False)
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 25 if all_fields else 1000)
    page = items[offset:offset + limit]
    return page if all_fields else [i["name"] for i in page]


def organization_list(params: dict, base: str) -> list[Any]:
    org = describe.organization() | {"package_count": len(catalog.datasets())}
    return _names_or_dicts([org], params)


def organization_show(params: dict, base: str) -> dict[str, Any]:
    if params.get("id") != describe.ORG_NAME:
        raise not_found("Organization was not found.")
    return describe.organization() | {"package_count": len(catalog.datasets())}


def group_list(params: dict, base: str) -> list[Any]:
    counts = Counter(ds.theme for ds in catalog.datasets())
    return _names_or_dicts([describe.group(t, n) for t, n in counts.items()], params)


def group_show(params: dict, base: str) -> dict[str, Any]:
    counts = Counter(ds.theme.lower() for ds in catalog.datasets())
    gid = params.get("id")
    if not isinstance(gid, str) or gid.lower() not in counts:
        raise not_found("Group was not found.")
    return describe.group(gid.upper(), counts[gid.lower()])


def tag_list(params: dict, base: str) -> list[str]:
    return sorted({k for ds in catalog.datasets() for k in ds.keywords})


def license_list(params: dict, base: str) -> list[dict[str, Any]]:
    return [{"id": LICENCE_ID, "title": LICENCE_TITLE, "url": LICENCE_URL, "od_conformance":
             "approved", "osd_conformance": "not reviewed", "status": "active"}]


def status_show(params: dict, base: str) -> dict[str, Any]:
    info = warehouse.build_info()
    return {"site_title": "PON Metro Milano open data", "site_url": base.rstrip("/"),
            "ckan_version": "2.10.0", "locale_default": "it",
            "extensions": ["datastore", "dcat", "dcatapit"], "build_id": info.build_id}


def help_show(params: dict, base: str) -> str:
    """The docstring of an action (CKAN's ``help`` links point here)."""
    name = params.get("name")
    if not isinstance(name, str) or name not in ACTIONS:
        raise not_found("Action not found")
    return (ACTIONS[name].__doc__ or f"{name}: see docs/open-data.md").strip()


ACTIONS: dict[str, Callable[[dict, str], Any]] = {
    f.__name__: f for f in (
        help_show, package_list, package_search, package_show, resource_show, organization_list,
        organization_show, group_list, group_show, tag_list, license_list, status_show,
        datastore_search, datastore_search_sql)}


# ----------------------------------------------------------------- transport

def _encode(body: Any) -> str:
    """JSON text of an answer, values as DuckDB fetched them: orjson writes dates and
    times in ISO 8601 and NaN or infinity as null natively, as ``jsonable`` does, without a
    Python call per value (600 on a 100-row page); ``jsonable`` takes what orjson does not
    know (decimals), and the standard encoder what it refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(body, default=_jsonable_or_refuse).decode("utf-8")
    except TypeError:
        return json.dumps(jsonable(body), ensure_ascii=False)


def _jsonable_or_refuse(value: Any) -> Any:
    converted = jsonable(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return converted


def _reply(body: Any, status: int, callback: str | None) -> Response:
    text = _encode(body)
    if callback:
        return Response(f"{callback}({text});", status=200,
                        content_type="application/javascript; charset=utf-8")
    return Response(text, status=status, content_type="application/json;charset=utf-8")


@bp.route("/api/action/<name>", methods=["GET", "POST"])
@bp.route("/api/3/action/<name>", methods=["GET", "POST"])
def action(name: str):
    callback = request.args.get("callback") if request.method == "GET" else None
    if callback and not _JSONP.match(callback):
        callback = None
    base = request.url_root
    help_url = f"{base}api/3/action/help_show?name={name[:60]}"
    if name not in ACTIONS:
        return _reply(f"Bad request: Action name not known: {name[:60]}", 400, None)
    try:
        params = _request_params()
        params.pop("callback", None)
        params.pop("_", None)
        result = ACTIONS[name](params, base)
    except ActionError as exc:
        if exc.kind == "JSON":
            return _reply(f"Bad request - {exc.body['message']}", 400, None)
        return _reply({"help": help_url, "success": False,
                       "error": {"__type": exc.kind, **exc.body}}, exc.status, callback)
    except warehouse.WarehouseUnavailable as exc:
        return _reply({"help": help_url, "success": False, "error": {
            "__type": "Internal Server Error", "message": str(exc)}}, 503, callback)
    return _reply({"help": help_url, "success": True, "result": result}, 200, callback)
