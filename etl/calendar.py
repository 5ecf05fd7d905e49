"""The programme calendar: every date range the code uses, named once, with its basis.

Two ranges that used to be confused (2014 in one place, 2016 in another) are
different concepts, and both are kept on purpose:

* the **eligibility period** 2014-01-01..2023-12-31 is fixed by law (Reg. (EU)
  1303/2013 art. 65(2)): expenditure counts for PON Metro 2014-2020 when paid in
  it. EU reporting (as-of dates, indicator years) and the catalogue's temporal
  coverage of programme datasets use it;
* the **data years** 2016-2023 are the years Milan's operations have data: the
  first operations of the Milan plan were selected in 2016, so the dashboards'
  year filters, monthly series and the demo generator start there.

The build writes the calendar into ``meta.calendar``; the app reads it from the
warehouse (never from this module), so app and data cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl


@dataclass(frozen=True)
class Period:
    """A named date range and why it has these bounds."""

    name: str
    start: date
    end: date
    basis: str

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)


ELIGIBILITY = Period(
    "eligibility", date(2014, 1, 1), date(2023, 12, 31),
    "Eligibility of expenditure of the 2014-2020 programmes, Reg. (EU) 1303/2013 art. 65(2)")
DATA = Period(
    "data", date(2016, 1, 1), date(2023, 12, 31),
    "Years with data of the Milan plan's operations (first operations selected in 2016) up "
    "to the end of eligibility")
TELEMETRY = Period(
    "telemetry", date(2023, 1, 1), date(2023, 12, 31),
    "Published coverage of the mobility telemetry datasets; the demo telemetry ends on the "
    "last day")

PERIODS: tuple[Period, ...] = (ELIGIBILITY, DATA, TELEMETRY)


def write_meta(con: duckdb.DuckDBPyConnection) -> None:
    """``meta.calendar``: one row per period, read by the app's query layer."""
    frame = pl.DataFrame(
        [{"period": p.name, "start_date": p.start, "end_date": p.end, "basis": p.basis}
         for p in PERIODS],
        schema={"period": pl.String, "start_date": pl.Date, "end_date": pl.Date,
                "basis": pl.String})
    con.register("_calendar", frame.to_arrow())
    try:
        con.execute("CREATE TABLE meta.calendar AS SELECT * FROM _calendar")
    finally:
        con.unregister("_calendar")
