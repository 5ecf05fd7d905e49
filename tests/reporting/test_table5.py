"""AIR Table 5 (performance framework): its own CSV, a workbook sheet, the 85% rule, the cut-off."""

from __future__ import annotations

import csv
import io
from datetime import date

import duckdb
import openpyxl
import pytest

from dashboards.reporting.export import export_eu_report, report_from_file
from dashboards.reporting.formats import file_names
from etl.domains.programme.performance import MET_SHARE

AS_OF = date(2019, 6, 30)


@pytest.fixture(scope="module")
def exported(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("table5")
    return {p.name: p for p in export_eu_report(warehouse, AS_OF, out)}


def test_table5_has_its_own_csv_and_sheet(exported):
    name = file_names(AS_OF)["table5"]
    assert "table5" in name and name.endswith(".csv") and name in exported
    rows = list(csv.DictReader(io.StringIO(exported[name].read_text("utf-8"))))
    assert {r["axis_id"] for r in rows} == {"1", "2", "3", "4"}  # no technical assistance
    assert {r["indicator_type"] for r in rows} == {"financial", "output"}
    assert all(r["verified"] == "false" and r["source"].startswith("demo") for r in rows)
    book = openpyxl.load_workbook(exported[file_names(AS_OF)["xlsx"]])
    sheet = book["Table 5"]
    assert sheet.max_row == len(rows) + 1
    notes = " ".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    assert "215/2014" in notes


def test_85_percent_rule_and_financial_indicator(warehouse):
    report = report_from_file(warehouse, date(2023, 12, 31))
    t5, t6 = report.table5, report.table6
    for r in t5.iter_rows(named=True):
        if r["milestone_share"] is not None:
            assert r["milestone_met"] == (r["milestone_share"] >= MET_SHARE)
        assert r["target_met"] == (r["target_share"] >= MET_SHARE)
    declared = dict(zip(t6["axis_id"], t6["eligible_expenditure_declared_eur"], strict=True))
    for r in t5.filter(t5["indicator_type"] == "financial").iter_rows(named=True):
        assert r["value_as_of"] == pytest.approx(declared[r["axis_id"]], abs=0.01)
    assert report.reconciled, [c for c in report.checks if not c.ok]


def test_cut_off_before_the_end_of_2018(warehouse):
    early = report_from_file(warehouse, date(2018, 6, 30)).table5
    late = report_from_file(warehouse, date(2021, 6, 30)).table5
    # before the milestone date, the "2018" value is the value at the as-of date
    assert early["value_2018"].to_list() == early["value_as_of"].to_list()
    for a, b in zip(early.iter_rows(named=True), late.iter_rows(named=True), strict=True):
        assert a["value_2018"] <= b["value_2018"] + 1e-6
        assert b["value_2018"] <= b["value_as_of"] + 1e-6


def test_export_at_the_data_as_of_equals_the_dashboard_mart(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = con.execute("SELECT as_of FROM mart.programme_as_of").fetchone()[0]
        mart = con.execute("""SELECT axis_id, indicator_id, value_2018, value_as_of,
            milestone_met, target_met, axis_milestones_met FROM mart.programme_performance_achievement
            ORDER BY ALL""").fetchall()
    t5 = report_from_file(warehouse, as_of).table5
    got = sorted(t5.select("axis_id", "indicator_id", "value_2018", "value_as_of",
                           "milestone_met", "target_met", "axis_milestones_met").rows())
    assert got == mart
