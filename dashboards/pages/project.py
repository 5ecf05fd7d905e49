"""``/projects/<code>``: one programme project, its money, indicators, place and effect.

The domain panels are chosen by data, not by hand: a project shows the housing
units, social sites, bike stations, mobility areas or cycle routes that carry its
code in the marts (e.g. the 80 recovered units of MI4.1.1.c, the HUB beds, the
new bike stations, the 33 mobility areas).
"""

from __future__ import annotations

import dash
from dash import Input, State, callback, dcc, html

from dashboards.components import charts, errors, filters, frame, kpi, maps, monitoring, specs
from dashboards.i18n import fmt_date, fmt_eur, fmt_percent, localized_href, resolve_lang, translator
from dashboards.queries import geo, housing, mobility, programme, social
from dashboards.queries.common import as_year, data_years, has_table


def title(code=None, **_):
    clean = programme.clean_code(code)
    return f"{clean} – PON Metro Milano" if clean else "PON Metro Milano"


dash.register_page(__name__, path_template="/projects/<code>", title=title, name="Project")


def _table_or_none(schema_table: str) -> bool:
    schema, table = schema_table.split(".")
    return has_table(schema, table)


def domain_panels(code: str, lang: str) -> list:
    """The domain data that shows the project's effect, where the marts hold any."""
    _ = translator(lang)
    panels: list = []
    params = {"code": code}
    if _table_or_none("mart.housing_units") and housing.project_units(code).height:
        panels.append(charts.chart_block("project-units", specs.PROJECT_UNITS, params, lang))
    if _table_or_none("mart.housing_renovations") and \
            housing.renovation_pipeline(None, code).height:
        panels.append(charts.chart_block("project-pipeline", specs.HOUSING_PIPELINE,
                                         {"code": code}, lang))
    if _table_or_none("mart.social_bed_occupancy_daily") and \
            social.bed_occupancy_monthly(None, None, code).height:
        panels.append(charts.chart_block("project-beds", specs.SOCIAL_BEDS, {"code": code},
                                         lang))
    if _table_or_none("mart.mobility_bike_stations") and mobility.stations(None, code).height:
        panels.append(charts.chart_block("project-stations", specs.STATIONS, {"code": code},
                                         lang))
    if _table_or_none("mart.mobility_bay_occupancy_heatmap") and \
            mobility.bay_heatmap(None, None, code).height:
        panels.append(charts.chart_block("project-bays", specs.MOBILITY_HEATMAP, {"code": code},
                                         lang))
    if _table_or_none("mart.mobility_cycle_routes") and mobility.cycle_routes(code).height:
        panels.append(charts.chart_block("project-routes", specs.ROUTES, {"code": code}, lang))
    if _table_or_none("mart.programme_grants") and social.grants_by_neighbourhood(code).height:
        panels.append(charts.chart_block("project-grants", specs.GRANTS, params, lang))
    if _table_or_none("mart.social_sites"):
        sites = social.sites(None, code)
        if sites.height:
            panels.append(html.Section(className="pm-card", children=[
                html.H2(_("Service sites")),
                charts.data_table(sites, {"name": "Site", "site_type": "Type",
                                          "capacity": "Capacity", "capacity_unit": "Unit",
                                          "address": "Address", "nil_name": "NIL"}, lang,
                                  caption=_("Service sites"))]))
    return panels


def location_points(code: str, project: dict, lang: str) -> tuple[list, object | None]:
    """Markers for the project (and its sites, stations, complexes), and route lines."""
    points = []
    if project.get("lat") is not None:
        points.append(maps.point(project["lat"], project["lon"], project["project_code"],
                                 "#d1344c", 9))
    if _table_or_none("mart.housing_complexes"):
        points += [maps.point(r["lat"], r["lon"], r["name"], "#0066cc")
                   for r in housing.project_complexes(code).iter_rows(named=True)
                   if r["lat"] is not None]
    if _table_or_none("mart.social_sites"):
        points += [maps.point(r["lat"], r["lon"], r["name"], "#008055")
                   for r in social.sites(None, code).iter_rows(named=True) if r["lat"] is not None]
    if _table_or_none("mart.mobility_bike_stations"):
        points += [maps.point(r["lat"], r["lon"], r["name"], "#a66300", 5)
                   for r in mobility.stations(None, code).iter_rows(named=True)]
    lines = None
    if _table_or_none("mart.mobility_cycle_routes"):
        routes = mobility.cycle_routes(code)
        if routes.height:
            lines = mobility.route_features(routes)
    return points, lines


