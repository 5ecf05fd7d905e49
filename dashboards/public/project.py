"""``/projects/<code>``: one programme project, its money, indicators, place and effect.

Each chart of the project is shown as its data table first (the same
``ChartSpec`` data and table the dashboards use, written as HTML by ``markup``),
with its summary sentence and CSV/XLSX links of exactly that data. The domain
tables are chosen by data: a project shows the housing units, social sites, bike
stations, mobility areas or cycle routes that carry its code in the marts.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from dashboards.components import charts, monitoring, specs
from dashboards.i18n import fmt_date, fmt_eur, fmt_percent, localized_href, translator
from dashboards.public.markup import to_html
from dashboards.queries import housing, mobility, programme, social
from dashboards.queries.common import as_year, data_years, has_table

SITE_COLUMNS = {"name": "Site", "site_type": "Type", "capacity": "Capacity",
                "capacity_unit": "Unit", "address": "Address", "nil_name": "NIL"}


def _has(schema_table: str) -> bool:
    schema, table = schema_table.split(".")
    return has_table(schema, table)


def chart(key: str, spec: charts.ChartSpec, params: dict, lang: str) -> dict:
    """A chart as text: title, summary, its data table, and downloads of that data."""
    _ = translator(lang)
    frame = spec.data(params)
    summary = spec.summary(frame, lang) if frame.height else _("No data for this selection.")
    whole = (charts.download_href(spec, params), _("All rows (CSV)"))
    return {"key": key, "title": _(spec.title), "summary": summary,
            "table": to_html(charts.data_table(frame, spec.columns, lang, caption=_(spec.title),
                                               whole=whole)),
            "downloads": [(fmt.upper(), charts.download_href(spec, params, fmt))
                          for fmt in charts.CHART_WRITERS]}


def domain_charts(code: str, lang: str) -> list[dict]:
    """The domain data that shows the project's effect, where the marts hold any."""
    params = {"code": code}
    candidates = (
        ("project-units", specs.PROJECT_UNITS, "mart.housing_units",
         lambda: housing.project_units(code).height),
        ("project-pipeline", specs.HOUSING_PIPELINE, "mart.housing_renovations",
         lambda: housing.renovation_pipeline(None, code).height),
        ("project-beds", specs.SOCIAL_BEDS, "mart.social_bed_occupancy_daily",
         lambda: social.bed_occupancy_monthly(None, None, code).height),
        ("project-stations", specs.STATIONS, "mart.mobility_bike_stations",
         lambda: mobility.stations(None, code).height),
        ("project-bays", specs.MOBILITY_HEATMAP, "mart.mobility_bay_occupancy_heatmap",
         lambda: mobility.bay_heatmap(None, None, code).height),
        ("project-routes", specs.ROUTES, "mart.mobility_cycle_routes",
         lambda: mobility.cycle_routes(code).height),
        ("project-grants", specs.GRANTS, "mart.programme_grants",
         lambda: social.grants_by_neighbourhood(code).height),
    )
    return [chart(key, spec, params, lang) for key, spec, table, rows in candidates
            if _has(table) and rows()]


def _sites(code: str, lang: str) -> Markup | None:
    _ = translator(lang)
    if not _has("mart.social_sites"):
        return None
    sites = social.sites(None, code)
    if not sites.height:
        return None
    whole = (localized_href("/data/social-sites", lang), _("All sites in the open-data catalogue"))
    return to_html(charts.data_table(sites, SITE_COLUMNS, lang, caption=_("Service sites"),
                                     whole=whole))


def context(code: str, lang: str, query: Mapping[str, str]) -> dict | None:
    """What the project template shows; None for a code that is not a programme project."""
    _ = translator(lang)
    clean = programme.clean_code(code)
    project = programme.project(clean) if clean else None
    if project is None:
        return None
    budget = project["budget_eur"] or 0
    year = as_year(query.get("year"))
    end = project.get("end_date_actual") or project.get("end_date_planned")
    place = ", ".join(str(p) for p in (project.get("address"), project.get("nil_name")) if p)

    def share(value):
        return fmt_percent(value / budget if budget else None, lang)

    money = [
        (_("Budget"), fmt_eur(budget, lang),
         _("EU financing {eu}").format(eu=fmt_eur(project.get("eu_financing_eur"), lang))),
        (_("Committed"), fmt_eur(project["committed_eur"], lang), share(project["committed_eur"])),
        (_("Paid"), fmt_eur(project["paid_eur"], lang), share(project["paid_eur"])),
    ]
    return {
        "code": clean, "project": project,
        "heading": f"{clean} – {project['title_' + lang]}",
        "axis": (f"{_('Axis')} {project['axis_id']} – {project['axis_name_' + lang]}",
                 localized_href(f"/axis/{project['axis_id']}", lang)),
        "project_status": _(project["status"]),
        "action": _("Action {action}").format(action=project["action_code"]),
        "beneficiary": _("Beneficiary: {b}").format(b=project["beneficiary"])
        if project.get("beneficiary") else None,
        "description": project.get("description_" + lang) or "",
        "period": _("From {start} to {end}").format(
            start=fmt_date(project.get("start_date"), lang), end=fmt_date(end, lang)),
        "risk": to_html(monitoring.project_risk(clean, lang)),
        "money": money, "source": _("programme monitoring (mart.programme_projects)"),
        "years": [str(y) for y in data_years()], "year": str(year) if year else "",
        "finance": chart("project-finance", specs.PROJECT_FINANCE,
                         {"code": clean, "year": year}, lang),
        "indicators": chart("project-indicators", specs.PROJECT_INDICATORS, {"code": clean}, lang),
        "place": place or _("City-wide project (no single location)."),
        "coordinates": (project["lat"], project["lon"]) if project.get("lat") is not None
        else None,
        "domain": domain_charts(clean, lang), "sites": _sites(clean, lang),
    }
