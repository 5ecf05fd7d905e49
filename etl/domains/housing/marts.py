"""Housing marts: ERP complexes, units, renovations and monthly vacancy, placed by containment."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from etl.calendar import DATA
from etl.domains.housing.contracts import ASSIGNMENTS, RENOVATIONS, STATUSES, UNITS
from etl.validate import LandingError


def _first_bad(ctx, contract, frame: pl.DataFrame, mask: pl.Expr, column: str,
               message: str) -> None:
    """Raise a LandingError at the first row of ``frame`` (as landed) matching ``mask``."""
    bad = frame.with_row_index("__i").filter(mask)
    if not bad.is_empty():
        row = int(bad["__i"][0]) + 2
        value = bad[column][0]
        raise LandingError(ctx.landing / contract.path, message.format(value=value),
                           row=row, column=column)


def check_consistency(ctx, units: pl.DataFrame, works: pl.DataFrame,
                      assignments: pl.DataFrame) -> None:
    """Cross-column rules a per-column contract cannot express."""
    today = ctx.built_at.date() if ctx.built_at else date.today()
    _first_bad(ctx, UNITS, units,
               (pl.col("status") == "occupied") & pl.col("vacant_since").is_not_null(),
               "vacant_since", "{value} given for an occupied unit (leave it empty)")
    _first_bad(ctx, UNITS, units, pl.col("vacant_since") > pl.lit(today), "vacant_since",
               "{value} is in the future")
    _first_bad(ctx, RENOVATIONS, works, pl.col("end_date") < pl.col("start_date"), "end_date",
               "{value} is before start_date")
    _first_bad(ctx, RENOVATIONS, works,
               (pl.col("stage") == "completed") & pl.col("end_date").is_null(), "end_date",
               "empty for a completed work (stage 'completed' needs end_date)")
    _first_bad(ctx, ASSIGNMENTS, assignments,
               pl.col("vacant_from") > pl.col("assigned_on"), "vacant_from",
               "{value} is after assigned_on")
    _first_bad(ctx, ASSIGNMENTS, assignments, pl.col("assigned_on") > pl.lit(today),
               "assigned_on", "{value} is in the future")
    missing = units.filter((pl.col("status") != "occupied") & pl.col("vacant_since").is_null())
    if not missing.is_empty():
        ctx.findings.append({
            "contract": UNITS.name, "file": str(ctx.landing / UNITS.path),
            "column": "vacant_since", "check": "empty for a unit that is not occupied",
            "rows": missing.height,
            "values": ", ".join(map(str, missing["unit_id"].head(10).to_list()))})


def vacancy_spells(units: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame:
    """Periods without a tenant: closed by an assignment, or still open at the extract."""
    closed = assignments.filter(pl.col("vacant_from").is_not_null()).select(
        "unit_id", pl.col("vacant_from").alias("start"), pl.col("assigned_on").alias("end"))
    still_open = units.filter(pl.col("vacant_since").is_not_null()).select(
        "unit_id", pl.col("vacant_since").alias("start"),
        pl.lit(None, dtype=pl.Date).alias("end"))
    return pl.concat([closed, still_open])


def vacancy_monthly(units: pl.DataFrame, assignments: pl.DataFrame,
                    start: date = DATA.start, end: date = DATA.end) -> pl.DataFrame:
    """Vacant units at each month end and assignments in each month, per municipio.

    A unit counts as vacant in a month when a vacancy spell covers the month's
    last day: it became vacant on or before that day and was not yet re-let.
    """
    months = pl.DataFrame({"month": pl.date_range(start, end, "1mo", eager=True)})
    first, last = months["month"].min(), months["month"].max()
    areas = units.select("unit_id", "municipio_id")
    # A spell covers month m's last day iff month(start) <= m < month(end): count it
    # with +1 at its first month and -1 at its end month, then a running sum.
    # Linear in spells, so it scales to a city-size stock.
    spells = (vacancy_spells(units, assignments).join(areas, on="unit_id")
              .with_columns(pl.col("start").dt.truncate("1mo"),
                            pl.col("end").dt.truncate("1mo"))
              .filter((pl.col("start") <= last)
                      & (pl.col("end").is_null() | (pl.col("end") > first))
                      & (pl.col("end").is_null() | (pl.col("end") > pl.col("start")))))
    events = pl.concat([
        spells.select(pl.max_horizontal(pl.col("start"), pl.lit(first)).alias("month"),
                      "municipio_id", pl.lit(1).alias("delta")),
        spells.filter(pl.col("end").is_not_null() & (pl.col("end") <= last))
        .select(pl.col("end").alias("month"), "municipio_id", pl.lit(-1).alias("delta")),
    ]).group_by("month", "municipio_id").agg(pl.col("delta").sum())
    municipi = units.select("municipio_id").unique()
    grid = months.join(municipi, how="cross")
    vacant = (grid.join(events, on=["month", "municipio_id"], how="left", nulls_equal=True)
              .with_columns(pl.col("delta").fill_null(0))
              .sort("month")
              .with_columns(pl.col("delta").cum_sum().over("municipio_id")
                            .cast(pl.Int64).alias("vacant_units"))
              .drop("delta"))
    assigned = (assignments.join(areas, on="unit_id")
                .with_columns(pl.col("assigned_on").dt.truncate("1mo").alias("month"))
                .group_by("month", "municipio_id")
                .agg(pl.len().cast(pl.Int64).alias("assigned_units")))
    return (vacant
            .join(assigned, on=["month", "municipio_id"], how="left", nulls_equal=True)
            .with_columns(pl.col("assigned_units").fill_null(0))
            .sort("month", "municipio_id", nulls_last=True))


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Build mart.housing_* and mart.renovations from staging.housing_*."""
    complexes = con.sql("SELECT * FROM staging.housing_complexes").pl()
    units = con.sql("SELECT * FROM staging.housing_units").pl()
    works = con.sql("SELECT * FROM staging.housing_renovations").pl()
    assignments = con.sql("SELECT * FROM staging.housing_assignments").pl()
    check_consistency(ctx, units, works, assignments)

    placed = ctx.geo.with_areas(complexes)
    unit_counts = units.group_by("complex_id").agg(pl.len().cast(pl.Int64).alias("units"))
    mart_complexes = (placed.join(unit_counts, on="complex_id", how="left")
                      .with_columns(pl.col("units").fill_null(0))
                      .select("complex_id", "name", "address", "lon", "lat", "nil_id",
                              "municipio_id", "project_code", "units")
                      .sort("complex_id"))
    mart_units = (units.join(placed.select("complex_id", "nil_id", "municipio_id"),
                             on="complex_id", how="left")
                  .select("unit_id", "complex_id", "nil_id", "municipio_id", "floor",
                          "floor_area_m2", "rooms", "status", "accessible", "vacant_since",
                          "project_code")
                  .sort("unit_id"))

    nil = con.sql("SELECT nil_id, municipio_id FROM mart.nil").pl()
    statuses = pl.DataFrame({"status": list(STATUSES)})
    counted = (mart_units.group_by("nil_id", "municipio_id", "status")
               .agg(pl.len().cast(pl.Int64).alias("units")))
    grid = pl.concat([nil, counted.select("nil_id", "municipio_id")
                      .filter(pl.col("nil_id").is_null()).unique()]).join(statuses, how="cross")
    by_nil = (grid.join(counted, on=["nil_id", "municipio_id", "status"], how="left",
                        nulls_equal=True)
              .with_columns(pl.col("units").fill_null(0))
              .sort("nil_id", "status", nulls_last=True))

    mart_works = (works.join(units.select("unit_id", "complex_id"), on="unit_id", how="left")
                  .select("work_id", "unit_id", "complex_id", "project_code", "start_date",
                          "end_date", "cost_eur", "stage")
                  .sort("work_id"))

    ctx.write_table(con, "mart.housing_complexes", mart_complexes)
    ctx.write_table(con, "mart.housing_units", mart_units)
    ctx.write_table(con, "mart.housing_units_by_nil", by_nil)
    ctx.write_table(con, "mart.housing_vacancy_monthly",
                    vacancy_monthly(mart_units, assignments))
    ctx.write_table(con, "mart.renovations", mart_works)
