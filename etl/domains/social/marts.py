"""Social marts: sites placed by containment, usage and bed occupancy after disclosure control.

Raw counts stay in ``staging``; every published count goes through
``etl.suppression.suppress`` here, once, so charts, downloads and the API all
read the same protected numbers.
"""

from __future__ import annotations

import duckdb
import polars as pl

from etl.catalog import PROGRAMME_YEARS, SUPPRESSION_EN, SUPPRESSION_IT, Col, Dataset
from etl.checks import Error, Finding, enforce
from etl.domains.social.contracts import BEDS, SITES, SPECIAL_CATEGORY_GROUPS, USAGE
from etl.marts import Mart, create, sql_list
from etl.suppression import (
    PRIMARY_THRESHOLD,
    SPECIAL_CATEGORY_THRESHOLD,
    DisclosureError,
    recoverable,
    suppress,
)

USAGE_DIMS = ("month", "municipio_id", "service", "beneficiary_group")


#: Cross-column and cross-file rules a per-column contract cannot express.
CHECKS = (
    Error(SITES, "capacity_unit", "(capacity IS NULL) <> (capacity_unit IS NULL)",
          "capacity and capacity_unit must be both given or both empty"),
    Error(BEDS, "beds_occupied", "beds_occupied > beds_available",
          "{beds_occupied} occupied is more than the {beds_available} beds available"),
    Error(BEDS, "site_id", "site_id NOT IN (SELECT site_id FROM staging.social_sites "
          "WHERE capacity_unit = 'beds' AND site_id IS NOT NULL)",
          "site {site_id} has no capacity in beds in social/sites.csv"),
    Finding(BEDS, "beds_available", "more beds available than the site capacity",
            "beds_available > (SELECT s.capacity FROM staging.social_sites s "
            "WHERE s.site_id = t.site_id)", sample="site_id"),
    Finding(USAGE, "month", "usage before the site's opened_on",
            "month < (SELECT date_trunc('month', s.opened_on) FROM staging.social_sites s "
            "WHERE s.site_id = t.site_id)", sample="site_id"),
)


def check_consistency(con: duckdb.DuckDBPyConnection, ctx) -> None:
    enforce(con, ctx, CHECKS)


#: Raw users summed to month x municipio x service x group (NULL municipio = outside).
USAGE_BY_MUNICIPIO = """
    SELECT u.month, s.municipio_id, u.service, u.beneficiary_group,
           CAST(sum(u.users) AS BIGINT) AS users
    FROM staging.social_usage_monthly u LEFT JOIN mart.social_sites s USING (site_id)
    GROUP BY ALL
    ORDER BY u.month, s.municipio_id NULLS LAST, u.service, u.beneficiary_group"""


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


