"""Query-layer values against an independent computation on the warehouse.

The browser tests only count the charts these queries feed (grants, housing by NIL, the
renovation pipeline, project indicators, bed occupancy, finance by axis, the bay heatmap).
Here each query's answer is recomputed in Polars from the mart tables, read through a
separate read-only connection, so a wrong join, filter or aggregate fails by value.
"""

from __future__ import annotations

import bisect
import datetime as dt

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal


@pytest.fixture(scope="module")
def table(warehouse):
    """``table("mart.x")``: the whole mart as a Polars frame, read outside the app's door."""
    con = duckdb.connect(str(warehouse), read_only=True)
    seen: dict[str, pl.DataFrame] = {}

    def read(name: str) -> pl.DataFrame:
        if name not in seen:
            seen[name] = con.sql(f"SELECT * FROM {name}").pl()
        return seen[name]

    yield read
    con.close()


def same(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Equal values in the same order; integer widths and float rounding may differ."""
    assert got.height > 0, "the query returned nothing: the comparison would prove nothing"
    assert_frame_equal(got, want, check_dtypes=False, rel_tol=1e-9, abs_tol=1e-6)


def test_grants_by_neighbourhood(app, table):
    from dashboards.queries import social

    grants = table("mart.grants")
    codes = sorted(grants["project_code"].unique())
    assert len(codes) >= 2
    for code in codes:
        want = (grants.filter((pl.col("project_code") == code) & pl.col("awarded_on").is_not_null())
                .with_columns(pl.col("neighbourhood").fill_null("–"),
                              ("phase " + pl.col("phase").cast(pl.String)).fill_null("–")
                              .alias("phase"))
                .group_by("neighbourhood", "phase")
                .agg(pl.len().alias("grants"), pl.col("amount_eur").sum())
                .sort("neighbourhood", "phase"))
        same(social.grants_by_neighbourhood(code), want)


@pytest.mark.parametrize("municipio", [None, 3])
def test_housing_units_by_nil(app, table, municipio):
    from dashboards.queries import housing

    nil = table("mart.nil").select("nil_id", pl.col("name").alias("nil_name"), "municipio_id")
    if municipio is not None:
        nil = nil.filter(pl.col("municipio_id") == municipio)
    units = table("mart.housing_units_by_nil")
    for status in housing.STATUSES:
        per_nil = units.group_by("nil_id").agg(
            pl.col("units").filter(pl.col("status") == status).sum().alias("units"),
            pl.col("units").sum().alias("all_units"))
        want = (nil.join(per_nil, on="nil_id", how="left")
                .with_columns(pl.col("units", "all_units").fill_null(0)).sort("nil_id"))
        got = housing.units_by_nil(status, municipio)
        same(got, want)
        assert got["units"].sum() > 0, status


@pytest.mark.parametrize("municipio, code", [(None, None), (3, None), (None, "MI4.1.1.c")])
def test_renovation_pipeline(app, table, municipio, code):
    from dashboards.queries import housing

    works = table("mart.renovations").join(
        table("mart.housing_complexes").select("complex_id", "municipio_id"),
        on="complex_id", how="left")
    if municipio is not None:
        works = works.filter(pl.col("municipio_id") == municipio)
    if code is not None:
        works = works.filter(pl.col("project_code") == code)
    want = (works.group_by("project_code", "stage")
            .agg(pl.len().alias("works"), pl.col("cost_eur").sum())
            .sort("project_code", "stage"))
    same(housing.renovation_pipeline(municipio, code), want)


def test_project_indicators(app, table):
    from dashboards.queries import programme

    values = table("mart.indicator_values")
    indicators = table("mart.indicators").select("indicator_code", "name_it", "name_en", "unit",
                                                 "target_2023")
    codes = sorted(values["project_code"].unique())
    assert len(codes) >= 5
    for code in codes:
        latest = (values.filter(pl.col("project_code") == code)
                  .sort("year", "reported_on", descending=True)
                  .group_by("indicator_code", "series", maintain_order=True).first())
        selected = latest.filter(pl.col("series") == "S").select(
            "indicator_code", pl.col("value").alias("selected"))
        achieved = latest.filter(pl.col("series") == "F").select(
            "indicator_code", pl.col("value").alias("achieved"), "year")
        want = (latest.select("indicator_code").unique()
                .join(indicators, on="indicator_code")
                .join(selected, on="indicator_code", how="left")
                .join(achieved, on="indicator_code", how="left")
                .with_columns(pl.when(pl.col("selected") > 0)
                              .then(pl.col("achieved") / pl.col("selected"))
                              .alias("pct_of_selected"))
                .sort("indicator_code"))
        same(programme.project_indicators(code), want)


@pytest.mark.parametrize("municipio, year, code", [
    (None, None, None), (None, 2022, None), (5, 2023, None), (None, None, "MI4.1.1.b")])
def test_bed_occupancy_monthly(app, table, municipio, year, code):
    from dashboards.queries import social

    days = table("mart.bed_occupancy_daily").join(
        table("mart.social_sites").select("site_id", pl.col("name").alias("site"),
                                          "municipio_id", "project_code"), on="site_id")
    if municipio is not None:
        days = days.filter(pl.col("municipio_id") == municipio)
    if code is not None:
        days = days.filter(pl.col("project_code") == code)
    if year is not None:
        days = days.filter(pl.col("date").dt.year() == year)
    want = (days.group_by(pl.col("date").dt.truncate("1mo").alias("month"), "site_id", "site")
            .agg(pl.col("beds_available").mean(), pl.col("occupancy_rate").mean())
            .sort("month", "site"))
    same(social.bed_occupancy_monthly(municipio, year, code), want)


@pytest.mark.parametrize("as_of", [dt.date(2019, 6, 15), dt.date(2023, 12, 31)])
def test_finance_by_axis(app, table, as_of):
    """Cumulative commitments and payments per axis at each month end (or the as-of day)."""
    from dashboards.queries import reporting

    moves = table("mart.financial_transactions").sort("date")
    first = moves["date"].min().replace(day=1)
    months = pl.date_range(first, as_of.replace(day=1), "1mo", eager=True).to_list()
    rows = []
    for axis in table("mart.axes").sort("axis_id").iter_rows(named=True):
        mine = moves.filter(pl.col("axis_id") == axis["axis_id"])
        running = {}
        for kind in ("commitment", "payment"):
            part = mine.filter(pl.col("kind") == kind)
            sums = part["amount_eur"].cum_sum().to_list()
            running[kind] = (part["date"].to_list(), sums)
        for month in months:
            next_month = (month + dt.timedelta(days=32)).replace(day=1)
            cutoff = min(next_month - dt.timedelta(days=1), as_of)
            cum = {}
            for kind, (dates, sums) in running.items():
                n = bisect.bisect_right(dates, cutoff)
                cum[kind] = round(sums[n - 1], 2) if n else 0.0
            rows.append({"axis_id": axis["axis_id"], "month": month, "cutoff": cutoff,
                         "allocation_eur": axis["allocation_eur"],
                         "committed_cum_eur": cum["commitment"], "paid_cum_eur": cum["payment"]})
    got = reporting.cached_finance_by_axis(as_of.isoformat())
    same(got, pl.DataFrame(rows))
    assert got["paid_cum_eur"].max() > 0


@pytest.mark.parametrize("area, municipio, code", [
    (None, None, None), ("first", None, None), (None, 5, None), (None, None, "MI2.2.3.b")])
def test_bay_heatmap(app, table, area, municipio, code):
    from dashboards.queries import mobility

    areas = table("mart.mobility_areas")
    if area == "first":
        area = areas["area_id"].min()
    cells = table("mart.bay_occupancy_heatmap").join(
        areas.select("area_id", "municipio_id", "project_code"), on="area_id")
    if area is not None:
        cells = cells.filter(pl.col("area_id") == area)
    if municipio is not None:
        cells = cells.filter(pl.col("municipio_id") == municipio)
    if code is not None:
        cells = cells.filter(pl.col("project_code") == code)
    want = (cells.group_by("weekday", "hour_of_day").agg(pl.col("occupancy_rate").mean())
            .sort("weekday", "hour_of_day"))
    same(mobility.bay_heatmap(area, municipio, code), want)