@errors.guarded
def layout(code=None, lang=None, year=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    clean = programme.clean_code(code)
    project = programme.project(clean) if clean else None
    if project is None:
        return errors.not_found(lang, _("There is no programme project with this code."))
    info = frame.safe_build_info()
    budget = project["budget_eur"] or 0
    source = _("programme monitoring (mart.programme_projects)")
    year_value = as_year(year)
    year_opts = [(filters.ALL, _("All years"))] + [(str(y), str(y))
                                                   for y in data_years()]
    points, lines = location_points(clean, project, lang)
    place = ", ".join(str(p) for p in (project.get("address"), project.get("nil_name")) if p)
    end = project.get("end_date_actual") or project.get("end_date_planned")
    return html.Div([
        filters.location("project-url"),
        dcc.Store(id="project-lang", data=lang),
        dcc.Store(id="project-code", data=clean),
        html.P(dcc.Link(f"{_('Axis')} {project['axis_id']} – {project['axis_name_' + lang]}",
                        href=localized_href(f"/axis/{project['axis_id']}", lang))),
        html.H1(f"{clean} – {project['title_' + lang]}"),
        html.P([html.Span(_(project["status"]), className="pm-status"), " ",
                _("Action {action}").format(action=project["action_code"]), " · ",
                f"CUP {project['cup']}" if project.get("cup") else "",
                " · " + _("Beneficiary: {b}").format(b=project["beneficiary"])
                if project.get("beneficiary") else ""]),
        html.P(project.get("description_" + lang) or ""),
        html.P(_("From {start} to {end}").format(start=fmt_date(project.get("start_date"), lang),
                                                  end=fmt_date(end, lang))),
        monitoring.project_risk(clean, lang),
        kpi.kpi_row([
            kpi.kpi_card(_("Budget"), fmt_eur(budget, lang), lang, source=source, info=info,
                         detail=_("EU financing {eu}").format(
                             eu=fmt_eur(project.get("eu_financing_eur"), lang))),
            kpi.kpi_card(_("Committed"), fmt_eur(project["committed_eur"], lang), lang,
                         source=source, info=info,
                         progress=project["committed_eur"] / budget if budget else None,
                         detail=fmt_percent(project["committed_eur"] / budget if budget else None,
                                            lang)),
            kpi.kpi_card(_("Paid"), fmt_eur(project["paid_eur"], lang), lang, source=source,
                         info=info, progress=project["paid_eur"] / budget if budget else None,
                         detail=fmt_percent(project["paid_eur"] / budget if budget else None,
                                            lang)),
        ], _("Project finances")),
        filters.filter_bar([filters.radio("project-year", _("Period"), year_opts,
                                          str(year_value or filters.ALL))],
                           _("Filter the financial chart")),
        charts.chart_block("project-finance", specs.PROJECT_FINANCE,
                           {"code": clean, "year": year_value}, lang),
        charts.chart_block("project-indicators", specs.PROJECT_INDICATORS, {"code": clean}, lang),
        html.Section(className="pm-card", **{"aria-labelledby": "project-map-title"}, children=[
            html.H2(_("Location"), id="project-map-title"),
            html.P(place or _("City-wide project (no single location).")),
            maps.city_map("project-map", lang, bounds=geo.city_bounds(),
                          polygons=maps.choropleth(geo.nil_features(), {}), points=points,
                          lines=lines, label=_("Map of the project's location")),
        ]),
        *domain_panels(clean, lang),
    ])


filters.register_sync("project-url", {"year": "project-year"}, {})


@callback(*charts.outputs("project-finance"), Input("project-year", "value"),
          State("project-code", "data"), State("project-lang", "data"),
          prevent_initial_call=True)
def update_finance(year: str, code: str, lang: str):
    return charts.render(specs.PROJECT_FINANCE, {"code": programme.clean_code(code) or "-",
                                                 "year": as_year(year)}, resolve_lang(lang))