MARTS = (
    Mart("social_sites", "Service sites placed in their NIL and municipio.", """
        SELECT site_id, name, site_type, capacity, capacity_unit, address, lon, lat,
               nil_of(lon, lat) AS nil_id, municipio_of(lon, lat) AS municipio_id,
               project_code, opened_on
        FROM staging.social_sites ORDER BY site_id""",
        dataset=Dataset(
            id="social-sites", theme="SOCI",
            frequency="QUARTERLY", axis=3, temporal=PROGRAMME_YEARS,
            title_it="Sedi dei servizi sociali del programma",
            title_en="Social service sites of the programme",
            description_it="Sedi dei servizi (accoglienza, spazi multifunzionali, docce "
                           "pubbliche, agenzie) con tipo, capacità e localizzazione.",
            description_en="Service sites (shelters, multifunctional spaces, public showers, "
                           "agencies) with type, capacity and location.",
            keywords=("servizi sociali", "accoglienza", "inclusione sociale"),
            columns=("site_id", "name",
                     Col("site_type", "Tipo di sede", "Site type"),
                     Col("capacity", "Capacità", "Capacity"),
                     Col("capacity_unit", "Unità della capacità (es. posti letto)",
                         "Capacity unit (e.g. beds)"),
                     "address", "lon", "lat", "nil_id", "municipio_id", "project_code"),
            order_by=("site_id",), lon="lon", lat="lat")),
    Mart("social_usage_monthly", "Users per month, municipio, service and beneficiary "
         "group, after primary and secondary suppression.", USAGE_BY_MUNICIPIO,
         protect=protect_usage,
        dataset=Dataset(
            id="social-usage-monthly",
            theme="SOCI", frequency="MONTHLY", axis=3, temporal=PROGRAMME_YEARS,
            suppressed=True,
            title_it="Utenti dei servizi sociali per mese (aggregati protetti)",
            title_en="Social service users by month (protected aggregates)",
            description_it="Utenti per mese, municipio, servizio e gruppo di beneficiari. "
                           + SUPPRESSION_IT,
            description_en="Users by month, municipio, service and beneficiary group. "
                           + SUPPRESSION_EN,
            keywords=("servizi sociali", "utenti", "inclusione sociale", "aggregati"),
            columns=("month", "municipio_id",
                     Col("service", "Servizio", "Service"),
                     Col("beneficiary_group", "Gruppo di beneficiari", "Beneficiary group"),
                     Col("users", "Utenti (vuoto se oscurato)", "Users (empty when suppressed)",
                         "persons"),
                     "flag"),
            order_by=("month", "municipio_id", "service", "beneficiary_group"))),
    # The suppression of social_usage_monthly already treats these totals as published
    # (third margin of USAGE_MARGINS). A total is itself suppressed when it is a small
    # count (below the highest threshold of its cells) or when its only cell is
    # suppressed (the total would then be that cell).
    Mart("social_usage_total_monthly", "Users per month and service over all sites, "
         "protected like the cells.", f"""
        WITH raw AS ({USAGE_BY_MUNICIPIO}),
        totals AS (
            SELECT r.month, r.service, CAST(sum(r.users) AS BIGINT) AS users,
                   max(CASE WHEN r.beneficiary_group IN
                                 (SELECT unnest({sql_list(SPECIAL_CATEGORY_GROUPS)}))
                            THEN {SPECIAL_CATEGORY_THRESHOLD}
                            ELSE {PRIMARY_THRESHOLD} END) AS threshold,
                   count(*) AS cells, count(*) FILTER (WHERE p.flag = 'c') AS hidden
            FROM raw r JOIN mart.social_usage_monthly p
              ON p.month = r.month AND p.municipio_id IS NOT DISTINCT FROM r.municipio_id
             AND p.service = r.service AND p.beneficiary_group = r.beneficiary_group
            GROUP BY ALL),
        judged AS (
            SELECT *, (users >= 1 AND users < threshold) OR (cells = 1 AND hidden = 1)
                          AS hide
            FROM totals)
        SELECT month, service, CASE WHEN hide THEN NULL ELSE users END AS users,
               CASE WHEN hide THEN 'c' END AS flag
        FROM judged ORDER BY month, service""",
        dataset=Dataset(
            id="social-usage-total-monthly", theme="SOCI", frequency="MONTHLY", axis=3, temporal=PROGRAMME_YEARS,
            suppressed=True,
            title_it="Utenti dei servizi sociali per mese e servizio, totale città "
                     "(aggregati protetti)",
            title_en="Social service users by month and service, city total "
                     "(protected aggregates)",
            description_it="Totale cittadino degli utenti per mese e servizio: è uno dei totali "
                           "di cui la soppressione secondaria tiene conto, quindi non rivela celle "
                           "oscurate del dataset per municipio. I totali tra servizi diversi non "
                           "si sommano (una persona può usare più servizi). " + SUPPRESSION_IT,
            description_en="City-wide users by month and service: one of the totals the secondary "
                           "suppression protects, so it reveals no hidden cell of the per-municipio "
                           "dataset. Totals across services do not add up (one person may use "
                           "several services). " + SUPPRESSION_EN,
            keywords=("servizi sociali", "utenti", "inclusione sociale", "aggregati", "totali"),
            columns=("month",
                     Col("service", "Servizio", "Service"),
                     Col("users", "Utenti (vuoto se oscurato)", "Users (empty when suppressed)",
                         "persons"),
                     "flag"),
            order_by=("month", "service"))),
    Mart("social_bed_occupancy_daily", "Beds available and occupied per site and night, "
         "1-4 occupied beds suppressed.", """
        SELECT date, site_id, beds_available, beds_occupied
        FROM staging.social_bed_occupancy_daily ORDER BY date, site_id""",
         protect=lambda beds: protect_beds(beds).select(
             "date", "site_id", "beds_available", "beds_occupied", "flag",
             "occupancy_rate"),
        dataset=Dataset(
            id="bed-occupancy-daily",
            theme="SOCI", frequency="DAILY", axis=3, temporal=PROGRAMME_YEARS,
            suppressed=True,
            title_it="Occupazione giornaliera dei posti letto",
            title_en="Daily bed occupancy",
            description_it="Posti letto disponibili e occupati per sede e giorno. "
                           + SUPPRESSION_IT,
            description_en="Available and occupied beds by site and day. " + SUPPRESSION_EN,
            keywords=("posti letto", "accoglienza", "senza dimora", "occupazione"),
            columns=("date", "site_id",
                     Col("beds_available", "Posti letto disponibili", "Beds available", "beds"),
                     Col("beds_occupied", "Posti letto occupati (vuoto se oscurato)",
                         "Beds occupied (empty when suppressed)", "beds"),
                     "flag",
                     Col("occupancy_rate", "Tasso di occupazione (0-1)", "Occupancy rate (0-1)",
                         "ratio")),
            order_by=("date", "site_id"))),
)


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Check the cross-file rules, then build ``MARTS``."""
    check_consistency(con, ctx)
    create(con, ctx, MARTS)
