"""``ponmetro export eu-report``: sums, cut-off filtering, workbook shape, reproducibility, errors."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from dashboards.queries.reporting import AsOfError, build_report, parse_as_of
from dashboards.reporting.export import ReportError, export_eu_report, report_from_file
from dashboards.reporting.formats import TABLES, file_names
from ponmetro.cli import main

AS_OF = date(2021, 6, 30)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


@pytest.fixture(scope="module")
def exported(warehouse, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("eu-report")
    files = export_eu_report(warehouse, AS_OF, out)
    return {p.name: p for p in files}


def test_writes_one_workbook_and_one_csv_per_table(exported):
    names = file_names(AS_OF)
    assert set(exported) == set(names.values())
    assert len([n for n in exported if n.endswith(".csv")]) == len(TABLES)


@pytest.mark.parametrize("as_of", [date(2017, 3, 15), AS_OF, date(2023, 12, 31)])
def test_operations_add_up_to_axis_totals(warehouse, as_of):
    report = report_from_file(warehouse, as_of)
    ops = report.operations.with_columns(
        pl.col("OC_COD_ARTICOLAZ_PROGRAMMA").cast(pl.Int64).alias("axis_id"))
    sums = ops.group_by("axis_id").agg(pl.col("FINANZ_TOTALE_PUBBLICO").sum(),
                                       pl.col("TOT_PAGAMENTI").sum(), pl.len())
    t6 = report.table6.join(sums, on="axis_id", how="left").fill_null(0)
    for row in t6.iter_rows(named=True):
        assert row["total_eligible_cost_selected_eur"] == pytest.approx(
            row["FINANZ_TOTALE_PUBBLICO"], abs=0.01)
        assert row["eligible_expenditure_declared_eur"] == pytest.approx(
            row["TOT_PAGAMENTI"], abs=0.01)
        assert row["operations_selected"] == row["len"]
    assert report.reconciled, [c for c in report.checks if not c.ok]


def test_csv_totals_match_the_warehouse_at_year_end(exported, warehouse):
    t6 = _csv(next(p for n, p in exported.items() if n.endswith("_table6.csv")))
    declared = sum(float(r["eligible_expenditure_declared_eur"]) for r in t6)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        paid = con.execute("SELECT sum(amount_eur) FROM mart.programme_financial_transactions "
                           "WHERE kind = 'payment' AND date <= ?", [AS_OF]).fetchall()[0][0]
    assert declared == pytest.approx(paid, abs=0.05)
    assert [int(r["axis_id"]) for r in t6] == sorted(int(r["axis_id"]) for r in t6)


def test_later_payments_are_excluded(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        day, axis, amount = con.execute("""
            SELECT date, axis_id, sum(amount_eur) FROM mart.programme_financial_transactions
            WHERE kind = 'payment' AND date BETWEEN '2019-01-01' AND '2020-12-31'
            GROUP BY date, axis_id ORDER BY sum(amount_eur) DESC LIMIT 1""").fetchall()[0]
        same_day_other_axes = con.execute(
            "SELECT count(*) FROM mart.programme_financial_transactions WHERE date = ?",
            [day]).fetchall()[0][0]
    assert same_day_other_axes >= 1
    before = report_from_file(warehouse, day - timedelta(days=1)).table6
    on = report_from_file(warehouse, day).table6
    delta = (on.filter(pl.col("axis_id") == axis)["eligible_expenditure_declared_eur"][0]
             - before.filter(pl.col("axis_id") == axis)["eligible_expenditure_declared_eur"][0])
    assert delta == pytest.approx(amount, abs=0.01)


def test_later_indicator_values_are_excluded(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        code, year, reported, value = con.execute("""
            SELECT indicator_code, year, reported_on, value FROM mart.programme_indicator_values v
            JOIN mart.programme_indicators USING (indicator_code)
            WHERE series = 'F' AND kind = 'output' AND value > 0 AND year = 2020
            ORDER BY reported_on LIMIT 1""").fetchall()[0]

    def f_value(as_of: date) -> float | None:
        t3a = report_from_file(warehouse, as_of).table3a
        return t3a.filter((pl.col("indicator_code") == code) & (pl.col("year") == year)
                          & (pl.col("series") == "F"))["value"][0]

    assert f_value(reported) > f_value(reported - timedelta(days=1))
    later = report_from_file(warehouse, date(2020, 6, 30)).table3a
    assert later.filter(pl.col("year") > 2020)["value"].null_count() == \
        later.filter(pl.col("year") > 2020).height
    assert later.filter(pl.col("year") <= 2020)["value"].null_count() == 0


def test_table3a_has_s_and_f_rows_for_every_year_and_the_target(exported):
    rows = _csv(next(p for n, p in exported.items() if n.endswith("_table3a.csv")))
    by_indicator: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        by_indicator.setdefault(r["indicator_code"], set()).add((r["year"], r["series"]))
        assert r["target_2023"] != ""
    for pairs in by_indicator.values():
        assert pairs == {(str(y), s) for y in range(2014, 2024) for s in "SF"}
    assert "CO40" in by_indicator and "IO03" in by_indicator


def test_workbook_sheets_headers_and_formats(exported, warehouse):
    path = next(p for n, p in exported.items() if n.endswith(".xlsx"))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Table 6", "Table 3A", "Table 5", "Operations", "Notes"]
    for spec in TABLES:
        sheet = book[spec.sheet]
        assert [c.value for c in sheet[1]] == [c.label for c in spec.columns]
        assert sheet[1][0].font.bold
        assert sheet.freeze_panes == "A2"
    t6 = book["Table 6"]
    money = [c.name for c in TABLES[0].columns].index("total_allocation_eur") + 1
    assert t6.cell(row=2, column=money).number_format == "#,##0.00"
    assert t6.cell(row=2, column=money).value == pytest.approx(5_200_000)
    assert t6.max_row == 1 + 5
    notes = "\n".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_id = con.execute("SELECT build_id FROM meta.build").fetchall()[0][0]
    assert AS_OF.isoformat() in notes and build_id in notes
    assert "programme/financial_transactions.csv" in notes
    assert "Only facts dated on or before the as-of date count" in notes


def test_csv_is_byte_identical_on_a_second_run(exported, warehouse, tmp_path):
    again = {p.name: p for p in export_eu_report(warehouse, AS_OF, tmp_path)}
    for name, path in exported.items():
        if name.endswith(".csv"):
            assert again[name].read_bytes() == path.read_bytes(), name


def test_cli_writes_the_files(warehouse, tmp_path):
    result = CliRunner().invoke(main, ["export", "eu-report", "--as-of", "2022-12-31",
                                       "--out", str(tmp_path), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.csv"))) == 4 and len(list(tmp_path.glob("*.xlsx"))) == 1


@pytest.mark.parametrize("as_of", ["2013-12-31", "2024-01-01", "1900-01-01"])
def test_cli_rejects_dates_outside_the_programme_period(warehouse, tmp_path, as_of):
    result = CliRunner().invoke(main, ["export", "eu-report", "--as-of", as_of,
                                       "--out", str(tmp_path), "--warehouse", str(warehouse)])
    assert result.exit_code == 2
    assert "outside the programme period" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_cli_rejects_a_missing_warehouse(tmp_path):
    result = CliRunner().invoke(main, ["export", "eu-report", "--as-of", "2020-01-01",
                                       "--out", str(tmp_path / "out"),
                                       "--warehouse", str(tmp_path / "absent.duckdb")])
    assert result.exit_code == 2
    assert "warehouse not found" in result.output
    assert not (tmp_path / "out").exists()


def test_corrupt_or_empty_warehouse_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database\x00" * 100)
    with pytest.raises(ReportError, match="cannot open warehouse"):
        export_eu_report(junk, AS_OF, tmp_path / "out")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ReportError, match="no programme data"):
        export_eu_report(empty, AS_OF, tmp_path / "out")


def test_unwritable_output_is_a_clear_error(warehouse, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot write"):
        export_eu_report(warehouse, AS_OF, blocker / "sub")


@pytest.mark.parametrize("text", ["2020-02-30", "2020-01-01'; DROP TABLE mart.programme_axes; --",
                                  "", "20200101x", "9" * 5000])
def test_hostile_as_of_text_is_refused(text):
    with pytest.raises(AsOfError):
        parse_as_of(text, (date(2014, 1, 1), date(2023, 12, 31)))


def test_reconciliation_catches_payments_above_budget(warehouse, tmp_path):
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("""INSERT INTO mart.programme_financial_transactions
            SELECT 'TX-TAMPER', project_code, axis_id, DATE '2020-05-05', 'payment',
                   budget_eur FROM mart.programme_projects WHERE project_code = 'MI4.1.1.c'""")
    with duckdb.connect(str(copy), read_only=True) as con:
        report = build_report(lambda sql, params: con.sql(sql, params=params or None).pl(),
                              date(2020, 12, 31))
    failed = {c.check_id for c in report.checks if not c.ok}
    assert "money" in failed and "axis_mart" in failed
    assert not report.reconciled
