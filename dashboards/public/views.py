"""Routes of the public pages: each one reads its query, asks its context module and renders.

``page()`` is the one place that puts a page into the frame (header, demo banner,
footer from ``components.frame``), writes its head (``seo.head``) and answers with
an ETag, so a revisit of an unchanged page costs one 304.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from dash import html
from flask import Blueprint, Response, redirect, render_template, request

from dashboards import releases, warehouse
from dashboards.components import charts, errors, frame
from dashboards.i18n import resolve_lang, translator
from dashboards.public import catalogue, dataset, markup, project, reporting, seo
from dashboards.reporting import routes as reporting_routes

#: What an unreadable warehouse raises (the Dash pages catch the same: errors.guarded).
OUTAGE = (warehouse.WarehouseUnavailable, duckdb.Error)
bp = Blueprint("public", __name__, template_folder="templates")
ASSETS = Path(__file__).resolve().parents[2] / "assets"


def stylesheets() -> list[str]:
    """The app's CSS files in Dash's order, with Dash's cache-busting ``?m=`` stamp."""
    return [f"/assets/{p.name}?m={int(p.stat().st_mtime)}" for p in sorted(ASSETS.glob("*.css"))]


#: Font files the first screen uses (body, semibold nav, bold headings): preloaded so the
#: text is not laid out twice when the web font arrives (a layout shift on phones).
PRELOAD_FONTS = ("regular", "600", "700")


def font_preloads() -> list[str]:
    folder = ASSETS / "fonts" / "titillium-web"
    return [f"/assets/fonts/titillium-web/{p.name}" for w in PRELOAD_FONTS
            for p in sorted(folder.glob(f"*latin-{w}.woff2"))]


def page(template: str, *, path: str, lang: str, head_title: str, head_description: str,
         status: int = 200, **context) -> Response:
    info = frame.safe_build_info()
    body = render_template(
        template, lang=lang, _=translator(lang), info=info, stylesheets=stylesheets(),
        fonts=font_preloads(),
        head=seo.head(request.url_root, path, lang, head_title, head_description),
        header=markup.to_html(frame.header(lang, path)),
        banner=markup.to_html(frame.demo_banner(lang, info)),
        footer=markup.to_html(frame.footer(lang, info)), **context)
    response = Response(body, status=status, mimetype="text/html")
    if status == 200:
        response.headers["Cache-Control"] = "no-cache"
        response.add_etag()
        response.make_conditional(request)
    return response


def error_page(lang: str, status: int, message: str | None = None) -> Response:
    """A complete 404/400/503 page in the frame (never a traceback); the 404 and outage
    texts are the Dash pages' own (``components.errors``)."""
    _ = translator(lang)
    if status == 503:
        title, body = _("Data temporarily unavailable"), errors.unavailable(lang)
    elif status == 404:
        title, body = _("Page not found"), errors.not_found(lang, message)
    else:
        title = _("Bad request")
        body = html.Div(id="bad-request", children=[
            html.H1(title), html.P(message or _("The request could not be understood."),
                                   role="alert")])
    return page("error.html", path=request.path, lang=lang, head_title=title,
                head_description=message or title, status=status, body=markup.to_html(body))


def _lang() -> str:
    return resolve_lang(request.args.get("lang"))


@bp.get("/data")
def data_catalogue():
    lang = _lang()
    _ = translator(lang)
    try:
        context = catalogue.context(lang, request.args)
    except catalogue.BadQuery as exc:
        return error_page(lang, 400, _("The search text contains characters that cannot be "
                                       "searched.") if str(exc) else None)
    except OUTAGE:
        return error_page(lang, 503)
    return page("catalogue.html", path="/data", lang=lang, head_title=_("Open data catalogue"),
                head_description=_("Every dataset of the PON Metro 2014-2020 programme in Milan, "
                              "free to reuse under the CC BY 4.0 licence."), **context)


@bp.get("/data/")
def data_slash():
    """``/data/`` is the catalogue too (the address people type after ``/data/<id>``)."""
    query = request.query_string.decode("latin-1")
    return redirect("/data" + (f"?{query}" if query else ""), code=308)


@bp.get("/data/<dataset_id>")
def data_page(dataset_id: str):
    lang = _lang()
    _ = translator(lang)
    try:
        release = releases.requested()
    except releases.UnknownRelease:
        return error_page(lang, 404, _("This release is not kept on this service; the "
                                       "dataset page lists the kept releases."))
    try:
        with releases.reading(release):
            context = dataset.context(dataset_id, lang, request.args, request.url_root)
    except OUTAGE:
        return error_page(lang, 503)
    if context is None:
        return error_page(lang, 404, _("There is no published dataset with this identifier."))
    ds = context["ds"]
    return page("dataset.html", path=f"/data/{ds.id}", lang=lang, head_title=ds.title(lang),
                head_description=ds.description(lang),
                jsonld=seo.script(seo.dataset_jsonld(request.url_root, ds, lang)), **context)


@bp.get("/projects/<code>")
def project_page(code: str):
    lang = _lang()
    _ = translator(lang)
    try:
        context = project.context(code, lang, request.args)
    except OUTAGE:
        return error_page(lang, 503)
    if context is None:
        return error_page(lang, 404, _("There is no programme project with this code."))
    p = context["project"]
    return page("project.html", path=f"/projects/{context['code']}", lang=lang,
                head_title=f"{context['code']} – {p['title_' + lang]}",
                head_description=p.get("description_" + lang) or p["title_" + lang], **context)


@bp.get("/reporting")
def reporting_page():
    lang = _lang()
    _ = translator(lang)
    try:
        context = reporting.context(lang, request.args.get("as_of"))
    except OUTAGE:
        return error_page(lang, 503)
    return page("reporting.html", path="/reporting", lang=lang,
                head_title=_("EU programme reporting"),
                head_description=context["intro"], **context)


@bp.get("/download/chart/<chart>.<fmt>")
def chart_download(chart: str, fmt: str):
    """A chart's data as CSV or XLSX, re-run from its checked parameters (as in Dash)."""
    spec = charts.REGISTRY.get(chart)
    if spec is None or fmt not in charts.CHART_WRITERS:
        return error_page(_lang(), 404)
    frame_ = spec.data(request.args.to_dict())
    from dashboards import formats

    record = formats.by_key(fmt)
    response = Response(charts.CHART_WRITERS[fmt](frame_, spec.name), mimetype=record.content_type)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{record.file_name(spec.name)}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/sitemap.xml")
def sitemap():
    try:
        body = seo.sitemap(request.url_root)
    except warehouse.WarehouseUnavailable:
        return Response("503 Service Unavailable\n", 503, mimetype="text/plain")
    return Response(body, mimetype="application/xml",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/robots.txt")
def robots():
    return Response(seo.robots(request.url_root), mimetype="text/plain",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.record_once
def _downloads(state) -> None:
    """The EU report files sit beside their page (``/reporting/download``)."""
    reporting_routes.register(state.app)

