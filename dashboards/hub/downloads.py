"""Downloads: ``/download/<id>.<format>``, Data Packages and the whole-catalogue zip.

Query parameters filter the rows (``col=value``, repeated for any-of, and
``col__gte``/``__gt``/``__lte``/``__lt`` for ranges), choose ``fields`` and
``sort``; all are checked against the data dictionary by the query layer.
Responses carry ETag/Last-Modified from the build, so caches revalidate cheaply.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from flask import Blueprint, Response, abort, request
from werkzeug.http import http_date

from dashboards import releases, warehouse
from dashboards.hub import describe, writers
from dashboards.queries import catalog
from dashboards.queries.datastore import QueryError, stream

bp = Blueprint("hub_downloads", __name__)
RESERVED = {"excel", "bom", "fields", "sort", "lang", "q", releases.PARAM}
OPS = ("gte", "gt", "lte", "lt")


def filters_from_args(ds: catalog.Dataset) -> dict[str, Any]:
    """Query-string filters in CKAN filter shape; unknown names raise QueryError."""
    filters: dict[str, Any] = {}
    for key in request.args:
        if key in RESERVED:
            continue
        name, _, op = key.partition("__")
        if op and op not in OPS:
            raise QueryError(key, f"unknown operator '{op[:20]}' (use {', '.join(OPS)})")
        if ds.column(name) is None:
            raise QueryError(key[:60], f"unknown field for dataset '{ds.id}'")
        values = request.args.getlist(key)
        if op:
            filters.setdefault(name, {})
            if not isinstance(filters[name], dict):
                raise QueryError(key, "cannot combine a value and a range on one field")
            filters[name][op] = values[-1]
        else:
            if isinstance(filters.get(name), dict):
                raise QueryError(key, "cannot combine a value and a range on one field")
            filters[name] = values if len(values) > 1 else values[0]
    return filters


def _wants_excel() -> bool:
    """``?excel=1`` (or ``?bom=1``): the CSV variant for spreadsheet users."""
    return request.args.get("excel", request.args.get("bom", "")).lower() in ("1", "true", "yes")


def _etag(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _bad_request(exc: QueryError) -> Response:
    return Response(f"Bad request: {exc.field}: {exc.message}\n", status=400,
                    mimetype="text/plain")


def _dataset_or_404(dataset_id: str) -> catalog.Dataset:
    try:
        ds = catalog.get(dataset_id)
    except warehouse.WarehouseUnavailable:
        abort(503)
    if ds is None:
        abort(404)
    return ds


def _conditional(etag: str) -> tuple[dict[str, str], Response | None]:
    info = warehouse.build_info()
    headers = {"ETag": f'"{etag}"', "Last-Modified": http_date(info.built_at),
               "Cache-Control": "public, max-age=300", "X-Build-Id": info.build_id}
    # the compression layer (flask-compress) suffixes strong ETags with ":<algorithm>"
    candidates = [etag] + [f"{etag}:{alg}" for alg in ("gzip", "br", "deflate", "zstd")]
    if request.if_none_match and any(request.if_none_match.contains(c) for c in candidates):
        return headers, Response(status=304, headers=headers)
    return headers, None


def _streamed(ds: catalog.Dataset, fmt: str, filename: str) -> Response:
    excel = fmt == "csv" and _wants_excel()
    info = warehouse.build_info()
    etag = _etag(info.build_id, ds.id, fmt, request.query_string.decode("latin-1"))
    headers, not_modified = _conditional(etag)
    if not_modified:
        return not_modified
    cursor = ExitStack()  # closes the DuckDB cursor once the body is sent
    try:
        filters = filters_from_args(ds)
        mode = {"csv": "excel_csv" if excel else "csv", "xlsx": "xlsx",
                "json": "json"}.get(fmt, "native")
        # Prepared here, so bad input fails before the first byte is sent.
        reader, _ = cursor.enter_context(stream(
            ds, fields=request.args.get("fields") or None, filters=filters,
            q=request.args.get("q") or None, sort=request.args.get("sort") or None,
            mode=mode))
    except QueryError as exc:
        cursor.close()
        return _bad_request(exc)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if fmt in ("parquet", "xlsx"):
        try:
            fh = writers.parquet_file(reader) if fmt == "parquet" else \
                writers.xlsx_file(reader, sheet_title=ds.id[:31])
        finally:
            cursor.close()
        headers["Content-Length"] = str(writers.size_of(fh))
        return Response(writers.file_chunks(fh), headers=headers,
                        content_type=writers.MEDIA_TYPES[fmt], direct_passthrough=True)
    if fmt == "csv":
        chunks = writers.csv_chunks(reader, excel=excel)
    elif fmt == "json":
        chunks = writers.json_chunks(reader)
    else:
        chunks = writers.geojson_chunks(reader, geometry=ds.geometry_column,
                                        lon=ds.lon_column, lat=ds.lat_column)

    def body() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            cursor.close()

    return Response(body(), headers=headers, content_type=writers.MEDIA_TYPES[fmt],
                    direct_passthrough=True)


@bp.get("/download/<dataset_id>.<fmt>")
def download(dataset_id: str, fmt: str):
    """One dataset; ``?release=<id>`` gives it as that kept release had it."""
    try:
        release = releases.requested()
    except releases.UnknownRelease as exc:
        return releases.not_found(exc.args[0])
    with releases.reading(release):
        if dataset_id == "catalog" and fmt == "zip":
            return catalogue_zip()
        ds = _dataset_or_404(dataset_id)
        if fmt not in ds.formats:
            abort(404)
        suffix = "-excel" if fmt == "csv" and _wants_excel() else ""
        if release:
            suffix += f"_{release.id}"
        return _streamed(ds, fmt, f"{ds.id}{suffix}.{fmt}")


@bp.get("/data/<dataset_id>/<dataset_file>.csv")
def package_csv(dataset_id: str, dataset_file: str):
    """The CSV beside ``datapackage.json``, so its relative resource path resolves."""
    ds = _dataset_or_404(dataset_id)
    if dataset_file != ds.id:
        abort(404)
    return _streamed(ds, "csv", f"{ds.id}.csv")


@bp.get("/data/<dataset_id>/datapackage.json")
def datapackage(dataset_id: str):
    ds = _dataset_or_404(dataset_id)
    info = warehouse.build_info()
    headers, not_modified = _conditional(_etag(info.build_id, ds.id, "datapackage"))
    if not_modified:
        return not_modified
    body = describe.datapackage([ds], name=f"pon-metro-milano-{ds.id}", title=ds.title_it,
                                paths={ds.id: f"{ds.id}.csv"},
                                modified=info.built_at.isoformat() + "Z")
    return Response(json.dumps(body, ensure_ascii=False, indent=2), headers=headers,
                    content_type="application/json")


def catalogue_zip() -> Response:
    """Every published dataset as CSV plus one datapackage.json, in one zip."""
    info = warehouse.build_info()
    headers, not_modified = _conditional(_etag(info.build_id, "catalog.zip"))
    if not_modified:
        return not_modified
    datasets = list(catalog.datasets())
    out = tempfile.SpooledTemporaryFile(max_size=writers.SPOOL_BYTES)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        descriptor = describe.datapackage(
            datasets, name="pon-metro-milano", title="Open data PON Metro 2014-2020 Milano",
            paths={ds.id: f"{ds.id}.csv" for ds in datasets},
            modified=info.built_at.isoformat() + "Z")
        zf.writestr("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2))
        for ds in datasets:
            with stream(ds, mode="csv") as (reader, _), \
                    zf.open(f"{ds.id}.csv", "w", force_zip64=True) as member:
                writers.write_csv(reader, member)
    out.seek(0)
    headers["Content-Disposition"] = 'attachment; filename="pon-metro-milano-open-data.zip"'
    headers["Content-Length"] = str(writers.size_of(out))
    return Response(writers.file_chunks(out), headers=headers,
                    content_type=writers.MEDIA_TYPES["zip"], direct_passthrough=True)
