"""``/social``: service sites, monthly users by service (suppressed), bed occupancy."""

from __future__ import annotations

from dash import Input, Output, State, callback, dcc, html

from dashboards import shell
from dashboards.cache import memoize
from dashboards.components import charts, errors, filters, maps, specs
from dashboards.components.labels import N_
from dashboards.i18n import localized_href, resolve_lang, translator
from dashboards.queries import geo, social
from dashboards.queries.common import MUNICIPI, as_municipio, as_year, data_years

TITLE = N_("Social-inclusion services")
shell.register_page(__name__, path="/social", title=TITLE, description=N_(
    "People using the social-inclusion services of the programme in Milan, service sites and "
    "bed occupancy, by municipio and year; small counts are suppressed."),
    name="Social services", charts=True)

SITE_COLORS = ("#0066cc", "#d1344c", "#008055", "#a66300", "#5c2d91", "#00738c", "#4d5c6b")

SITE_COLUMNS = {"name": "Site", "site_type": "Type", "capacity": "Capacity",
                "capacity_unit": "Unit", "address": "Address", "nil_name": "NIL",
                "municipio_id": "Municipio", "project_code": "Project"}


@memoize  # a rendered fragment, keyed like the queries (dashboards.cache)
def sites_block(municipio_id: int | None, lang: str) -> list:
    _ = translator(lang)
    frame = social.sites(municipio_id, None)
    types = sorted(set(frame["site_type"]))
    colors = {t: SITE_COLORS[i % len(SITE_COLORS)] for i, t in enumerate(types)}
    columns = (frame[c].to_list() for c in ("lat", "lon", "name", "site_type"))
    points = [maps.point(lat, lon, f"{name} ({_(kind)})", colors[kind])
              for lat, lon, name, kind in zip(*columns, strict=True) if lat is not None]
    legend = maps.legend([(colors[t], _(t)) for t in types])
    return [maps.city_map("social-map", lang, bounds=geo.city_bounds(),
                          polygons=maps.choropleth(geo.nil_features(municipio_id), {}),
                          points=points, label=_("Map of the social-service sites")),
            legend,
            html.Details([html.Summary(_("List of sites (text alternative)")),
                          charts.data_table(frame, SITE_COLUMNS, lang,
                                            caption=_("Social-service sites"), whole=(
                                                localized_href("/data/social-sites", lang),
                                                _("All sites in the open-data catalogue")))])]


@errors.guarded
def layout(lang=None, municipio=None, year=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    municipio_id = as_municipio(municipio)
    year_value = as_year(year)
    params = {"municipio": municipio_id, "year": year_value}
    mun_opts = [(filters.ALL, _("All"))] + [(str(m), str(m)) for m in MUNICIPI]
    year_opts = [(filters.ALL, _("All years"))] + [(str(y), str(y))
                                                   for y in data_years()]
    return html.Div([
        filters.location("social-url"),
        dcc.Store(id="social-lang", data=lang),
        html.H1(_(TITLE)),
        html.P(_("Counts of people are published only as aggregates: a cell of 1 to 4 people is "
                 "suppressed and shown as such, and so is any total that would reveal it.")),
        filters.filter_bar([
            filters.radio("social-municipio", _("Municipio"), mun_opts,
                          str(municipio_id or filters.ALL)),
            filters.radio("social-year", _("Period"), year_opts, str(year_value or filters.ALL)),
        ], _("Filter the social-services data")),
        html.Section(className="pm-card", **{"aria-labelledby": "social-sites-title"}, children=[
            html.H2(_("Service sites"), id="social-sites-title"),
            html.Div(sites_block(municipio_id, lang), id="social-sites")]),
        charts.chart_block("social-usage", specs.SOCIAL_USAGE, params, lang),
        charts.chart_block("social-beds", specs.SOCIAL_BEDS, params, lang),
    ])


filters.register_sync("social-url", {"municipio": "social-municipio", "year": "social-year"},
                      {})


@callback(Output("social-sites", "children"), *charts.outputs("social-usage"),
          *charts.outputs("social-beds"),
          Input("social-municipio", "value"), Input("social-year", "value"),
          State("social-lang", "data"), prevent_initial_call=True)
def update_charts(municipio: str, year: str, lang: str):
    lang = resolve_lang(lang)
    params = {"municipio": as_municipio(municipio), "year": as_year(year)}
    return (sites_block(params["municipio"], lang),
            *charts.render(specs.SOCIAL_USAGE, params, lang),
            *charts.render(specs.SOCIAL_BEDS, params, lang))
