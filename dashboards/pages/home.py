"""``/`` Overview: programme-wide KPIs, money by axis, the map of all projects, every project."""

from __future__ import annotations

from dash import Input, Output, State, callback, dcc, html

from dashboards import shell
from dashboards.cache import memoize
from dashboards.components import (
    charts,
    errors,
    filters,
    frame,
    kpi,
    maps,
    monitoring,
    plain,
    specs,
)
from dashboards.components.labels import N_
from dashboards.components.timeline import TIMELINE
from dashboards.i18n import fmt_eur, fmt_percent, localized_href, resolve_lang, translator
from dashboards.queries import geo, programme
from dashboards.queries.common import AXES, MUNICIPI, as_int, as_municipio

LEAD = N_("How every project of the National Operational Programme for Metropolitan "
           "Cities is doing against its targets and budget.")
shell.register_page(__name__, path="/", title=N_("Programme overview"), description=LEAD,
               name="Overview", charts=True)

AXIS_COLORS = {1: "#5c2d91", 2: "#008055", 3: "#d1344c", 4: "#0066cc"}


def project_points(frame, lang: str) -> list:
    _ = translator(lang)
    return [maps.point(r["lat"], r["lon"], f"{r['project_code']} – {r['title_' + lang]}",
                       AXIS_COLORS.get(r["axis_id"], "#0066cc"))
            for r in frame.iter_rows(named=True) if r["lat"] is not None]


def project_list(frame, lang: str) -> dict:
    """Every project by axis, as plain elements (three per project: :mod:`plain`)."""
    _ = translator(lang)
    if frame.height == 0:
        return plain.html.P(_("No projects match these filters."))
    groups = []
    for axis_id in sorted(set(frame["axis_id"])):
        rows = frame.filter(frame["axis_id"] == axis_id)
        groups.append(plain.html.Div([
            plain.html.H3(plain.link(f"{_('Axis')} {axis_id}",
                                     localized_href(f"/axis/{axis_id}", lang))),
            plain.html.Ul(className="pm-project-list", children=[
                plain.html.Li([plain.link(f"{r['project_code']} – {r['title_' + lang]}",
                                          localized_href(f"/projects/{r['project_code']}", lang),
                                          refresh=True),
                               " ", plain.html.Span(_(r["status"]), className="pm-status")])
                for r in rows.iter_rows(named=True)])]))
    return plain.html.Div(groups)


@memoize  # a rendered fragment, keyed like the queries (dashboards.cache)
def map_and_list(axis_id: int | None, municipio_id: int | None, lang: str):
    _ = translator(lang)
    frame = programme.projects(axis_id, municipio_id)
    the_map = maps.city_map("home-map", lang, bounds=geo.city_bounds(),
                            polygons=maps.choropleth(geo.nil_features(), {}),
                            points=project_points(frame, lang),
                            label=_("Map of the programme's projects"))
    legend = maps.legend([(AXIS_COLORS[a], f"{_('Axis')} {a}") for a in AXES])
    return [the_map, legend], project_list(frame, lang)


