"""Messages instead of tracebacks: warehouse unavailable, page or project not found."""

from __future__ import annotations

from dash import dcc, html

from dashboards.i18n import localized_href, translator


def unavailable(lang: str | None) -> html.Div:
    """Shown when the warehouse is missing or unreadable; always in both languages."""
    return html.Div(className="alert alert-warning", role="alert", children=[
        html.H1("Dati temporaneamente non disponibili", lang="it"),
        html.P("Il database dei dati non è leggibile in questo momento. Riprovare più tardi; "
               "se il problema persiste, contattare il servizio che gestisce il portale.",
               lang="it"),
        html.H2("Data temporarily unavailable", lang="en"),
        html.P("The data warehouse cannot be read right now. Please try again later; if the "
               "problem persists, contact the team that runs this site.", lang="en"),
    ])


def not_found(lang: str | None, what: str | None = None) -> html.Div:
    _ = translator(lang)
    return html.Div(id="not-found", children=[
        html.H1(_("Page not found")),
        html.P(what or _("The address you asked for does not exist on this site.")),
        html.P(dcc.Link(_("Go to the programme overview"), href=localized_href("/", lang))),
    ])


def guarded(layout):
    """Wrap a page ``layout(**query)`` so a broken warehouse shows :func:`unavailable`."""
    import functools
    import logging

    import duckdb

    from dashboards import warehouse

    @functools.wraps(layout)
    def wrapper(*args, **query):
        try:
            return layout(*args, **query)
        except (warehouse.WarehouseUnavailable, duckdb.Error) as exc:
            logging.getLogger(__name__).warning("page %s unavailable: %s", layout.__module__, exc)
            return unavailable(query.get("lang"))

    return wrapper
