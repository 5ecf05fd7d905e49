"""``GET /reporting/download``: the EU report files for one as-of date, from the web app.

Same tables and bytes as ``ponmetro export eu-report`` (same query and render
code), computed through the app's read-only warehouse door and cached per build.
Inputs are checked against allow-lists before anything runs. ``release=<id>``
computes the files from that kept release's build: the same bytes it gave while
that release was current (the audit trail of a submitted report).
"""

from __future__ import annotations

from flask import Flask, Response, request

from dashboards import formats, releases, warehouse
from dashboards.i18n import resolve_lang, translator
from dashboards.queries.reporting import AsOfError, app_eligibility, cached_report, parse_as_of
from dashboards.reporting.formats import SPECS, csv_bytes, file_names, xlsx_bytes

PATH = "/reporting/download"
FILES = ("xlsx", *SPECS)


def download_url(as_of: str, file: str, lang: str) -> str:
    return f"{PATH}?as_of={as_of}&file={file}&lang={resolve_lang(lang)}"


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def download() -> Response:
    file = request.args.get("file", "xlsx")
    if file not in FILES:
        return _text(f"unknown file; choose one of {', '.join(FILES)}", 400)
    try:
        release = releases.requested()
    except releases.UnknownRelease as exc:
        return releases.not_found(exc.args[0])
    try:
        with releases.reading(release):
            as_of = parse_as_of(request.args.get("as_of", ""), app_eligibility())
            report = cached_report(as_of.isoformat())
    except AsOfError as exc:
        return _text(str(exc), 400)
    except warehouse.WarehouseUnavailable as exc:
        return _text(f"data unavailable: {exc}", 503)
    lang = resolve_lang(request.args.get("lang"))
    if file == "xlsx":
        body, mimetype = xlsx_bytes(report, translator(lang)), formats.by_key("xlsx").media_type
    else:
        body, mimetype = csv_bytes(report, file), formats.by_key("csv").content_type
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{file_names(as_of)[file]}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(server: Flask) -> None:
    """Add the download route once per process (pages may be imported again)."""
    if "reporting_download" not in server.view_functions:
        server.add_url_rule(PATH, "reporting_download", download, methods=["GET"])