@errors.guarded
def layout(lang=None, axis=None, municipio=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    info = frame.safe_build_info()
    totals = programme.programme_totals()
    axis_id, municipio_id = as_int(axis, AXES), as_municipio(municipio)
    alloc = totals["allocation_eur"] or 0
    source = _("programme monitoring (mart.programme_axes, mart.programme_projects, mart.programme_indicator_progress)")
    cards = [
        kpi.kpi_card(_("Allocation"), fmt_eur(alloc, lang), lang, source=source, info=info,
                     detail=_("{n} projects").format(n=totals["projects"])),
        kpi.kpi_card(_("Committed"), fmt_eur(totals["committed_eur"], lang), lang, source=source,
                     info=info, progress=totals["committed_eur"] / alloc if alloc else None,
                     detail=_("{share} of the allocation").format(
                         share=fmt_percent(totals["committed_eur"] / alloc if alloc else None,
                                           lang))),
        kpi.kpi_card(_("Paid"), fmt_eur(totals["paid_eur"], lang), lang, source=source, info=info,
                     progress=totals["paid_eur"] / alloc if alloc else None,
                     detail=_("{share} of the allocation").format(
                         share=fmt_percent(totals["paid_eur"] / alloc if alloc else None, lang))),
        kpi.kpi_card(_("2023 targets reached"), fmt_percent(totals["share_reached"], lang), lang,
                     source=source, info=info, progress=totals["share_reached"],
                     detail=_("{reached} of {n} indicators").format(
                         reached=totals["targets_reached"], n=totals["indicators"])),
    ]
    axis_cards = []
    for row in programme.axis_summary().iter_rows(named=True):
        a_alloc = row["allocation_eur"] or 0
        axis_cards.append(kpi.kpi_card(
            f"{_('Axis')} {row['axis_id']} – {row['name_' + lang]}",
            fmt_percent(row["paid_eur"] / a_alloc if a_alloc else None, lang) + " " + _("paid"),
            lang, source=source, info=info,
            progress=row["paid_eur"] / a_alloc if a_alloc else None,
            detail=_("{alloc} allocated, {committed} committed; {reached} of {n} targets "
                     "reached").format(alloc=fmt_eur(a_alloc, lang),
                                       committed=fmt_eur(row["committed_eur"], lang),
                                       reached=row["targets_reached"], n=row["indicators"]),
            trend=None, link=plain.link(
                _("Open the axis page"), localized_href(f"/axis/{row['axis_id']}", lang),
                className="d-block mb-1") if row["axis_id"] in AXES else None))
    the_map, the_list = map_and_list(axis_id, municipio_id, lang)
    axis_opts = [(filters.ALL, _("All"))] + [(str(a), f"{_('Axis')} {a}") for a in AXES]
    mun_opts = [(filters.ALL, _("All"))] + [(str(m), str(m)) for m in MUNICIPI]
    return html.Div([
        filters.location("home-url"),
        dcc.Store(id="home-lang", data=lang),
        html.H1(_("PON Metro 2014-2020 in Milan: programme overview")),
        html.P(_(LEAD), className="lead"),
        monitoring.flagged_section("home-flags", None, lang),
        kpi.kpi_row(cards, _("Programme indicators")),
        html.H2(_("Axes")),
        kpi.kpi_row(axis_cards, _("Axes")),
        charts.chart_block("home-by-axis", specs.PROGRAMME_BY_AXIS, {}, lang),
        monitoring.performance_section("home-pf", None, lang),
        html.Section(className="pm-card", **{"aria-labelledby": "home-projects-title"}, children=[
            html.H2(_("Projects on the map"), id="home-projects-title"),
            filters.filter_bar([
                filters.radio("home-axis", _("Axis"), axis_opts, str(axis_id or filters.ALL)),
                filters.radio("home-municipio", _("Municipio"), mun_opts,
                              str(municipio_id or filters.ALL)),
            ], _("Filter the projects")),
            html.Div(the_map, id="home-map-wrap"),
            html.H2(_("All projects"), className="h3 mt-3"),
            html.Div(the_list, id="home-project-list"),
        ]),
        charts.chart_block("home-timeline", TIMELINE, timeline_params(axis_id, municipio_id,
                                                                      lang), lang),
    ])


def timeline_params(axis_id: int | None, municipio_id: int | None, lang: str) -> dict:
    return {"axis_id": axis_id, "municipio_id": municipio_id, "lang": lang}


filters.register_sync("home-url", {"axis": "home-axis", "municipio": "home-municipio"}, {})


@callback(Output("home-map-wrap", "children"), Output("home-project-list", "children"),
          *charts.outputs("home-timeline"),
          Input("home-axis", "value"), Input("home-municipio", "value"),
          State("home-lang", "data"), prevent_initial_call=True)
def update_projects(axis: str, municipio: str, lang: str):
    axis_id, municipio_id, lang = as_int(axis, AXES), as_municipio(municipio), resolve_lang(lang)
    return (*map_and_list(axis_id, municipio_id, lang),
            *charts.render(TIMELINE, timeline_params(axis_id, municipio_id, lang), lang))
