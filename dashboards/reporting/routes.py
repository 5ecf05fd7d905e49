"""``GET /reporting/download``: the EU report files for one as-of date, from the web app.

Same tables and bytes as ``ponmetro export eu-report`` (same query and render
code), computed through the app's read-only warehouse door and cached per build.
Inputs are checked against allow-lists before anything runs.
"""

from __future__ import annotations

from flask import Flask, Response, request

from dashboards import warehouse
from dashboards.i18n import resolve_lang, translator
from dashboards.queries.reporting import AsOfError, app_eligibility, cached_report, parse_as_of
from dashboards.reporting.formats import SPECS, csv_bytes, file_names, xlsx_bytes

PATH = "/reporting/download"
FILES = ("xlsx", *SPECS)
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_url(as_of: str, file: str, lang: str) -> str:
    return f"{PATH}?as_of={as_of}&file={file}&lang={resolve_lang(lang)}"


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def download() -> Response:
    file = request.args.get("file", "xlsx")
    if file not in FILES:
        return _text(f"unknown file; choose one of {', '.join(FILES)}", 400)
    try:
        as_of = parse_as_of(request.args.get("as_of", ""), app_eligibility())
        report = cached_report(as_of.isoformat())
    except AsOfError as exc:
        return _text(str(exc), 400)
    except warehouse.WarehouseUnavailable as exc:
        return _text(f"data unavailable: {exc}", 503)
    lang = resolve_lang(request.args.get("lang"))
    if file == "xlsx":
        body, mimetype = xlsx_bytes(report, translator(lang)), _XLSX
    else:
        body, mimetype = csv_bytes(report, file), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{file_names(as_of)[file]}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(server: Flask) -> None:
    """Add the download route once per process (pages may be imported again)."""
    if "reporting_download" not in server.view_functions:
        server.add_url_rule(PATH, "reporting_download", download, methods=["GET"])
