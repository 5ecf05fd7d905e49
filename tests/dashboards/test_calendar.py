"""The programme calendar: written once by the build (``meta.calendar``), read by the app
from the warehouse, so pages, EU reporting and the catalogue cannot disagree."""

from __future__ import annotations

import os
import shutil
from datetime import date

import duckdb
import pytest

from etl import calendar


def test_build_writes_every_period_of_the_calendar(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT period, start_date, end_date, basis FROM meta.calendar "
                           "ORDER BY period").fetchall()
    assert rows == sorted((p.name, p.start, p.end, p.basis) for p in calendar.PERIODS)
    # the two concepts that used to disagree (2014 vs 2016) are both named, with a basis
    assert calendar.ELIGIBILITY.start == date(2014, 1, 1)
    assert "1303/2013" in calendar.ELIGIBILITY.basis
    assert calendar.DATA.start == date(2016, 1, 1)


def test_app_and_marts_follow_the_calendar(app, warehouse):
    from dashboards.queries import common, reporting

    assert common.data_years() == calendar.DATA.years
    assert common.as_year(str(calendar.DATA.start.year)) == calendar.DATA.start.year
    assert common.as_year(str(calendar.DATA.start.year - 1)) is None
    assert common.year_bounds(None) == (calendar.DATA.start, calendar.DATA.end)
    assert reporting.app_eligibility() == (calendar.ELIGIBILITY.start, calendar.ELIGIBILITY.end)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        years = con.execute("SELECT min(year), max(year) FROM mart.indicator_progress").fetchone()
        months = con.execute("SELECT min(month) FROM mart.project_finance_monthly").fetchone()
        temporal = con.execute("SELECT DISTINCT temporal_start FROM meta.datasets "
                               "WHERE domain = 'programme'").fetchall()
    assert years == (calendar.ELIGIBILITY.start.year, calendar.ELIGIBILITY.end.year)
    assert months[0] == calendar.DATA.start
    assert temporal == [(calendar.ELIGIBILITY.start,)]


@pytest.fixture
def shifted_warehouse(app, warehouse, tmp_path):
    """A copy of the demo warehouse whose calendar says other years (and its own build id,
    so no cached answer of the session warehouse is reused)."""
    from dashboards import warehouse as door

    copy = tmp_path / "shifted.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE meta.calendar SET start_date = DATE '2018-01-01' "
                    "WHERE period = 'data'")
        con.execute("UPDATE meta.calendar SET start_date = DATE '2015-01-01' "
                    "WHERE period = 'eligibility'")
        con.execute("UPDATE meta.build SET build_id = build_id || '-shifted'")
    before = os.environ["PONMETRO_WAREHOUSE"]
    os.environ["PONMETRO_WAREHOUSE"] = str(copy)
    door.reset()
    yield copy
    os.environ["PONMETRO_WAREHOUSE"] = before
    door.reset()


def test_the_app_reads_the_calendar_from_the_warehouse_not_from_etl(shifted_warehouse):
    from dashboards.queries import common, reporting

    assert common.data_years() == range(2018, 2024)
    assert common.as_year("2017") is None and common.as_year("2018") == 2018
    assert reporting.app_eligibility()[0] == date(2015, 1, 1)
    with pytest.raises(reporting.AsOfError, match="2015-01-01 to 2023-12-31"):
        reporting.parse_as_of("2014-06-30", reporting.app_eligibility())


def test_a_warehouse_without_a_calendar_is_refused_by_the_eu_export(warehouse, tmp_path):
    from dashboards.reporting.export import ReportError, export_eu_report

    copy = tmp_path / "old.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DROP TABLE meta.calendar")
    with pytest.raises(ReportError, match=r"meta\.calendar missing"):
        export_eu_report(copy, date(2020, 1, 1), tmp_path / "out")
