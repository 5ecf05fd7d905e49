"""``/data``: the open-data catalogue, searchable, with facets in the URL (permalinks).

Every state of the page is a link: the search form submits ``?q=``, each facet
value is a link that adds or removes it (``?theme=SOCI,TRAN&format=geojson``),
so any view can be bookmarked or shared. No callbacks: the layout reads the URL.
"""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboards import formats, warehouse
from dashboards.hub.labels import facet_label
from dashboards.i18n import fmt_number, localized_href, resolve_lang, translator
from dashboards.queries import catalog

dash.register_page(__name__, path="/data", title="Open data · PON Metro Milano",
                   name="Open data")

FACET_TITLES = {"theme": "Theme", "axis": "Programme axis", "format": "Format",
                "frequency": "Update frequency"}
MAX_Q = 200


def _split(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [v for v in value.split(",") if v][:20]


def _href(lang: str, q: str, selected: dict[str, list[str]]) -> str:
    params = {"q": q} | {f: ",".join(v) for f, v in selected.items() if v}
    return localized_href("/data", lang, **params)


def _facet_block(facet: str, counts, selected: dict[str, list[str]], q: str, lang: str):
    _ = translator(lang)
    items = []
    order = sorted(counts) if facet != "format" else \
        [f.key for f in formats.listed() if f.key in counts]
    for value in order:
        chosen = value in selected.get(facet, [])
        new = dict(selected)
        new[facet] = [v for v in selected.get(facet, []) if v != value] if chosen else \
            [*selected.get(facet, []), value]
        label = f"{facet_label(facet, value, lang)} ({counts[value]})"
        items.append(html.Li(html.A(
            [html.Span("✓ " if chosen else "", **{"aria-hidden": "true"}), label],
            href=_href(lang, q, new), className="pm-facet" + (" is-selected" if chosen else ""),
            **{"aria-current": "true" if chosen else None,
               "data-facet": facet, "data-value": value})))
    return html.Nav([html.H3(_(FACET_TITLES[facet]), className="h6"),
                     html.Ul(items, className="list-unstyled")],
                    **{"aria-label": _(FACET_TITLES[facet])}, className="pm-facets mb-3")


def _result(ds: catalog.Dataset, lang: str):
    _ = translator(lang)
    return html.Li(html.Article([
        html.H3(html.A(ds.title(lang), href=localized_href(f"/data/{ds.id}", lang)),
                className="h5"),
        html.P(ds.description(lang)),
        html.P([
            html.Span(facet_label("theme", ds.theme, lang), className="badge bg-primary me-2"),
            html.Span(facet_label("frequency", ds.frequency, lang),
                      className="badge bg-secondary me-2"),
            html.Span(f"{fmt_number(ds.rows, lang)} {_('rows')}", className="me-2"),
            html.Span(" · ".join(f.key.upper() for f in ds.formats), className="text-muted"),
        ], className="small mb-0"),
    ], className="pm-card", **{"data-dataset": ds.id}))


def layout(lang=None, q=None, theme=None, axis=None, format=None, frequency=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    q = q[:MAX_Q] if isinstance(q, str) else ""
    selected = {"theme": _split(theme), "axis": _split(axis), "format": _split(format),
                "frequency": _split(frequency)}
    try:
        results, counts = catalog.search(q, selected)
    except warehouse.WarehouseUnavailable as exc:
        return html.Div([html.H1(_("Open data")), html.P(f"{_('Data unavailable')}: {exc}",
                                                          role="alert")])
    form = html.Form([
        html.Label(_("Search datasets"), htmlFor="data-q", className="form-label"),
        html.Div([
            dcc.Input(id="data-q", name="q", type="search", value=q, className="form-control",
                      debounce=True, maxLength=MAX_Q),
            html.Button(_("Search"), type="submit", className="btn btn-primary",
                        id="data-q-submit"),
        ], className="input-group"),
        *[dcc.Input(type="hidden", name=f, value=",".join(v), id=f"data-hidden-{f}")
          for f, v in selected.items() if v],
        *([dcc.Input(type="hidden", name="lang", value=lang, id="data-hidden-lang")]
          if lang != "it" else []),
    ], action="/data", method="get", role="search", className="mb-4")
    summary = _("{n} datasets").format(n=len(results)) if len(results) != 1 else \
        _("1 dataset")
    clear = html.A(_("Clear filters"), href=localized_href("/data", lang),
                     className="ms-3") if q or any(selected.values()) else None
    return html.Div([
        html.H1(_("Open data")),
        html.P(_("Every dataset of the PON Metro 2014-2020 programme in Milan, free to reuse "
                 "under the CC BY 4.0 licence. Data are also available through a "
                 "CKAN-compatible API and a DCAT-AP_IT catalogue.")),
        html.P([html.A(_("Download everything (zip)"), href="/download/catalog.zip",
                       className="me-3"),
                html.A("DCAT-AP_IT (Turtle)", href="/catalog.ttl", className="me-3"),
                html.A("JSON-LD", href="/catalog.jsonld", className="me-3"),
                html.A("CKAN API", href="/api/3/action/package_list")]),
        form,
        html.Div([
            html.Aside([html.H2(_("Refine"), className="h5")]
                       + [_facet_block(f, counts[f], selected, q, lang) for f in catalog.FACETS],
                       className="col-md-3"),
            html.Section([
                html.H2([summary, clear], className="h5", id="data-count",
                        **{"aria-live": "polite"}),
                html.Ul([_result(ds, lang) for ds in results], className="list-unstyled",
                        id="data-results"),
            ], className="col-md-9", **{"aria-labelledby": "data-count"}),
        ], className="row"),
    ])
