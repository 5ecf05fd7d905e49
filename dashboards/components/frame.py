"""The global frame around every page: skip link, header, navigation, banner, footer.

Rendered per language and route by a callback in ``dashboards.app`` (the frame
reads ``?lang=`` from the URL like the pages do), so every area of the app,
including pages written by other teams, sits in the same frame.
"""

from __future__ import annotations

from dash import dcc, html

from dashboards import warehouse
from dashboards.components import routes
from dashboards.i18n import fmt_date, localized_href, resolve_lang, translator
from etl.catalog import LICENCE_URL

#: (path, English label) of the main navigation, in order.
NAV = (("/", "Overview"), ("/axis/1", "Axis 1"), ("/axis/2", "Axis 2"), ("/axis/3", "Axis 3"),
       ("/axis/4", "Axis 4"), ("/housing", "Housing"), ("/social", "Social services"),
       ("/mobility", "Mobility"), ("/data", "Open data"), ("/reporting", "Reporting"))
LEGAL = (("/note-legali", "Legal notes"), ("/privacy", "Privacy policy"),
         ("/accessibilita", "Accessibility statement"))
#: the human-readable deed, in Italian, of the licence every dataset carries
LICENCE_DEED = LICENCE_URL + "deed.it"


def _current(path: str, pathname: str) -> bool:
    if path == "/":
        return pathname in ("", "/")
    return pathname == path or pathname.startswith(path + "/")


def _nav_link(label: str, href: str, current: bool, _) -> dcc.Link:
    """dcc.Link takes no aria attributes: the current page is marked in words and style."""
    if not current:
        return routes.link(label, href)
    return routes.link([label, html.Span(f" ({_('current page')})", className="visually-hidden")],
                       href, className="active")


def header(lang: str | None, pathname: str) -> html.Header:
    lang = resolve_lang(lang)
    _ = translator(lang)
    switch = html.Div(className="pm-lang", role="group", **{"aria-label": _("Language")}, children=[
        html.A(code.upper(), href=localized_href(pathname or "/", code), lang=code,
               title=name, **{"data-lang": code, "aria-current": "true" if code == lang else None})
        for code, name in (("it", "Italiano"), ("en", "English"))])
    return html.Header(className="it-header-wrapper", children=[
        html.Div(className="it-header-slim-wrapper", children=html.Div(
            className="container d-flex justify-content-between align-items-center", children=[
                html.Span(_("City of Milan · PON Metro 2014-2020")), switch])),
        html.Div(className="it-header-center-wrapper", children=html.Div(
            className="container", children=dcc.Link(
                href=localized_href("/", lang), className="pm-brand", children=[
                    html.Span(_("PON Metro Milano"), className="pm-brand-title d-block"),
                    html.Span(_("Monitoring of the National Operational Programme "
                                "for Metropolitan Cities in Milan"),
                              className="pm-brand-tagline d-block")]))),
        html.Nav(className="pm-nav", **{"aria-label": _("Main navigation")},
                 children=html.Div(className="container", children=html.Ul([
                     html.Li(_nav_link(_(label), localized_href(path, lang),
                                       _current(path, pathname), _))
                     for path, label in NAV]))),
    ])


def demo_banner(lang: str | None, info: warehouse.BuildInfo | None) -> html.Div | None:
    if info is None or not info.is_demo:
        return None
    _ = translator(lang)
    return html.Aside(className="pm-demo-banner", **{"aria-label": _("Demo data notice")},
                      children=html.Div(
        className="container", children=_(
            "Demo data: every figure on this site is synthetic and for demonstration only.")))


def build_label(lang: str | None, info: warehouse.BuildInfo | None) -> str:
    _ = translator(lang)
    if info is None:
        return _("Data unavailable")
    return f"{_('Build')} {info.build_id} · {fmt_date(info.built_at, lang)} UTC"


def footer(lang: str | None, info: warehouse.BuildInfo | None) -> html.Footer:
    lang = resolve_lang(lang)
    _ = translator(lang)
    return html.Footer(className="it-footer", children=[
        html.Div(className="it-footer-main py-4", children=html.Div(className="container", children=[
            html.P(html.Strong(_("City of Milan – PON Metro 2014-2020"))),
            html.P([_("Data published under the licence "),
                    html.A("Creative Commons Attribution 4.0 (CC BY 4.0)", href=LICENCE_DEED,
                           rel="license"), "."]),
        ])),
        html.Div(className="it-footer-small-prints", children=html.Div(className="container", children=[
            html.Ul([html.Li(routes.link(_(label), localized_href(path, lang)))
                     for path, label in LEGAL]),
            html.P(build_label(lang, info), className="pm-footer-build", id="footer-build"),
        ])),
    ])


def safe_build_info() -> warehouse.BuildInfo | None:
    try:
        return warehouse.build_info()
    except warehouse.WarehouseUnavailable:
        return None
