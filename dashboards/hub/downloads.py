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

from dashboards import formats, releases, warehouse, writers
from dashboards.formats import Format
from dashboards.hub import describe
from dashboards.queries import catalog
from dashboards.queries.datastore import QueryError, stream

bp = Blueprint("hub_downloads", __name__)
RESERVED = {"fields", "sort", "lang", "q", releases.PARAM}
OPS = ("gte", "gt", "lte", "lt")
ZIP_MEDIA_TYPE = "application/zip"


def filters_from_args(ds: catalog.Dataset) -> dict[str, Any]:
    """Query-string filters in CKAN filter shape; unknown names raise QueryError."""
    filters: dict[str, Any] = {}
    for key in request.args:
        if key in RESERVED or key in formats.variant_flags():
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


def _chosen(fmt: Format) -> Format:
    """A variant of ``fmt`` when the query asks for it (``?excel=1``), else ``fmt``."""
    for variant in formats.FORMATS:
        flag = next((f for f in variant.flags if f in request.args), None)
        if variant.key == fmt.key and flag and \
                request.args[flag].lower() in ("1", "true", "yes"):
            return variant
    return fmt


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


def _streamed(ds: catalog.Dataset, fmt: Format, filename: str) -> Response:
    """One dataset in one format: streamed chunks, or a finished file streamed with its
    length; the query runs in the format's projection mode."""
    info = warehouse.build_info()
    etag = _etag(info.data_version, ds.id, fmt.key, request.query_string.decode("latin-1"))
    headers, not_modified = _conditional(etag)
    if not_modified:
        return not_modified
    cursor = ExitStack()  # closes the DuckDB cursor once the body is sent
    try:
        filters = filters_from_args(ds)
        # Prepared here, so bad input fails before the first byte is sent.
        reader, _ = cursor.enter_context(stream(
            ds, fields=request.args.get("fields") or None, filters=filters,
            q=request.args.get("q") or None, sort=request.args.get("sort") or None,
            mode=fmt.mode))
    except QueryError as exc:
        cursor.close()
        return _bad_request(exc)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if fmt.file is not None:
        try:
            fh = fmt.file(reader, ds)
        finally:
            cursor.close()
        headers["Content-Length"] = str(writers.size_of(fh))
        return Response(writers.file_chunks(fh), headers=headers,
                        content_type=fmt.content_type, direct_passthrough=True)
    chunks = fmt.chunks(reader, ds)

    def body() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            cursor.close()

    return Response(body(), headers=headers, content_type=fmt.content_type,
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
        listed = formats.get(fmt)
        if listed is None or listed not in ds.formats:
            abort(404)
        chosen = _chosen(listed)
        stem = f"{ds.id}_{release.id}" if release else ds.id
        return _streamed(ds, chosen, chosen.file_name(stem))


@bp.get("/data/<dataset_id>/<dataset_file>.csv")
def package_csv(dataset_id: str, dataset_file: str):
    """The CSV beside ``datapackage.json``, so its relative resource path resolves."""
    ds = _dataset_or_404(dataset_id)
    if dataset_file != ds.id:
        abort(404)
    fmt = formats.by_key(describe.PACKAGE_FORMAT)
    return _streamed(ds, _chosen(fmt), fmt.file_name(ds.id))


@bp.get("/data/<dataset_id>/datapackage.json")
def datapackage(dataset_id: str):
    ds = _dataset_or_404(dataset_id)
    info = warehouse.build_info()
    headers, not_modified = _conditional(_etag(info.data_version, ds.id, "datapackage"))
    if not_modified:
        return not_modified
    body = describe.datapackage([ds], name=f"pon-metro-milano-{ds.id}", title=ds.title_it,
                                paths={ds.id: formats.by_key(describe.PACKAGE_FORMAT).file_name(ds.id)},
                                modified=info.built_at.isoformat() + "Z")
    return Response(json.dumps(body, ensure_ascii=False, indent=2), headers=headers,
                    content_type="application/json")


def catalogue_zip() -> Response:
    """Every published dataset as CSV plus one datapackage.json, in one zip."""
    info = warehouse.build_info()
    headers, not_modified = _conditional(_etag(info.data_version, "catalog.zip"))
    if not_modified:
        return not_modified
    datasets = list(catalog.datasets())
    fmt = formats.by_key(describe.PACKAGE_FORMAT)
    out = tempfile.SpooledTemporaryFile(max_size=writers.SPOOL_BYTES)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        descriptor = describe.datapackage(
            datasets, name="pon-metro-milano", title="Open data PON Metro 2014-2020 Milano",
            paths={ds.id: fmt.file_name(ds.id) for ds in datasets},
            modified=info.built_at.isoformat() + "Z")
        zf.writestr("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2))
        for ds in datasets:
            with stream(ds, mode=fmt.mode) as (reader, _), \
                    zf.open(fmt.file_name(ds.id), "w", force_zip64=True) as member:
                for chunk in fmt.chunks(reader, ds):
                    member.write(chunk)
    out.seek(0)
    headers["Content-Disposition"] = 'attachment; filename="pon-metro-milano-open-data.zip"'
    headers["Content-Length"] = str(writers.size_of(out))
    return Response(writers.file_chunks(out), headers=headers,
                    content_type=ZIP_MEDIA_TYPE, direct_passthrough=True)
