"""Downloads: ``/download/<id>.<format>``, Data Packages and the whole-catalogue zip.

Query parameters filter the rows (``col=value``, repeated for any-of, and
``col__gte``/``__gt``/``__lte``/``__lt`` for ranges), choose ``fields`` and
``sort``; all are checked against the data dictionary by the query layer.
Responses carry ETag/Last-Modified from the build, so caches revalidate cheaply.
Unfiltered CSV and Parquet of large tables are files written once per data identity and
sent by the kernel (``wholefiles``); filtered ones and small tables stream. An XLSX past one Excel sheet answers 422
with links to the same rows as CSV and Parquet.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request, send_file
from werkzeug.http import http_date

from dashboards import formats, releases, warehouse, writers
from dashboards.formats import Format
from dashboards.hub import describe, offload, wholefiles
from dashboards.i18n import fmt_number
from dashboards.queries import catalog
from dashboards.queries.datastore import QueryError, build_query, count, stream
from ponmetro.releases import Release
from ponmetro.settings import ENV_XLSX_MAX_ROWS

bp = Blueprint("hub_downloads", __name__)
log = logging.getLogger(__name__)
RESERVED = {"fields", "sort", "lang", "q", releases.PARAM}
#: Query parameters that leave a download's bytes unchanged (a whole file still applies).
NEUTRAL = {"lang"}
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


def xlsx_max_rows() -> int:
    """Rows an XLSX download may hold: one Excel sheet, or less with $PONMETRO_XLSX_MAX_ROWS."""
    try:
        return min(int(os.environ.get(ENV_XLSX_MAX_ROWS) or writers.XLSX_SHEET_ROWS),
                   writers.XLSX_SHEET_ROWS)
    except ValueError:
        return writers.XLSX_SHEET_ROWS


def _too_many_rows(ds: catalog.Dataset, rows: int, limit: int) -> Response:
    """422 for an XLSX past one sheet: the same rows as CSV and Parquet, linked (body and
    ``Link`` headers), answered at once instead of after minutes of writing."""
    query = urlencode(list(request.args.items(multi=True)))  # re-encoded: safe in a header
    links = [(fmt, f"{request.script_root}/download/{ds.id}.{fmt.key}"
              + (f"?{query}" if query else ""))
             for fmt in map(formats.by_key, ("csv", "parquet"))]
    items = "".join(f'<li><a href="{html.escape(url)}" type="{fmt.media_type}">{fmt.label}</a>'
                    f"</li>" for fmt, url in links)
    title = html.escape(ds.title_it)
    body = (
        '<!doctype html>\n<html lang="it"><head><meta charset="utf-8">'
        f"<title>Troppe righe per Excel / Too many rows for Excel: {title}</title></head>"
        f"<body><main><h1>Troppe righe per un foglio Excel</h1>"
        f"<p>{title}: {fmt_number(rows, 'it')} righe; un file XLSX ne contiene al massimo "
        f"{fmt_number(limit, 'it')}. "
        f"Scarica le stesse righe in CSV o Parquet:</p><ul>{items}</ul>"
        f'<h2 lang="en">Too many rows for one Excel sheet</h2>'
        f'<p lang="en">{fmt_number(rows, "en")} rows; an XLSX download holds at most '
        f'{fmt_number(limit, "en")}. The same '
        f"rows as CSV or Parquet:</p><ul lang=\"en\">{items}</ul></main></body></html>\n")
    link = ", ".join(f'<{url}>; rel="alternate"; type="{fmt.media_type}"' for fmt, url in links)
    return Response(body, status=422, mimetype="text/html", headers={"Link": link})


def _whole(ds: catalog.Dataset, fmt: Format) -> bool:
    """An unfiltered download of a large table in a format kept as a whole file."""
    ignored = NEUTRAL | formats.variant_flags()
    return fmt.whole_file and ds.rows >= wholefiles.MIN_ROWS and \
        all(key in ignored for key in request.args)


def _sent_file(ds: catalog.Dataset, fmt: Format, version: str, headers: dict[str, str]
               ) -> Response | None:
    """The whole file of ``ds`` for data ``version`` sent by the kernel (``sendfile``;
    Range answered from it), or None when it cannot be written here (then it streams)."""
    try:
        target = wholefiles.path(ds, fmt, version)
        resp = send_file(target, mimetype=fmt.media_type, conditional=True,
                         etag=headers["ETag"].strip('"'), max_age=300)
    except OSError as exc:  # an unwritable folder, a full disk, a file swept just now
        log.warning("whole-table %s of %s not kept on disk (%s): streaming it", fmt.slug,
                    ds.id, exc)
        return None
    resp.headers.update(headers)
    resp.headers["Content-Type"] = fmt.content_type
    # Already at disk speed; compressing it would put every byte back through Python.
    resp.headers["Content-Encoding"] = "identity"
    return resp


def _offloaded(ds: catalog.Dataset, fmt: Format, query: dict[str, Any], version: str,
                release: Release | None) -> Iterator[bytes] | None:
    """The bytes of a streamed download of ``offload.MIN_ROWS`` rows or more, written by a
    child process (``offload``); None for fewer rows (or if the child wrote nothing)."""
    if fmt.chunks is None or ds.rows < offload.MIN_ROWS:
        return None
    filtered = query["filters"] or query["q"]
    rows = count(ds, filters=query["filters"], q=query["q"], at_most=offload.MIN_ROWS) \
        if filtered else ds.rows
    if rows < offload.MIN_ROWS:
        return None
    return offload.relay(ds, fmt, query, version,
                         release.warehouse if release is not None else None)


def _streamed(ds: catalog.Dataset, fmt: Format, filename: str, *, whole: bool = False,
              release: Release | None = None) -> Response:
    """One dataset in one format: a whole file sent from disk (``whole``, unfiltered),
    streamed chunks (from a child process when they are many), or a finished file
    streamed with its length; the query runs in the format's projection mode."""
    info = warehouse.build_info()
    etag = _etag(info.data_version, ds.id, fmt.key, request.query_string.decode("latin-1"))
    headers, not_modified = _conditional(etag)
    if not_modified:
        return not_modified
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if whole and _whole(ds, fmt):
        sent = _sent_file(ds, fmt, info.data_version, headers)
        if sent is not None:
            return sent
    cursor = ExitStack()  # closes the DuckDB cursor once the body is sent
    try:
        query = {"fields": request.args.get("fields") or None, "filters": filters_from_args(ds),
                 "q": request.args.get("q") or None, "sort": request.args.get("sort") or None}
        build_query(ds, **query)  # every parameter checked before counting
        if fmt.key == "xlsx":
            rows, limit = count(ds, filters=query["filters"], q=query["q"]), xlsx_max_rows()
            if rows > limit:
                return _too_many_rows(ds, rows, limit)
        relayed = _offloaded(ds, fmt, query, info.data_version, release)
        if relayed is not None:
            return Response(relayed, headers=headers, content_type=fmt.content_type,
                            direct_passthrough=True)
        # Prepared here, so bad input fails before the first byte is sent.
        reader, _ = cursor.enter_context(stream(ds, mode=fmt.mode, **query))
    except QueryError as exc:
        cursor.close()
        return _bad_request(exc)
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
        return _streamed(ds, chosen, chosen.file_name(stem), whole=release is None,
                         release=release)


@bp.get("/data/<dataset_id>/<dataset_file>.csv")
def package_csv(dataset_id: str, dataset_file: str):
    """The CSV beside ``datapackage.json``, so its relative resource path resolves."""
    ds = _dataset_or_404(dataset_id)
    if dataset_file != ds.id:
        abort(404)
    fmt = formats.by_key(describe.PACKAGE_FORMAT)
    return _streamed(ds, _chosen(fmt), fmt.file_name(ds.id), whole=True)


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
