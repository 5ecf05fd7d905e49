"""``/reporting``: EU programme reporting tables as of a chosen date, with downloads.

The as-of date lives in the URL (``?as_of=YYYY-MM-DD&lang=it``), chosen with a
plain GET form, so every view is a shareable link. Figures come from the same
report code as the CLI export (``ponmetro export eu-report``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from dashboards.i18n import fmt_date, fmt_eur, fmt_number, fmt_percent, translator
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

Tr = Callable[[str], str]


@dataclass(frozen=True)
class Table:
    key: str
    caption: str
    header: list[str]
    rows: list[list[object]]
    numeric: set[int]


def table6(report: Report, lang: str, _: Tr) -> Table:
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
    return Table("table6", _("Table 6 – financial data by priority axis"), header, rows,
                 set(range(2, 9)))


def table3a(report: Report, lang: str, _: Tr) -> Table:
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
    return Table("table3a", _("Table 3A – output indicators, cumulative values"), header, rows,
                 set(range(3, 4 + len(years))))


def table5(report: Report, lang: str, _: Tr) -> Table:
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
    return Table("table5", _("Table 5 – performance framework"), header, rows, {3, 4, 6, 7})


def operations(report: Report, lang: str, _: Tr) -> Table:
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
    return Table("operations", _("Operations selected"), header, rows, set(range(5, 9)))


def progress(finance: pl.DataFrame, report: Report, lang: str, _: Tr) -> Table:
    """Committed and paid against allocation per axis at each year end (and the as-of date):
    the text form of the progress chart."""
    names = dict(zip(report.table6["axis_id"].to_list(),
                     report.table6["axis_name_it" if lang == "it" else "axis_name_en"],
                     strict=True))
    last = finance["month"].max() if finance.height else None
    points = finance.filter((pl.col("month").dt.month() == 12) | (pl.col("month") == last))
    rows = [[f"{r['axis_id']} – {names.get(r['axis_id'], '')}", fmt_date(r["cutoff"], lang),
             fmt_eur(r["allocation_eur"], lang), fmt_eur(r["committed_cum_eur"], lang),
             fmt_eur(r["paid_cum_eur"], lang)]
            for r in points.iter_rows(named=True)]
    return Table("progress", _("Financial progress by axis"),
                 [_("Axis"), _("Date"), _("Allocation"), _("Committed"), _("Paid")], rows,
                 {2, 3, 4})


def checks(report: Report, _: Tr) -> dict:
    return {"summary": _("All reconciliation checks passed.") if report.reconciled else
            _("Some reconciliation checks failed: do not submit these tables."),
            "items": [(c.ok, _("passed") if c.ok else _("FAILED"), f"{_(c.label)} ({c.text(_)})")
                      for c in report.checks]}


def downloads(as_of: date, lang: str, _: Tr) -> list[tuple[str, str]]:
    iso = as_of.isoformat()
    links = (("xlsx", _("Workbook (XLSX, all tables and notes)")),
             ("table6", _("Table 6 (CSV)")), ("table3a", _("Table 3A (CSV)")),
             ("table5", _("Table 5 (CSV)")), ("operations", _("Operations (CSV)")))
    return [(label, routes.download_url(iso, key, lang)) for key, label in links]


def context(lang: str, as_of: str | None) -> dict:
    """What the reporting template shows for this as-of date (a bad date falls back, with
    a notice, to the default one)."""
    _ = translator(lang)
    period = app_eligibility()
    notice = None
    try:
        chosen = parse_as_of(as_of, period) if as_of else default_as_of(period)
    except AsOfError:
        chosen = default_as_of(period)
        notice = _("The as-of date must be a date between {start} and {end}; showing "
                   "{shown}.").format(start=period[0].isoformat(), end=period[1].isoformat(),
                                      shown=chosen.isoformat())
    report = cached_report(chosen.isoformat())
    finance = cached_finance_by_axis(chosen.isoformat())
    return {
        "intro": _("Reporting tables of PON Metro 2014-2020 for Milan as of {date}: financial "
                   "data by priority axis (Table 6), output indicators (Table 3A) and the "
                   "list of operations.").format(date=fmt_date(chosen, lang)),
        "notice": notice, "as_of": chosen.isoformat(),
        "period_note": _("Between {start} and {end}. Only facts dated on or before this "
                         "date count.").format(start=period[0].isoformat(),
                                               end=period[1].isoformat()),
        "downloads": downloads(chosen, lang, _), "checks": checks(report, _),
        "progress": progress(finance, report, lang, _),
        "tables": [(_("Table 6"), None, table6(report, lang, _)),
                   (_("Table 3A"), _("* code, name or target not yet verified against the "
                                     "official programme text."), table3a(report, lang, _)),
                   (_("Table 5"), _("Milestones and targets count as reached at 85% of their "
                                    "value (Implementing Regulation (EU) 215/2014, Art. 6); * "
                                    "demo or unverified."), table5(report, lang, _)),
                   (_("Operations"), None, operations(report, lang, _))],
        "build_id": report.build["build_id"],
    }
