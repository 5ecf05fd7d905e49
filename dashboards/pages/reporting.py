"""/reporting: EU programme reporting tables as of a chosen date, with downloads.

The as-of date lives in the URL (``?as_of=YYYY-MM-DD&lang=it``) and is chosen
with a plain GET form, so every view is a shareable link and the page needs no
callbacks. Figures come from the same report code as the CLI export.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dash
import plotly.graph_objects as go
import polars as pl
from dash import dcc, html
from plotly.subplots import make_subplots

from dashboards import warehouse
from dashboards.i18n import fmt_date, fmt_eur, fmt_number, fmt_percent, resolve_lang, translator
from dashboards.queries.reporting import (
    AsOfError,
    Report,
    app_eligibility,
    cached_finance_by_axis,
    cached_report,
    default_as_of,
    parse_as_of,
    period_years,
)
from dashboards.reporting import routes

dash.register_page(__name__, path="/reporting", title="PON Metro Milano – EU reporting",
                   name="EU reporting")
try:
    routes.register(dash.get_app().server)
except Exception:  # imported outside a Dash app (tests of the layout alone)
    pass

Tr = Callable[[str], str]


def _scroll(table: html.Table, label: str) -> html.Div:
    """A keyboard-reachable scrolling region around a wide table."""
    return html.Div(table, className="table-scroll", tabIndex="0", role="region",
                    **{"aria-label": label},
                    style={"overflowX": "auto", "maxWidth": "100%"})


def _table(caption: str, header: list[str], rows: list[list[object]],
           numeric: set[int]) -> html.Table:
    def cell(j: int, value: object, tag=html.Td):
        return tag(value, style={"textAlign": "right", "whiteSpace": "nowrap"}
                   if j in numeric else None)

    return html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
        html.Tbody([html.Tr([cell(j, v) for j, v in enumerate(r)]) for r in rows]),
    ], className="table table-sm")


def _table6(report: Report, lang: str, _: Tr) -> html.Table:
    name = "axis_name_it" if lang == "it" else "axis_name_en"
    header = [_("Axis"), _("Fund"), _("Allocation"), _("Co-financing rate"),
              _("Eligible cost of selected operations"), _("Share selected"),
              _("Expenditure declared"), _("Share declared"), _("Operations")]
    rows = [[f"{r['axis_id']} – {r[name]}", r["fund"], fmt_eur(r["total_allocation_eur"], lang),
             fmt_percent(r["cofinancing_rate"], lang),
             fmt_eur(r["total_eligible_cost_selected_eur"], lang),
             fmt_percent(r["pct_allocation_selected"], lang, 1),
             fmt_eur(r["eligible_expenditure_declared_eur"], lang),
             fmt_percent(r["pct_allocation_declared"], lang, 1),
             fmt_number(r["operations_selected"], lang)]
            for r in report.table6.iter_rows(named=True)]
    return _table(_("Table 6 – financial data by priority axis"), header, rows,
                  set(range(2, 9)))


def _table3a(report: Report, lang: str, _: Tr) -> html.Table:
    name = "indicator_name_it" if lang == "it" else "indicator_name_en"
    frame = report.table3a
    keys = frame.select("indicator_code", name, "unit", "target_2023", "series",
                        "verified").unique(maintain_order=True)
    values = {(r["indicator_code"], r["series"], r["year"]): r["value"]
              for r in frame.iter_rows(named=True)}
    years = period_years(report.period)
    header = [_("Indicator"), _("Unit"), _("Series"), _("Target 2023"),
              *[str(y) for y in years]]
    rows = []
    for k in keys.iter_rows(named=True):
        label = f"{k['indicator_code']} – {k[name]}" + ("" if k["verified"] else " *")
        series = _("S (selected)") if k["series"] == "S" else _("F (achieved)")
        rows.append([label, _(k["unit"]), series, fmt_number(k["target_2023"], lang),
                     *[fmt_number(values.get((k["indicator_code"], k["series"], y)), lang)
                       for y in years]])
    return _table(_("Table 3A – output indicators, cumulative values"), header, rows,
                  set(range(3, 4 + len(years))))


def _table5(report: Report, lang: str, _: Tr) -> html.Table:
    name = "indicator_name_it" if lang == "it" else "indicator_name_en"
    header = [_("Axis"), _("Indicator"), _("Indicator type"), _("Milestone for 2018"),
              _("Value at the end of 2018"), _("Milestone reached (85% rule)"),
              _("Final target 2023"), _("Value at the as-of date"),
              _("Target reached (85% rule)"), _("Axis milestones reached")]
    kinds = {"financial": _("Financial"), "output": _("Output")}

    def met(value: object, share: object = None) -> str:
        shown = f"{fmt_percent(share, lang)} " if share is not None else ""
        return shown + (_("yes") if value else _("no"))

    rows = [[str(r["axis_id"]),
             f"{r['indicator_id']} – {r[name]}" + ("" if r["verified"] else " *"),
             kinds.get(r["indicator_type"], r["indicator_type"]),
             fmt_number(r["milestone_2018"], lang), fmt_number(r["value_2018"], lang),
             met(r["milestone_met"], r["milestone_share"]), fmt_number(r["target_2023"], lang),
             fmt_number(r["value_as_of"], lang), met(r["target_met"], r["target_share"]),
             met(r["axis_milestones_met"])]
            for r in report.table5.iter_rows(named=True)]
    return _table(_("Table 5 – performance framework"), header, rows, {3, 4, 6, 7})


def _operations(report: Report, lang: str, _: Tr) -> html.Table:
    title = "OC_TITOLO_PROGETTO" if lang == "it" else "TITLE_EN"
    header = [_("Code"), "CUP", _("Title"), _("Axis"), _("Action"), _("Public financing"),
              _("EU financing"), _("Commitments"), _("Payments"), _("Status"), _("Start"),
              _("End (planned)"), _("End (actual)")]
    status = {"Concluso": _("Completed"), "In corso": _("In progress")}
    rows = [[r["COD_LOCALE_PROGETTO"], r["CUP"], r[title], r["OC_COD_ARTICOLAZ_PROGRAMMA"],
             r["OC_COD_SUBARTICOLAZ_PROGRAMMA"], fmt_eur(r["FINANZ_TOTALE_PUBBLICO"], lang),
             fmt_eur(r["FINANZ_UE"], lang), fmt_eur(r["IMPEGNI"], lang),
             fmt_eur(r["TOT_PAGAMENTI"], lang),
             status.get(r["OC_STATO_PROGETTO"], r["OC_STATO_PROGETTO"]),
             fmt_date(r["OC_DATA_INIZIO_PROGETTO"], lang),
             fmt_date(r["OC_DATA_FINE_PROGETTO_PREVISTA"], lang),
             fmt_date(r["OC_DATA_FINE_PROGETTO_EFFETTIVA"], lang)]
            for r in report.operations.iter_rows(named=True)]
    return _table(_("Operations selected"), header, rows, set(range(5, 9)))


def _progress_figure(finance: pl.DataFrame, report: Report, lang: str, _: Tr) -> go.Figure:
    """Committed and paid against allocation, one panel per axis."""
    axes = report.table6["axis_id"].to_list()
    names = dict(zip(axes, report.table6["axis_name_it" if lang == "it" else "axis_name_en"],
                     strict=True))
    fig = make_subplots(rows=1, cols=len(axes), shared_yaxes=False,
                        subplot_titles=[f"{_('Axis')} {a}" for a in axes])
    styles = (("allocation_eur", _("Allocation"), "#5c6f82", "dash"),
              ("committed_cum_eur", _("Committed"), "#0066cc", "solid"),
              ("paid_cum_eur", _("Paid"), "#008055", "solid"))
    for col, axis in enumerate(axes, start=1):
        part = finance.filter(pl.col("axis_id") == axis)
        for column, label, colour, dash_style in styles:
            fig.add_trace(go.Scatter(
                x=part["month"].to_list(), y=part[column].to_list(), name=label,
                legendgroup=label, showlegend=col == 1, mode="lines",
                line={"color": colour, "dash": dash_style, "width": 2},
                hovertemplate=f"{names[axis]}<br>%{{x|%Y-%m}}: %{{y:,.0f}} €"
                              f"<extra>{label}</extra>"), row=1, col=col)
    fig.update_layout(height=360, margin={"l": 50, "r": 10, "t": 50, "b": 40},
                      legend={"orientation": "h", "y": -0.15}, template="plotly_white",
                      separators=",." if lang == "it" else ".,")
    fig.update_yaxes(tickformat="~s", rangemode="tozero")
    return fig


def _checks(report: Report, _: Tr) -> html.Div:
    items = [html.Li([html.Strong(("✓ " + _("passed")) if c.ok else ("✗ " + _("FAILED"))),
                      f" – {_(c.label)} ({c.text(_)})"],
                     className="text-success" if c.ok else "text-danger")
             for c in report.checks]
    summary = _("All reconciliation checks passed.") if report.reconciled else \
        _("Some reconciliation checks failed: do not submit these tables.")
    return html.Div([html.P(summary, role="status"), html.Ul(items)])


def _form(as_of: date, period: tuple[date, date], lang: str, _: Tr) -> html.Form:
    return html.Form([
        html.Label(_("As-of date (YYYY-MM-DD)"), htmlFor="reporting-as-of",
                   style={"display": "block", "fontWeight": 600}),
        html.Div([
            dcc.Input(id="reporting-as-of", name="as_of", type="text", value=as_of.isoformat(),
                      pattern=r"\d{4}-\d{2}-\d{2}", required=True, minLength=10,
                      maxLength=10, inputMode="numeric", autoComplete="off", size=12,
                      className="form-control", style={"maxWidth": "12em"}),
            html.Button(_("Update"), type="submit", className="btn btn-primary"),
        ], style={"display": "flex", "gap": "1rem", "alignItems": "center"}),
        html.Small(_("Between {start} and {end}. Only facts dated on or before this date "
                     "count.").format(start=period[0].isoformat(),
                                      end=period[1].isoformat()),
                   className="form-text", style={"display": "block"}),
        dcc.Input(type="hidden", name="lang", value=lang),
    ], action="/reporting", method="get", className="reporting-form my-4")


def _downloads(as_of: date, lang: str, _: Tr) -> html.Ul:
    iso = as_of.isoformat()
    links = (("xlsx", _("Workbook (XLSX, all tables and notes)")),
             ("table6", _("Table 6 (CSV)")), ("table3a", _("Table 3A (CSV)")),
             ("table5", _("Table 5 (CSV)")), ("operations", _("Operations (CSV)")))
    return html.Ul([html.Li(html.A(label, href=routes.download_url(iso, key, lang)))
                    for key, label in links])


def layout(lang=None, as_of=None, **_kwargs):
    lang = resolve_lang(lang)
    _ = translator(lang)
    notice = None
    try:
        period = app_eligibility()
        try:
            chosen = parse_as_of(as_of, period) if as_of else default_as_of(period)
        except AsOfError:
            chosen = default_as_of(period)
            notice = html.P(_("The as-of date must be a date between {start} and {end}; "
                              "showing {shown}.").format(start=period[0].isoformat(),
                                                         end=period[1].isoformat(),
                                                         shown=chosen.isoformat()),
                            role="alert", className="alert alert-warning")
        report = cached_report(chosen.isoformat())
        finance = cached_finance_by_axis(chosen.isoformat())
    except warehouse.WarehouseUnavailable as exc:
        return html.Div([html.H1(_("EU programme reporting")),
                         html.P(_("Data unavailable: {reason}").format(reason=exc),
                                role="alert")])
    return html.Div([
        html.H1(_("EU programme reporting")),
        html.P(_("Reporting tables of PON Metro 2014-2020 for Milan as of {date}: financial "
                 "data by priority axis (Table 6), output indicators (Table 3A) and the list "
                 "of operations.").format(date=fmt_date(chosen, lang))),
        notice,
        _form(chosen, period, lang, _),
        html.H2(_("Downloads")),
        _downloads(chosen, lang, _),
        html.H2(_("Reconciliation")),
        _checks(report, _),
        html.H2(_("Financial progress by axis")),
        html.Figure([
            dcc.Graph(figure=_progress_figure(finance, report, lang, _),
                      config={"displaylogo": False, "responsive": True},
                      id="reporting-progress"),
            html.Figcaption(_("Cumulative commitments and payments at each month end "
                              "against the axis allocation, up to the as-of date. The same "
                              "figures at the as-of date are in Table 6 below.")),
        ]),
        html.H2(_("Table 6")),
        _scroll(_table6(report, lang, _), _("Table 6")),
        html.H2(_("Table 3A")),
        html.P(_("* code, name or target not yet verified against the official programme "
                 "text.")),
        _scroll(_table3a(report, lang, _), _("Table 3A")),
        html.H2(_("Table 5")),
        html.P(_("Milestones and targets count as reached at 85% of their value "
                 "(Implementing Regulation (EU) 215/2014, Art. 6); * demo or unverified.")),
        _scroll(_table5(report, lang, _), _("Table 5")),
        html.H2(_("Operations")),
        _scroll(_operations(report, lang, _), _("Operations")),
        html.P(_("Build {build}").format(build=report.build["build_id"]),
               className="text-muted small"),
    ], className="reporting-page")
