"""Render a :class:`~dashboards.queries.reporting.Report` as CSV and XLSX bytes.

CSV is for machines and must be reproducible: UTF-8 without BOM, comma
separator, ``\\n`` line ends, ISO dates, fixed decimals, stable row order, so
the same warehouse and date give the same bytes. The workbook is for people:
labelled headers, number formats, frozen header row, filters and a notes sheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
import xlsxwriter

from dashboards import writers
from dashboards.queries.reporting import PROGRAMME_CCI, Report


@dataclass(frozen=True)
class Col:
    name: str
    label: str  # English msgid for the workbook header
    kind: str  # text, int, money, rate, pct, number, date, bool


@dataclass(frozen=True)
class TableSpec:
    key: str  # file stem and Report attribute
    sheet: str
    title: str
    columns: tuple[Col, ...]


TABLES: tuple[TableSpec, ...] = (
    TableSpec("table6", "Table 6", "Financial data by priority axis (AIR Table 6)", (
        Col("axis_id", "Priority axis", "int"),
        Col("axis_name_it", "Axis name (Italian)", "text"),
        Col("axis_name_en", "Axis name (English)", "text"),
        Col("fund", "Fund", "text"),
        Col("category_of_region", "Category of region", "text"),
        Col("calculation_basis", "Calculation basis", "text"),
        Col("total_allocation_eur", "Total allocation (EUR)", "money"),
        Col("cofinancing_rate", "Co-financing rate", "rate"),
        Col("total_eligible_cost_selected_eur", "Total eligible cost of selected operations (EUR)",
            "money"),
        Col("pct_allocation_selected", "Share of allocation selected", "pct"),
        Col("public_eligible_cost_selected_eur",
            "Public eligible cost of selected operations (EUR)", "money"),
        Col("eligible_expenditure_declared_eur",
            "Eligible expenditure declared by beneficiaries (EUR)", "money"),
        Col("pct_allocation_declared", "Share of allocation declared", "pct"),
        Col("operations_selected", "Number of operations selected", "int"),
    )),
    TableSpec("table3a", "Table 3A", "Output indicators (AIR Table 3A)", (
        Col("indicator_code", "Indicator ID", "text"),
        Col("indicator_name_it", "Indicator (Italian)", "text"),
        Col("indicator_name_en", "Indicator (English)", "text"),
        Col("unit", "Unit", "text"),
        Col("fund", "Fund", "text"),
        Col("category_of_region", "Category of region", "text"),
        Col("target_2023", "Target 2023", "number"),
        Col("year", "Year", "int"),
        Col("series", "Series (S selected, F achieved)", "text"),
        Col("value", "Cumulative value", "number"),
        Col("verified", "Verified against the programme text", "bool"),
    )),
    TableSpec("table5", "Table 5", "Performance framework (AIR Table 5)", (
        Col("axis_id", "Priority axis", "int"),
        Col("indicator_type", "Indicator type", "text"),
        Col("indicator_id", "Indicator ID", "text"),
        Col("indicator_name_it", "Indicator (Italian)", "text"),
        Col("indicator_name_en", "Indicator (English)", "text"),
        Col("unit", "Measurement unit", "text"),
        Col("fund", "Fund", "text"),
        Col("category_of_region", "Category of region", "text"),
        Col("milestone_2018", "Milestone for 2018", "number"),
        Col("value_2018", "Value at the end of 2018", "number"),
        Col("milestone_share", "Share of the milestone", "pct"),
        Col("milestone_met", "Milestone reached (85% rule)", "bool"),
        Col("target_2023", "Final target 2023", "number"),
        Col("value_as_of", "Value at the as-of date", "number"),
        Col("target_share", "Share of the target", "pct"),
        Col("target_met", "Target reached (85% rule)", "bool"),
        Col("axis_milestones_met", "Axis milestones reached", "bool"),
        Col("axis_targets_met", "Axis targets reached", "bool"),
        Col("source", "Source", "text"),
        Col("verified", "Verified against the programme text", "bool"),
    )),
    TableSpec("operations", "Operations", "List of operations (OpenCoesione-style columns)", (
        Col("COD_LOCALE_PROGETTO", "Project code", "text"),
        Col("CUP", "CUP", "text"),
        Col("OC_TITOLO_PROGETTO", "Title", "text"),
        Col("TITLE_EN", "Title (English)", "text"),
        Col("OC_CODICE_PROGRAMMA", "Programme (CCI)", "text"),
        Col("OC_COD_ARTICOLAZ_PROGRAMMA", "Priority axis", "text"),
        Col("OC_COD_SUBARTICOLAZ_PROGRAMMA", "Action", "text"),
        Col("FONDO_COMUNITARIO", "Fund", "text"),
        Col("FINANZ_TOTALE_PUBBLICO", "Total public financing (EUR)", "money"),
        Col("FINANZ_UE", "EU financing (EUR)", "money"),
        Col("IMPEGNI", "Commitments (EUR)", "money"),
        Col("TOT_PAGAMENTI", "Payments (EUR)", "money"),
        Col("OC_STATO_PROGETTO", "Status", "text"),
        Col("OC_DATA_INIZIO_PROGETTO", "Start date", "date"),
        Col("OC_DATA_FINE_PROGETTO_PREVISTA", "Planned end date", "date"),
        Col("OC_DATA_FINE_PROGETTO_EFFETTIVA", "Actual end date", "date"),
        Col("OC_DENOM_BENEFICIARIO", "Beneficiary", "text"),
        Col("COD_COMUNE", "Municipality code (ISTAT)", "text"),
        Col("DEN_COMUNE", "Municipality", "text"),
    )),
)
SPECS = {t.key: t for t in TABLES}

METHOD = (
    "Only facts dated on or before the as-of date count: commitments and payments by "
    "the date of the act, indicator values by the date they were recorded.",
    "Selected operations: operations started on or before the as-of date. Their total and "
    "public eligible cost is their total public financing (no private co-financing).",
    "Declared expenditure: payments to the beneficiaries up to the as-of date.",
    "Table 3A: cumulative values summed over operations; a value holds until the next "
    "one is recorded; years after the as-of year are left empty. ESF indicators (FSE) are "
    "listed with their fund (in SFC2014 they belong to Table 4A).",
    "Table 5: the financial indicator is the payments to the date (as declared expenditure "
    "in Table 6); output indicators are achieved (F) values; the 2018 value counts what was "
    "achieved by 31 December 2018. A milestone or target is reached at 85% of its value; an "
    "axis reaches its milestones when all its indicators do, or, with three or more, all "
    "but one with that one at 75% or more (Implementing Reg. (EU) 215/2014 Art. 6(2)). "
    "Technical assistance has no performance framework (Reg. 1303/2013 Annex II).",
    "Codes, names and targets marked not verified are demo or unverified: see "
    "docs/seed-projects.md and docs/reporting.md.",
)


def _cell(value: object, kind: str) -> str:
    """Text of one CSV cell: fixed decimals, ISO dates, empty for missing."""
    if value is None:
        return ""
    if kind == "money":
        return f"{float(value):.2f}"
    if kind in ("rate", "pct"):
        return f"{float(value):.4f}"
    if kind == "number":
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:.6f}".rstrip("0")
    if kind == "bool":
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def frame_of(report: Report, key: str) -> pl.DataFrame:
    return getattr(report, key)


def csv_bytes(report: Report, key: str) -> bytes:
    spec = SPECS[key]
    frame = frame_of(report, key)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.name for c in spec.columns])
    for row in frame.select([c.name for c in spec.columns]).iter_rows():
        writer.writerow([_cell(v, c.kind) for v, c in zip(row, spec.columns, strict=True)])
    return buffer.getvalue().encode("utf-8")


def _formats(book: xlsxwriter.Workbook) -> dict[str, object]:
    base = {"font_name": "Arial", "font_size": 10, "valign": "top"}
    return {
        "header": book.add_format({**base, "bold": True, "bg_color": "#0B3D6E",
                                   "font_color": "#FFFFFF", "text_wrap": True,
                                   "border": 1, "align": "center"}),
        "title": book.add_format({**base, "bold": True, "font_size": 13}),
        "text": book.add_format(base),
        "wrap": book.add_format({**base, "text_wrap": True}),
        "int": book.add_format({**base, "num_format": "0"}),
        "money": book.add_format({**base, "num_format": "#,##0.00"}),
        "rate": book.add_format({**base, "num_format": "0.00%"}),
        "pct": book.add_format({**base, "num_format": "0.0%"}),
        "number": book.add_format({**base, "num_format": "#,##0.##"}),
        "date": book.add_format({**base, "num_format": "yyyy-mm-dd"}),
        "bool": book.add_format(base),
        "ok": book.add_format({**base, "font_color": "#006100"}),
        "fail": book.add_format({**base, "bold": True, "font_color": "#9C0006"}),
    }


_WIDTH = {"text": 22, "int": 10, "money": 18, "rate": 12, "pct": 12, "number": 14,
          "date": 12, "bool": 10}


def _xlsx_value(value: object, kind: str, _: Callable[[str], str]) -> object:
    """The value of one workbook cell: translated yes/no, dates, numbers, text."""
    if value is None:
        return None
    if kind == "bool":
        return _("yes") if value else _("no")
    if kind == "date":
        return datetime(value.year, value.month, value.day)
    if kind in ("money", "rate", "pct", "number", "int"):
        return float(value)
    return str(value)


def _write_table(book: writers.Workbook, fmt, spec: TableSpec, frame: pl.DataFrame,
                 _: Callable[[str], str]) -> None:
    rows = ([_xlsx_value(v, c.kind, _) for v, c in zip(row, spec.columns, strict=True)]
            for row in frame.select([c.name for c in spec.columns]).iter_rows())
    widths = [44 if c.name.startswith(("OC_TITOLO", "TITLE", "indicator_name", "axis_name"))
              else _WIDTH[c.kind] for c in spec.columns]
    book.table(spec.sheet, [_(c.label) for c in spec.columns], rows,
               header_format=fmt["header"], formats=[fmt[c.kind] for c in spec.columns],
               widths=widths, header_height=45, autofilter=True)


def _write_notes(book, fmt, report: Report, _: Callable[[str], str]) -> None:
    sheet = book.add_worksheet("Notes")
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 110)
    build = report.build
    rows: list[tuple[str, str, str]] = [
        (_("PON Metro Milano: EU reporting tables"), "", "title"),
        (_("As-of date"), report.as_of.isoformat(), "text"),
        (_("Programme"), f"PON Città Metropolitane 2014-2020, CCI {PROGRAMME_CCI}; "
                         f"Milan; eligibility {report.period[0].isoformat()} to "
                         f"{report.period[1].isoformat()}", "text"),
        (_("Build id"), str(build["build_id"]), "text"),
        (_("Built at (UTC)"), f"{build['built_at']:%Y-%m-%d %H:%M:%S}", "text"),
        (_("Demo data"), _("yes: synthetic demo data, not real records") if build["is_demo"]
         else _("no"), "text"),
        ("", "", "text"),
        (_("Method"), "", "title"),
        *[("", _(line), "wrap") for line in METHOD],
        ("", "", "text"),
        (_("Reconciliation"), _("all checks passed") if report.reconciled
         else _("some checks failed"), "title"),
        *[(_("passed") if c.ok else _("FAILED"), f"{_(c.label)}: {c.text(_)}",
           "ok" if c.ok else "fail") for c in report.checks],
        ("", "", "text"),
        (_("Sources"), "", "title"),
    ]
    if report.sources is not None:
        for src in report.sources.iter_rows(named=True):
            flag = _("synthetic") if src["synthetic"] else _("recorded")
            rows.append((src["relpath"], f"{src['source']} ({flag}; {src['rows']} rows; "
                                         f"sha256 {src['sha256']})", "wrap"))
    for i, (key, value, style) in enumerate(rows):
        if style == "title":
            sheet.write_string(i, 0, key, fmt["title"])
            if value:
                sheet.write_string(i, 1, value, fmt["title"])
            continue
        sheet.write_string(i, 0, key, fmt[style] if style in ("ok", "fail") else fmt["text"])
        sheet.write_string(i, 1, value, fmt["wrap" if style == "wrap" else "text"])


def xlsx_bytes(report: Report, translate: Callable[[str], str] = lambda s: s) -> bytes:
    """One workbook: a sheet per table plus a notes sheet (as-of, build, sources, method)."""
    buffer = io.BytesIO()
    built = report.build["built_at"]
    book = writers.Workbook(buffer, properties={
        "title": f"PON Metro Milano EU report {report.as_of.isoformat()}",
        "author": "Comune di Milano - PON Metro (ponmetro export)",
        "comments": f"build {report.build['build_id']}",
        "created": built if isinstance(built, datetime) else None})
    fmt = _formats(book.book)
    for spec in TABLES:
        _write_table(book, fmt, spec, frame_of(report, spec.key), translate)
    _write_notes(book.book, fmt, report, translate)
    book.close()
    return buffer.getvalue()


def file_names(as_of: date) -> dict[str, str]:
    """File name per table key (plus ``xlsx``): stable, dated, no spaces."""
    stem = f"pon-metro-milano_eu-report_{as_of.isoformat()}"
    return {"xlsx": f"{stem}.xlsx", **{t.key: f"{stem}_{t.key}.csv" for t in TABLES}}
