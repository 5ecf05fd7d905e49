"""``/mobility``: stations (now and typical), bay occupancy heat map, trips, cycle routes."""

from __future__ import annotations

from dash import Input, Output, State, callback, dcc, html

from dashboards import shell
from dashboards.cache import memoize
from dashboards.components import charts, errors, filters, freshness, maps, specs
from dashboards.components.labels import N_
from dashboards.i18n import fmt_number, resolve_lang, translator
from dashboards.queries import geo, mobility
from dashboards.queries.common import MUNICIPI, as_int, as_municipio

TITLE = N_("Sustainable mobility")
LEAD = N_("Bike-sharing stations built or expanded by the programme, the 33 shared-mobility "
          "areas, shared trips and the four cycle routes.")
shell.register_page(__name__, path="/mobility", title=TITLE, description=LEAD, name="Mobility",
               charts=True)

HOURS = (7, 8, 12, 15, 18, 21)
DEFAULTS = {"weekday": "1", "hour": "8"}


def station_color(now: int | None, capacity: int | None) -> str:
    if now is None or not capacity:
        return "#4d5c6b"
    share = now / capacity
    return "#d1344c" if share < 0.1 else ("#a66300" if share < 0.3 else "#008055")


@memoize  # a rendered fragment, keyed like the queries (dashboards.cache)
def stations_map(municipio_id: int | None, weekday: int, hour: int, lang: str):
    _ = translator(lang)
    frame = mobility.stations(municipio_id, None, weekday, hour)
    text = _("{name}: {now} bikes now, typically {typ}")
    # column by column (hundreds of stations: a dict per row cost more than the points)
    columns = (frame[c].to_list() for c in ("lat", "lon", "name", "vehicles_now",
                                            "vehicles_typical", "capacity"))
    points = [maps.point(lat, lon, text.format(name=name, now=fmt_number(now, lang),
                                               typ=fmt_number(typical, lang, 1)),
                         station_color(now, capacity), 6)
              for lat, lon, name, now, typical, capacity in zip(*columns, strict=True)
              if lat is not None]
    routes = mobility.cycle_routes(None)
    return maps.city_map("mobility-map", lang, bounds=geo.city_bounds(),
                         polygons=maps.choropleth(geo.nil_features(municipio_id), {}),
                         points=points, lines=mobility.route_features(routes),
                         label=_("Map of bike-sharing stations and the cycle routes"))


def params_of(municipio, weekday, hour) -> dict:
    return {"municipio": as_municipio(municipio),
            "weekday": as_int(weekday, mobility.WEEKDAYS) or 1,
            "hour": as_int(hour, HOURS) or 8}


@errors.guarded
def layout(lang=None, municipio=None, weekday=None, hour=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    p = params_of(municipio, weekday, hour)
    mun_opts = [(filters.ALL, _("All"))] + [(str(m), str(m)) for m in MUNICIPI]
    day_opts = [(str(i + 1), _(d)) for i, d in enumerate(specs.WEEKDAY_MSGIDS)]
    hour_opts = [(str(h), f"{h}:00") for h in HOURS]
    legend = maps.legend([("#008055", _("30% or more of docks with a bike")),
                          ("#a66300", _("10-30% of docks with a bike")),
                          ("#d1344c", _("under 10% of docks with a bike"))])
    return html.Div([
        filters.location("mobility-url"),
        dcc.Store(id="mobility-lang", data=lang),
        html.H1(_(TITLE)),
        freshness.block(lang),
        html.P(_(LEAD)),
        filters.filter_bar([
            filters.radio("mobility-municipio", _("Municipio"), mun_opts,
                          str(p["municipio"] or filters.ALL)),
            filters.radio("mobility-weekday", _("Typical day"), day_opts, str(p["weekday"])),
            filters.radio("mobility-hour", _("Typical hour"), hour_opts, str(p["hour"])),
        ], _("Filter the mobility data")),
        html.Section(className="pm-card", **{"aria-labelledby": "mobility-map-title"}, children=[
            html.H2(_("Stations and cycle routes"), id="mobility-map-title"),
            html.Div(stations_map(p["municipio"], p["weekday"], p["hour"], lang),
                     id="mobility-map-wrap"), legend]),
        charts.chart_block("mobility-stations", specs.STATIONS, p, lang),
        charts.chart_block("mobility-heatmap", specs.MOBILITY_HEATMAP,
                           {"municipio": p["municipio"]}, lang),
        charts.chart_block("mobility-trips", specs.MOBILITY_TRIPS, {}, lang),
        charts.chart_block("mobility-routes", specs.ROUTES, {}, lang),
    ])


filters.register_sync("mobility-url", {"municipio": "mobility-municipio",
                                       "weekday": "mobility-weekday", "hour": "mobility-hour"},
                      DEFAULTS)


@callback(Output("mobility-map-wrap", "children"), *charts.outputs("mobility-stations"),
          *charts.outputs("mobility-heatmap"),
          Input("mobility-municipio", "value"), Input("mobility-weekday", "value"),
          Input("mobility-hour", "value"), State("mobility-lang", "data"),
          prevent_initial_call=True)
def update_charts(municipio: str, weekday: str, hour: str, lang: str):
    lang = resolve_lang(lang)
    p = params_of(municipio, weekday, hour)
    return (stations_map(p["municipio"], p["weekday"], p["hour"], lang),
            *charts.render(specs.STATIONS, p, lang),
            *charts.render(specs.MOBILITY_HEATMAP, {"municipio": p["municipio"]}, lang))
