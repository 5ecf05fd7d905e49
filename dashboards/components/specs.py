"""Every chart of the dashboards: which cached query it shows and how.

Parameters arrive from URLs and stores, so each ``clean`` function checks them
against fixed ranges before they reach the query layer.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards.components.charts import ChartSpec, as_list, base_layout, label, register
from dashboards.i18n import fmt_eur, fmt_number, fmt_percent, translator
from dashboards.queries import housing, mobility, programme, social
from dashboards.queries.common import AXES, as_int, as_municipio, as_year

WEEKDAY_MSGIDS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def t(lang: str, msgid: str) -> str:
    """Translate one message (a keyword the catalogue extraction knows: ``t`` arg 2)."""
    return translator(lang)(msgid)


def _axis(params: dict[str, Any]) -> int:
    return as_int(params.get("axis_id"), AXES) or 1


def _code(params: dict[str, Any]) -> str:
    return programme.clean_code(params.get("code")) or "-"


def _lines(frame: pl.DataFrame, x: str, series: list[tuple[str, str]], lang: str,
           **layout: Any) -> dict[str, Any]:
    _ = translator(lang)
    data = [{"type": "scatter", "mode": "lines", "name": _(label), "x": as_list(frame[x]),
             "y": as_list(frame[col]), "connectgaps": False} for col, label in series]
    return {"data": data, "layout": base_layout(lang, **layout)}


def _by_group(frame: pl.DataFrame, x: str, group: str, y: str, lang: str, kind: str = "lines",
              **layout: Any) -> dict[str, Any]:
    """One trace per value of ``group`` (lines, or stacked bars), in order of appearance."""
    split: dict[Any, tuple[list[Any], list[Any]]] = {}
    # one pass in Python over three columns: polars' partition_by built a frame (and a
    # query plan) per group, ~1.5 ms for the sites of /social
    for name, xv, yv in zip(frame.get_column(group).to_list(), as_list(frame[x]),
                            as_list(frame[y]), strict=True):
        xs, ys = split.get(name) or split.setdefault(name, ([], []))
        if name is not None:  # a null group matches no row, as ``== None`` filters did
            xs.append(xv)
            ys.append(yv)
    data = []
    for name, (xs, ys) in split.items():
        trace: dict[str, Any] = {"name": label(str(name), lang), "x": xs, "y": ys}
        trace.update({"type": "scatter", "mode": "lines", "connectgaps": False}
                     if kind == "lines" else {"type": "bar"})
        data.append(trace)
    if kind == "bar":
        layout.setdefault("barmode", "stack")
    return {"data": data, "layout": base_layout(lang, **layout)}


# ----------------------------------------------------------------------- programme

def _by_axis_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    x = [f"{_('Axis')} {a}" for a in frame["axis_id"]]
    return {"data": [{"type": "bar", "name": _(label), "x": x, "y": as_list(frame[col])}
                     for col, label in (("allocation_eur", "Allocation"),
                                        ("committed_eur", "Committed"), ("paid_eur", "Paid"))],
            "layout": base_layout(lang, barmode="group", yaxis={"title": {"text": "EUR"}})}


def _by_axis_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    return _("Across {n} axes, {paid} paid of {alloc} allocated ({share}).").format(
        n=frame.height, paid=fmt_eur(frame["paid_eur"].sum(), lang),
        alloc=fmt_eur(frame["allocation_eur"].sum(), lang),
        share=fmt_percent(frame["paid_eur"].sum() / max(frame["allocation_eur"].sum(), 1), lang))


PROGRAMME_BY_AXIS = register(ChartSpec(
    name="programme_by_axis", title="Allocation, commitments and payments by axis",
    fetch=lambda: programme.axis_summary(), figure=_by_axis_figure, summary=_by_axis_summary,
    columns={"axis_id": "Axis", "name_en": "Axis name", "allocation_eur": "Allocation (EUR)",
             "committed_eur": "Committed (EUR)", "paid_eur": "Paid (EUR)",
             "indicators": "Indicators", "targets_reached": "2023 targets reached"}))


def _finance_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    last = frame.row(-1, named=True)
    return _("By {month}: {committed} committed and {paid} paid.").format(
        month=as_list(frame["month"])[-1][:7], committed=fmt_eur(last["committed_cum_eur"], lang),
        paid=fmt_eur(last["paid_cum_eur"], lang))


AXIS_FINANCE = register(ChartSpec(
    name="axis_finance", title="Spend against budget over time",
    fetch=lambda axis_id, year: programme.axis_finance(axis_id, year),
    figure=lambda f, lang: _lines(f, "month", [("allocation_eur", "Allocation"),
                                                ("committed_cum_eur", "Committed (cumulative)"),
                                                ("paid_cum_eur", "Paid (cumulative)")], lang,
                                  yaxis={"title": {"text": "EUR"}}),
    summary=_finance_summary,
    columns={"month": "Month", "allocation_eur": "Allocation (EUR)",
             "committed_cum_eur": "Committed, cumulative (EUR)",
             "paid_cum_eur": "Paid, cumulative (EUR)"},
    clean=lambda p: {"axis_id": _axis(p), "year": as_year(p.get("year"))}))


def _indicator_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    return {"data": [{"type": "bar", "orientation": "h", "x": as_list(frame["pct_of_target"]),
                      "y": as_list(frame["indicator_code"]), "name": "%"}],
            "layout": base_layout(lang, xaxis={"tickformat": ".0%", "rangemode": "tozero"},
                                  yaxis={"autorange": "reversed", "type": "category"},
                                  shapes=[{"type": "line", "x0": 1, "x1": 1, "yref": "paper",
                                           "y0": 0, "y1": 1,
                                           "line": {"color": "#d1344c", "dash": "dash"}}])}


def _indicator_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    reached = frame.filter(pl.col("pct_of_target") >= 1).height
    return _("{reached} of {n} indicators have reached their 2023 target.").format(
        reached=reached, n=frame.height)


AXIS_INDICATORS = register(ChartSpec(
    name="axis_indicators", title="Indicators: share of the 2023 target reached",
    fetch=lambda axis_id: programme.axis_indicators(axis_id), figure=_indicator_figure,
    summary=_indicator_summary,
    columns={"indicator_code": "Indicator", "name_en": "Name", "unit": "Unit",
             "target_2023": "2023 target", "year": "Year", "value": "Achieved",
             "pct_of_target": "Share of target", "change_1y": "Change on previous year"},
    clean=lambda p: {"axis_id": _axis(p)}))


def _project_finance_summary(frame: pl.DataFrame, lang: str) -> str:
    return _finance_summary(frame, lang)


PROJECT_FINANCE = register(ChartSpec(
    name="project_finance", title="Financial progress",
    fetch=lambda code, year: programme.project_finance(code, year),
    figure=lambda f, lang: _lines(f, "month", [("committed_cum_eur", "Committed (cumulative)"),
                                                ("paid_cum_eur", "Paid (cumulative)")], lang,
                                  yaxis={"title": {"text": "EUR"}}),
    summary=_project_finance_summary,
    columns={"month": "Month", "committed_eur": "Committed in month (EUR)",
             "paid_eur": "Paid in month (EUR)", "committed_cum_eur": "Committed, cumulative (EUR)",
             "paid_cum_eur": "Paid, cumulative (EUR)"},
    clean=lambda p: {"code": _code(p), "year": as_year(p.get("year"))}))


def _project_ind_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    x = as_list(frame["indicator_code"])
    return {"data": [{"type": "bar", "name": _("Selected (S)"), "x": x,
                      "y": as_list(frame["selected"])},
                     {"type": "bar", "name": _("Achieved (F)"), "x": x,
                      "y": as_list(frame["achieved"])}],
            "layout": base_layout(lang, barmode="group", xaxis={"type": "category"})}


PROJECT_INDICATORS = register(ChartSpec(
    name="project_indicators", title="Indicators against targets",
    fetch=lambda code: programme.project_indicators(code), figure=_project_ind_figure,
    summary=lambda f, lang: t(lang, "{n} indicators; achieved values are cumulative.").format(n=f.height),
    columns={"indicator_code": "Indicator", "name_en": "Name", "unit": "Unit",
             "selected": "Selected (S)", "achieved": "Achieved (F)", "year": "Year",
             "target_2023": "Programme 2023 target"},
    clean=lambda p: {"code": _code(p)}))


# ----------------------------------------------------------------------- housing

def _status_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    return {"data": [{"type": "bar", "x": [_(s) for s in frame["status"]],
                      "y": as_list(frame["units"]), "name": _("Units")}],
            "layout": base_layout(lang)}


def _status_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    parts = [f"{_(r['status'])}: {fmt_number(r['units'], lang)}" for r in frame.to_dicts()]
    return _("Units by status") + " – " + "; ".join(parts) + "."


HOUSING_STATUS = register(ChartSpec(
    name="housing_status", title="ERP units by status",
    fetch=lambda municipio_id, nil_id: housing.status_totals(municipio_id, nil_id),
    figure=_status_figure, summary=_status_summary,
    columns={"status": "Status", "units": "Units"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "nil_id": as_int(p.get("nil"), range(1, 1000))}))

HOUSING_BY_NIL = register(ChartSpec(
    name="housing_by_nil", title="Units in the selected status per NIL",
    fetch=lambda status, municipio_id: housing.units_by_nil(status, municipio_id),
    figure=lambda f, lang: {"data": [], "layout": base_layout(lang)},
    summary=lambda f, lang: t(lang, "{units} units across {nils} NIL; most in {top}.").format(
            units=fmt_number(f["units"].sum(), lang), nils=f.filter(pl.col("units") > 0).height,
            top=f.sort("units", descending=True)["nil_name"][0]),
    columns={"nil_id": "NIL", "nil_name": "NIL name", "municipio_id": "Municipio",
             "units": "Units in status", "all_units": "All units"},
    clean=lambda p: {"status": housing.as_status(p.get("status")),
                     "municipio_id": as_municipio(p.get("municipio"))}))


def _vacancy_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    return _("Vacant units went from {first} to {last}; {assigned} assignments in the period."
             ).format(first=fmt_number(frame["vacant_units"][0], lang),
                      last=fmt_number(frame["vacant_units"][-1], lang),
                      assigned=fmt_number(frame["assigned_units"].sum(), lang))


HOUSING_VACANCY = register(ChartSpec(
    name="housing_vacancy", title="Vacancy trend",
    fetch=lambda municipio_id, year: housing.vacancy_monthly(municipio_id, year),
    figure=lambda f, lang: _lines(f, "month", [("vacant_units", "Vacant units"),
                                                ("assigned_units", "Assignments in month")],
                                  lang),
    summary=_vacancy_summary,
    columns={"month": "Month", "vacant_units": "Vacant units",
             "assigned_units": "Assignments in month"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "year": as_year(p.get("year"))}))


def _pipeline_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    data = []
    for stage in housing.STAGES:
        part = frame.filter(pl.col("stage") == stage)
        data.append({"type": "bar", "name": _(stage), "x": as_list(part["project_code"]),
                     "y": as_list(part["works"])})
    return {"data": data, "layout": base_layout(lang, barmode="stack",
                                                xaxis={"type": "category"})}


HOUSING_PIPELINE = register(ChartSpec(
    name="housing_pipeline", title="Renovation pipeline",
    fetch=lambda municipio_id, project_code=None: housing.renovation_pipeline(
        municipio_id, project_code),
    figure=_pipeline_figure,
    summary=lambda f, lang: t(lang, "{works} works: {done} completed, {cost} in total.").format(
            works=fmt_number(f["works"].sum(), lang),
            done=fmt_number(f.filter(pl.col("stage") == "completed")["works"].sum(), lang),
            cost=fmt_eur(f["cost_eur"].sum(), lang)),
    columns={"project_code": "Project", "stage": "Stage", "works": "Works",
             "cost_eur": "Cost (EUR)"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "project_code": programme.clean_code(p.get("code"))}))

PROJECT_UNITS = register(ChartSpec(
    name="project_units", title="Renovation status of the project's units",
    fetch=lambda code: housing.project_units(code), figure=_status_figure,
    summary=_status_summary, columns={"status": "Status", "units": "Units"},
    clean=lambda p: {"code": _code(p)}))


# ----------------------------------------------------------------------- social

def _usage_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    return _by_group(frame, "month", "service", "users", lang)


def _usage_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    return _("{services} services over {months} months; totals add up the published cells "
             "only: {suppressed} cells of 1 to 4 people are suppressed and left out.").format(
                 services=frame["service"].n_unique(), months=frame["month"].n_unique(),
                 suppressed=fmt_number(frame["suppressed_cells"].sum(), lang))


SOCIAL_USAGE = register(ChartSpec(
    name="social_usage", title="Monthly users by service",
    fetch=lambda municipio_id, year: social.usage_monthly(municipio_id, year),
    figure=_usage_figure, summary=_usage_summary,
    columns={"month": "Month", "service": "Service", "users": "Users (published cells)",
             "suppressed_cells": "Suppressed cells (1-4 people)", "flag": "Flag"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "year": as_year(p.get("year"))}))


def _beds_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    return _("Average occupancy {rate} across {sites} sites.").format(
        rate=fmt_percent(frame["occupancy_rate"].mean(), lang), sites=frame["site"].n_unique())


SOCIAL_BEDS = register(ChartSpec(
    name="social_beds", title="Bed occupancy",
    fetch=lambda municipio_id, year, project_code=None: social.bed_occupancy_monthly(
        municipio_id, year, project_code),
    figure=lambda f, lang: _by_group(f, "month", "site", "occupancy_rate", lang,
                                     yaxis={"tickformat": ".0%"}),
    summary=_beds_summary,
    columns={"month": "Month", "site": "Site", "beds_available": "Beds available (mean)",
             "occupancy_rate": "Occupancy rate"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "year": as_year(p.get("year")),
                     "project_code": programme.clean_code(p.get("code"))}))


# ----------------------------------------------------------------------- mobility

def _heatmap_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    grid = [[None] * 24 for _day in range(7)]
    for day, hour, rate in zip(frame["weekday"].to_list(), frame["hour_of_day"].to_list(),
                               as_list(frame["occupancy_rate"]), strict=True):
        grid[int(day) - 1][int(hour)] = rate
    return {"data": [{"type": "heatmap", "z": grid, "x": list(range(24)),
                      "y": [_(d) for d in WEEKDAY_MSGIDS], "zmin": 0, "zmax": 1,
                      "colorscale": "Blues", "colorbar": {"tickformat": ".0%"},
                      "hovertemplate": "%{y} %{x}:00 – %{z:.0%}<extra></extra>"}],
            "layout": base_layout(lang, xaxis={"title": {"text": _("Hour of day")},
                                               "dtick": 2},
                                  yaxis={"autorange": "reversed", "rangemode": "normal"})}


def _heatmap_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    top = frame.sort("occupancy_rate", descending=True).row(0, named=True)
    return _("Bays are busiest on {day} at {hour}:00 ({rate} occupied); mean {mean}.").format(
        day=_(WEEKDAY_MSGIDS[int(top["weekday"]) - 1]), hour=int(top["hour_of_day"]),
        rate=fmt_percent(top["occupancy_rate"], lang),
        mean=fmt_percent(frame["occupancy_rate"].mean(), lang))


MOBILITY_HEATMAP = register(ChartSpec(
    name="mobility_bay_heatmap", title="Bay occupancy by hour and weekday (33 mobility areas)",
    fetch=lambda municipio_id, project_code=None: mobility.bay_heatmap(
        None, municipio_id, project_code),
    figure=_heatmap_figure, summary=_heatmap_summary,
    columns={"weekday": "Weekday (1 = Monday)", "hour_of_day": "Hour", "occupancy_rate":
             "Occupancy rate"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "project_code": programme.clean_code(p.get("code"))}))


def _trips_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    return _("{trips} trips over {weeks} weeks.").format(
        trips=fmt_number(frame["trips"].sum(), lang), weeks=frame["week"].n_unique())


MOBILITY_TRIPS = register(ChartSpec(
    name="mobility_trips", title="Shared-mobility trips per week",
    fetch=lambda: mobility.trips_weekly(None),
    figure=lambda f, lang: _by_group(f, "week", "form_factor", "trips", lang),
    summary=_trips_summary,
    columns={"week": "Week starting", "form_factor": "Vehicle", "trips": "Trips"}))


def _stations_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    names = as_list(frame["name"])
    return {"data": [{"type": "bar", "name": _("Bikes now"), "x": names,
                      "y": as_list(frame["vehicles_now"])},
                     {"type": "bar", "name": _("Typical at this hour"), "x": names,
                      "y": as_list(frame["vehicles_typical"])}],
            "layout": base_layout(lang, barmode="group", xaxis={"type": "category",
                                                                "tickangle": -45})}


def _stations_summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    return _("{n} stations, {now} bikes available now (typically {typical}).").format(
        n=frame.height, now=fmt_number(frame["vehicles_now"].sum(), lang),
        typical=fmt_number(frame["vehicles_typical"].sum(), lang))


STATIONS = register(ChartSpec(
    name="bike_stations", title="Programme bike-sharing stations: bikes now and typical",
    fetch=lambda municipio_id, project_code, weekday, hour: mobility.stations(
        municipio_id, project_code, weekday, hour, programme_only=True),
    figure=_stations_figure, summary=_stations_summary,
    columns={"station_id": "Station id", "name": "Station", "capacity": "Capacity",
             "intervention": "Intervention", "vehicles_now": "Bikes now",
             "docks_now": "Free docks now", "vehicles_typical": "Typical bikes",
             "typical_rate": "Typical occupancy", "last_reported": "Last reported (UTC)"},
    clean=lambda p: {"municipio_id": as_municipio(p.get("municipio")),
                     "project_code": programme.clean_code(p.get("code")),
                     "weekday": as_int(p.get("weekday"), mobility.WEEKDAYS) or 1,
                     "hour": as_int(p.get("hour"), mobility.HOURS)
                     if as_int(p.get("hour"), mobility.HOURS) is not None else 8}))

ROUTES = register(ChartSpec(
    name="cycle_routes", title="Cycle routes",
    fetch=lambda code=None: mobility.cycle_routes(code),
    figure=lambda f, lang: {"data": [{"type": "bar", "orientation": "h",
                                      "x": as_list(f["length_m"]),
                                      "y": as_list(f["name"])}],
                            "layout": base_layout(lang, xaxis={"title": {"text": "m"}},
                                                  yaxis={"type": "category"})},
    summary=lambda f, lang: t(lang, "{n} routes, {km} km in total.").format(
        n=f.height, km=fmt_number(f["length_m"].sum() / 1000, lang, 1)),
    columns={"route_id": "Route", "name": "Name", "project_code": "Project",
             "length_m": "Length (m)"},
    clean=lambda p: {"code": programme.clean_code(p.get("code"))}))


def _grants_figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    return _by_group(frame, "neighbourhood", "phase", "amount_eur", lang, kind="bar",
                     xaxis={"type": "category"}, yaxis={"title": {"text": "EUR"}})


GRANTS = register(ChartSpec(
    name="grants", title="Grants awarded",
    fetch=lambda code: social.grants_by_neighbourhood(code), figure=_grants_figure,
    summary=lambda f, lang: t(lang, "{n} grants awarded, {amount} in total.").format(
            n=fmt_number(f["grants"].sum(), lang), amount=fmt_eur(f["amount_eur"].sum(), lang)),
    columns={"neighbourhood": "Neighbourhood", "phase": "Phase", "grants": "Grants",
             "amount_eur": "Amount (EUR)"},
    clean=lambda p: {"code": _code(p)}))
