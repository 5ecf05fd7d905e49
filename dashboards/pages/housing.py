"""``/housing``: ERP units by status per NIL (choropleth), vacancy trend, renovation pipeline."""

from __future__ import annotations

from dash import Input, Output, State, callback, dcc, html

from dashboards import shell
from dashboards.cache import memoize
from dashboards.components import charts, errors, filters, maps, specs
from dashboards.components.labels import N_
from dashboards.i18n import resolve_lang, translator
from dashboards.queries import geo, housing
from dashboards.queries.common import MUNICIPI, as_int, as_municipio, as_year, data_years

TITLE = N_("Public housing (ERP)")
LEAD = N_("Municipal public housing units by status and neighbourhood (NIL), vacancy over "
          "time and the renovation works of the programme.")
shell.register_page(__name__, path="/housing", title=TITLE, description=LEAD, name="Housing",
               charts=True)


def nil_options(municipio_id: int | None, lang: str) -> list[tuple[str, str]]:
    _ = translator(lang)
    if municipio_id is None:
        return [(filters.ALL, _("All (choose a municipio to pick a NIL)"))]
    return [(filters.ALL, _("All"))] + [(str(r["nil_id"]), r["name"]) for r in
                                         geo.nil_names(municipio_id).iter_rows(named=True)]


def as_nil(value: object, municipio_id: int | None) -> int | None:
    if municipio_id is None:
        return None
    return as_int(value, tuple(geo.nil_names(municipio_id)["nil_id"]))


@memoize  # a rendered fragment, keyed like the queries (dashboards.cache)
def choropleth_map(status: str, municipio_id: int | None, lang: str):
    _ = translator(lang)
    frame = housing.units_by_nil(status, municipio_id)
    values = {r["nil_id"]: r["units"] for r in frame.iter_rows(named=True)}
    return maps.city_map("housing-map", lang, bounds=geo.city_bounds(),
                         polygons=maps.choropleth(geo.nil_features(municipio_id), values),
                         label=_("Map: ERP units in the selected status per NIL"))


@errors.guarded
def layout(lang=None, municipio=None, nil=None, status=None, year=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    municipio_id = as_municipio(municipio)
    nil_id = as_nil(nil, municipio_id)
    status_value = housing.as_status(status)
    year_value = as_year(year)
    base = {"municipio": municipio_id, "year": year_value}
    mun_opts = [(filters.ALL, _("All"))] + [(str(m), str(m)) for m in MUNICIPI]
    year_opts = [(filters.ALL, _("All years"))] + [(str(y), str(y))
                                                   for y in data_years()]
    return html.Div([
        filters.location("housing-url"),
        dcc.Store(id="housing-lang", data=lang),
        html.H1(_(TITLE)),
        html.P(_(LEAD)),
        filters.filter_bar([
            filters.radio("housing-municipio", _("Municipio"), mun_opts,
                          str(municipio_id or filters.ALL)),
            filters.radio("housing-nil", _("NIL"), nil_options(municipio_id, lang),
                          str(nil_id or filters.ALL)),
            filters.radio("housing-status", _("Status on the map"),
                          [(s, _(s)) for s in housing.STATUSES], status_value),
            filters.radio("housing-year", _("Period"), year_opts, str(year_value or filters.ALL)),
        ], _("Filter the housing data")),
        charts.chart_block("housing-by-nil", specs.HOUSING_BY_NIL,
                           {"status": status_value, "municipio": municipio_id}, lang,
                           visual=html.Div(choropleth_map(status_value, municipio_id, lang),
                                           id="housing-map-wrap")),
        charts.chart_block("housing-status", specs.HOUSING_STATUS,
                           {"municipio": municipio_id, "nil": nil_id}, lang),
        charts.chart_block("housing-vacancy", specs.HOUSING_VACANCY, base, lang),
        charts.chart_block("housing-pipeline", specs.HOUSING_PIPELINE,
                           {"municipio": municipio_id}, lang),
    ])


def consistent(values: dict) -> dict:
    """A NIL only within the chosen municipio (else "all")."""
    nil_id = as_nil(values.get("nil"), as_municipio(values.get("municipio")))
    return {**values, "nil": str(nil_id) if nil_id else filters.ALL}


filters.register_sync("housing-url", {"municipio": "housing-municipio", "nil": "housing-nil",
                                      "status": "housing-status", "year": "housing-year"},
                      {"status": "vacant"}, normalise=consistent)


@callback(Output("housing-nil", "options"), Input("housing-municipio", "value"),
          State("housing-lang", "data"), prevent_initial_call=True)
def update_nil_options(municipio: str, lang: str):
    options = nil_options(as_municipio(municipio), resolve_lang(lang))
    return [{"label": label, "value": v} for v, label in options]


@callback(Output("housing-map-wrap", "children"), *charts.outputs("housing-by-nil", graph=False),
          *charts.outputs("housing-status"), *charts.outputs("housing-vacancy"),
          *charts.outputs("housing-pipeline"),
          Input("housing-municipio", "value"), Input("housing-nil", "value"),
          Input("housing-status", "value"), Input("housing-year", "value"),
          State("housing-lang", "data"), prevent_initial_call=True)
def update_charts(municipio: str, nil: str, status: str, year: str, lang: str):
    lang = resolve_lang(lang)
    municipio_id = as_municipio(municipio)
    nil_id = as_nil(nil, municipio_id)
    status_value = housing.as_status(status)
    by_nil = charts.render(specs.HOUSING_BY_NIL, {"status": status_value,
                                                  "municipio": municipio_id}, lang)
    return (choropleth_map(status_value, municipio_id, lang), *by_nil[1:],
            *charts.render(specs.HOUSING_STATUS, {"municipio": municipio_id, "nil": nil_id}, lang),
            *charts.render(specs.HOUSING_VACANCY, {"municipio": municipio_id,
                                                   "year": as_year(year)}, lang),
            *charts.render(specs.HOUSING_PIPELINE, {"municipio": municipio_id}, lang))
