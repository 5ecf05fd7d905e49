"""Social marts: sites placed by containment, usage and bed occupancy after disclosure control.

Raw counts stay in ``staging``; every published count goes through
``etl.suppression.suppress`` here, once, so charts, downloads and the API all
read the same protected numbers.
"""

from __future__ import annotations

import duckdb
import polars as pl

from etl.domains.social.contracts import BEDS, SITES, SPECIAL_CATEGORY_GROUPS, USAGE
from etl.suppression import (
    PRIMARY_THRESHOLD,
    SPECIAL_CATEGORY_THRESHOLD,
    DisclosureError,
    recoverable,
    suppress,
)
from etl.validate import LandingError

USAGE_DIMS = ("month", "municipio_id", "service", "beneficiary_group")


def _first_bad(ctx, contract, frame: pl.DataFrame, mask: pl.Expr, column: str,
               message: str) -> None:
    """Raise a LandingError at the first row of ``frame`` (as landed) matching ``mask``."""
    bad = frame.with_row_index("__i").filter(mask)
    if not bad.is_empty():
        raise LandingError(ctx.landing / contract.path,
                           message.format(**bad.row(0, named=True)),
                           row=int(bad["__i"][0]) + 2, column=column)


def check_consistency(ctx, sites: pl.DataFrame, usage: pl.DataFrame,
                      beds: pl.DataFrame) -> None:
    """Cross-column and cross-file rules a per-column contract cannot express."""
    _first_bad(ctx, SITES, sites,
               pl.col("capacity").is_null() != pl.col("capacity_unit").is_null(),
               "capacity_unit", "capacity and capacity_unit must be both given or both empty")
    _first_bad(ctx, BEDS, beds, pl.col("beds_occupied") > pl.col("beds_available"),
               "beds_occupied", "{beds_occupied} occupied is more than the "
               "{beds_available} beds available")
    bedded = sites.filter(pl.col("capacity_unit") == "beds")["site_id"]
    _first_bad(ctx, BEDS, beds, ~pl.col("site_id").is_in(bedded.implode()), "site_id",
               "site {site_id} has no capacity in beds in social/sites.csv")
    over = (beds.join(sites.select("site_id", "capacity"), on="site_id")
            .filter(pl.col("beds_available") > pl.col("capacity")))
    if not over.is_empty():
        ctx.findings.append({
            "contract": BEDS.name, "file": str(ctx.landing / BEDS.path),
            "column": "beds_available", "check": "more beds available than the site capacity",
            "rows": over.height,
            "values": ", ".join(map(str, over["site_id"].unique().sort().head(10)))})
    early = usage.join(sites.select("site_id", "opened_on"), on="site_id").filter(
        pl.col("month") < pl.col("opened_on").dt.truncate("1mo"))
    if not early.is_empty():
        ctx.findings.append({
            "contract": USAGE.name, "file": str(ctx.landing / USAGE.path), "column": "month",
            "check": "usage before the site's opened_on", "rows": early.height,
            "values": ", ".join(map(str, early["site_id"].unique().sort().head(10)))})


def usage_by_municipio(usage: pl.DataFrame, sites: pl.DataFrame) -> pl.DataFrame:
    """Raw users summed to month x municipio x service x group (NULL municipio = outside)."""
    return (usage.join(sites.select("site_id", "municipio_id"), on="site_id", how="left")
            .group_by(*USAGE_DIMS)
            .agg(pl.col("users").sum().cast(pl.Int64))
            .sort(*USAGE_DIMS, nulls_last=True))


#: Totals a reader can form or that the city publishes: all groups of a service in a
#: municipio (row), all municipi of a service and group (area), and all cells of a
#: service (published in mart.social_usage_total_monthly). Users are not additive
#: across services (one person sleeps, eats and showers), so no total across
#: services is ever published and none is protected against.
USAGE_MARGINS = (("month", "municipio_id", "service"),
                 ("month", "service", "beneficiary_group"),
                 ("month", "service"))


