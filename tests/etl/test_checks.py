"""Cross-column rules as data (etl/checks.py): errors name file, row and column; findings count."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from etl.build import BuildContext
from etl.checks import Error, Finding, enforce
from etl.contracts import Column, Contract
from etl.validate import LandingError

T = Contract(name="t_works", path="t/works.csv", format="csv", description="t", source="t",
             columns=(Column("work_id", "int"), Column("start", "date"),
                      Column("end", "date", nullable=True)))
FRAME = pl.DataFrame({"work_id": [1, 2, 3, 4], "start": [date(2020, 1, 1)] * 4,
                      "end": [date(2020, 2, 1), None, date(2019, 1, 1), date(2019, 6, 1)]})


def ctx(landing: Path) -> BuildContext:
    return BuildContext(landing=landing, build_id="t", built_at=datetime(2021, 1, 1, tzinfo=UTC),
                        manifest={})


def test_error_names_the_first_offending_row_as_landed(tmp_path, staged):
    rule = Error(T, "end", '"end" < start', "{value} is before start (work {work_id})")
    with pytest.raises(LandingError) as err:
        enforce(staged(t_works=FRAME), ctx(tmp_path), (rule,))
    assert str(err.value) == (f"{tmp_path / 't/works.csv'}, row 4, column 'end': "
                              "2019-01-01 is before start (work 3)")


def test_rules_run_in_order_and_today_is_the_build_date(tmp_path, staged):
    later = Error(T, "end", '"end" < start', "before start")
    future = Error(T, "start", "start > $today", "{value} is in the future")
    con = staged(t_works=FRAME.with_columns(pl.lit(date(2022, 1, 1)).alias("start")))
    with pytest.raises(LandingError, match="2022-01-01 is in the future") as err:
        enforce(con, ctx(tmp_path), (future, later))
    assert err.value.row == 2
    enforce(staged(t_works=FRAME), ctx(tmp_path), (future,))  # 2020 is not after 2021


def test_finding_counts_rows_and_lists_sorted_distinct_values(tmp_path, staged):
    many = pl.DataFrame({"work_id": list(range(30, 0, -1)) + [5],
                         "start": [date(2020, 1, 1)] * 31, "end": [None] * 31})
    c = ctx(tmp_path)
    enforce(staged(t_works=many), c, (Finding(T, "end", "no end yet", '"end" IS NULL',
                                              sample="work_id"),))
    assert c.findings == [{"contract": "t_works", "file": str(tmp_path / "t/works.csv"),
                           "column": "end", "check": "no end yet", "rows": 31,
                           "values": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"}]


def test_nothing_to_report_adds_nothing(tmp_path, staged):
    c = ctx(tmp_path)
    enforce(staged(t_works=FRAME), c, (Finding(T, "end", "x", "work_id > 99", sample="work_id"),))
    assert c.findings == []


def test_row_numbers_need_a_single_landing_file():
    parts = Contract(name="p", path="p/*.csv", format="csv", description="t", source="t",
                     columns=(Column("a", "int"),))
    with pytest.raises(ValueError, match="single landing file"):
        Error(parts, "a", "a < 0", "negative")


def test_summary_line_counts_findings_and_says_where_they_are():
    from etl.checks import summary_line

    assert summary_line([]) is None
    one = summary_line([{"contract": "mobility_trips", "rows": 1}])
    assert one.startswith("note: 1 data-quality finding (1 rows; mobility_trips) recorded in "
                          "meta.quality")
    many = summary_line([{"contract": "b", "rows": 1200}, {"contract": "a", "rows": 3},
                         {"contract": "b", "rows": 0}])
    assert many.startswith("note: 3 data-quality findings (1,203 rows; a, b) ")
    assert "`ponmetro quality`" in many and "/data/<id>" in many
