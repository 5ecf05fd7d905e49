"""``/axis/<n>``: KPI cards per indicator, spend against budget, indicators, projects."""

from __future__ import annotations

from dash import Input, State, callback, dcc, html

from dashboards import shell
from dashboards.components import charts, errors, filters, frame, kpi, kpis, monitoring, specs
from dashboards.components.timeline import TIMELINE
from dashboards.i18n import (
    fmt_eur,
    fmt_percent,
    localized_href,
    resolve_lang,
    translator,
)
from dashboards.queries import programme
from dashboards.queries.common import AXES, as_int, as_year, data_years


def title(lang: str, axis_id=None, **_) -> str:
    """The axis and its name (the page's heading and tab title)."""
    _ = translator(lang)
    axis = as_int(axis_id, AXES)
    if axis is None:
        return _("Page not found")
    row = programme.axis_summary().filter(programme.axis_summary()["axis_id"] == axis).row(
        0, named=True)
    return f"{_('Axis')} {axis} – {row['name_' + lang]}"


def description(lang: str, axis_id=None, **_) -> str:
    _ = translator(lang)
    axis = as_int(axis_id, AXES)
    if axis is None:
        return _("The address you asked for does not exist on this site.")
    return _("Axis {n} of PON Metro in Milan: indicators against their targets, spend against "
             "budget, risk flags and the projects of the axis.").format(n=axis)


shell.register_page(__name__, path_template="/axis/<axis_id>", title=title,
               description=description, name="Axis", charts=True)


def project_table(axis_id: int, lang: str) -> html.Div:
    _ = translator(lang)
    frame_ = programme.projects(axis_id, None)
    rows = [html.Tr([
        html.Th(dcc.Link(r["project_code"], href=localized_href(f"/projects/{r['project_code']}",
                                                                 lang), refresh=True),
                scope="row"),
        html.Td(r["title_" + lang]), html.Td(_(r["status"])),
        html.Td(fmt_eur(r["budget_eur"], lang)), html.Td(fmt_eur(r["paid_eur"], lang)),
        html.Td(fmt_percent(r["paid_share"], lang))]) for r in frame_.iter_rows(named=True)]
    return html.Div(className="table-responsive", children=html.Table(
        className="table", children=[
            html.Caption(_("Projects of the axis")),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                (_("Code"), _("Project"), _("Status"), _("Budget"), _("Paid"),
                                 _("Paid share"))])),
            html.Tbody(rows)]))


@errors.guarded
def layout(axis_id=None, lang=None, year=None, **_query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    axis = as_int(axis_id, AXES)
    if axis is None:
        return errors.not_found(lang, _("There are four axes, numbered 1 to 4."))
    info = frame.safe_build_info()
    row = programme.axis_summary().filter(programme.axis_summary()["axis_id"] == axis).row(
        0, named=True)
    year_value = as_year(year)
    params = {"axis_id": axis, "year": year_value}
    year_opts = [(filters.ALL, _("All years"))] + [(str(y), str(y))
                                                   for y in data_years()]
    kpi_rows = []
    for group, (heading, label) in kpis.GROUPS.items():
        if heading:
            kpi_rows.append(html.H2(_(heading)))
        kpi_rows.append(kpi.kpi_row(kpis.cards(axis, group, lang, info), _(label)))
    return html.Div([
        filters.location("axis-url"),
        dcc.Store(id="axis-lang", data=lang),
        dcc.Store(id="axis-id", data=axis),
        html.H1(title(lang, axis)),
        html.P(f"{_('Fund')}: {row['fund']}"),
        monitoring.flagged_section("axis-flags", axis, lang),
        *kpi_rows,
        filters.filter_bar([filters.radio("axis-year", _("Period"), year_opts,
                                          str(year_value or filters.ALL))],
                           _("Filter the spend chart")),
        charts.chart_block("axis-finance", specs.AXIS_FINANCE, params, lang),
        charts.chart_block("axis-indicators", specs.AXIS_INDICATORS, {"axis_id": axis}, lang),
        monitoring.performance_section("axis-pf", axis, lang),
        charts.chart_block("axis-timeline", TIMELINE, {"axis_id": axis, "lang": lang}, lang),
        html.H2(_("Projects")),
        project_table(axis, lang),
    ])


filters.register_sync("axis-url", {"year": "axis-year"}, {})


@callback(*charts.outputs("axis-finance"), Input("axis-year", "value"),
          State("axis-id", "data"), State("axis-lang", "data"), prevent_initial_call=True)
def update_finance(year: str, axis_id: int, lang: str):
    return charts.render(specs.AXIS_FINANCE, {"axis_id": as_int(axis_id, AXES) or 1,
                                              "year": as_year(year)}, resolve_lang(lang))