def protect_usage(raw: pl.DataFrame) -> pl.DataFrame:
    """Suppress the usage aggregate: threshold 5, 10 for special categories, per month.

    Fails closed: if the exact audit finds any recoverable cell, the build stops
    rather than publish it.
    """
    with_threshold = raw.with_columns(
        pl.when(pl.col("beneficiary_group").is_in(SPECIAL_CATEGORY_GROUPS))
        .then(SPECIAL_CATEGORY_THRESHOLD).otherwise(PRIMARY_THRESHOLD).alias("__threshold"))
    out = suppress(with_threshold, "users", USAGE_DIMS, partition=("month",),
                   margins=USAGE_MARGINS, threshold="__threshold").drop("__threshold")
    exposed = recoverable(out, USAGE_DIMS, partition=("month",), margins=USAGE_MARGINS)
    if exposed.any():
        first = out.filter(exposed).row(0, named=True)
        raise DisclosureError(f"social usage: {int(exposed.sum())} suppressed cell(s) could be "
                              f"recomputed from totals, e.g. {first['month']} municipio "
                              f"{first['municipio_id']} {first['service']}")
    return out


def usage_totals(raw: pl.DataFrame, protected: pl.DataFrame) -> pl.DataFrame:
    """Users per month and service over all sites, protected like the cells.

    The suppression of ``protected`` already treats these totals as published
    (third margin of ``USAGE_MARGINS``). A total is itself suppressed when it is
    a small count (below the highest threshold of its cells) or when its only
    cell is suppressed (the total would then be that cell).
    """
    special = pl.col("beneficiary_group").is_in(SPECIAL_CATEGORY_GROUPS)
    cells = raw.join(protected.select(*USAGE_DIMS, "flag"), on=list(USAGE_DIMS),
                     nulls_equal=True)
    totals = cells.group_by("month", "service").agg(
        pl.col("users").sum().cast(pl.Int64),
        pl.when(special).then(SPECIAL_CATEGORY_THRESHOLD).otherwise(PRIMARY_THRESHOLD)
        .max().alias("__threshold"),
        pl.len().alias("__cells"),
        (pl.col("flag") == "c").sum().alias("__hidden"))
    hide = (((pl.col("users") >= 1) & (pl.col("users") < pl.col("__threshold")))
            | ((pl.col("__cells") == 1) & (pl.col("__hidden") == 1)))
    return (totals.with_columns(
        pl.when(hide).then(None).otherwise(pl.col("users")).alias("users"),
        pl.when(hide).then(pl.lit("c")).otherwise(pl.lit(None, dtype=pl.String)).alias("flag"))
        .select("month", "service", "users", "flag")
        .sort("month", "service"))


def protect_beds(beds: pl.DataFrame) -> pl.DataFrame:
    """Suppress 1-4 occupied beds (and the rate that would reveal them).

    The table publishes no totals of its own (each row is one site and night),
    so only primary suppression applies; sums over sites made from the
    published rows are lower bounds.
    """
    out = suppress(beds, "beds_occupied", ("date", "site_id"), partition=("date",),
                   margins=[])
    return out.with_columns(
        pl.when(pl.col("beds_available") > 0)
        .then(pl.col("beds_occupied") / pl.col("beds_available"))
        .otherwise(None).alias("occupancy_rate"))


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Build mart.social_sites, mart.social_usage_(total_)monthly, mart.bed_occupancy_daily."""
    sites = con.sql("SELECT * FROM staging.social_sites").pl()
    usage = con.sql("SELECT * FROM staging.social_usage_monthly").pl()
    beds = con.sql("SELECT * FROM staging.social_bed_occupancy_daily").pl()
    check_consistency(ctx, sites, usage, beds)

    placed = (ctx.geo.with_areas(sites)
              .select("site_id", "name", "site_type", "capacity", "capacity_unit", "address",
                      "lon", "lat", "nil_id", "municipio_id", "project_code", "opened_on")
              .sort("site_id"))
    ctx.write_table(con, "mart.social_sites", placed)
    raw = usage_by_municipio(usage, placed)
    protected = protect_usage(raw)
    ctx.write_table(con, "mart.social_usage_monthly", protected)
    ctx.write_table(con, "mart.social_usage_total_monthly", usage_totals(raw, protected))
    ctx.write_table(con, "mart.bed_occupancy_daily",
                    protect_beds(beds.sort("date", "site_id"))
                    .select("date", "site_id", "beds_available", "beds_occupied", "flag",
                            "occupancy_rate"))
