"""Housing marts: ERP complexes, units, renovations and monthly vacancy, placed by containment."""

from __future__ import annotations

import duckdb

from etl.calendar import DATA
from etl.catalog import PROGRAMME_YEARS, Col, Dataset
from etl.checks import Error, Finding, enforce
from etl.domains.housing.contracts import ASSIGNMENTS, RENOVATIONS, STATUSES, UNITS
from etl.marts import Mart, create, sql_list

#: Cross-column rules a per-column contract cannot express.
CHECKS = (
    Error(UNITS, "vacant_since", "status = 'occupied' AND vacant_since IS NOT NULL",
          "{value} given for an occupied unit (leave it empty)"),
    Error(UNITS, "vacant_since", "vacant_since > $today", "{value} is in the future"),
    Error(RENOVATIONS, "end_date", "end_date < start_date", "{value} is before start_date"),
    Error(RENOVATIONS, "end_date", "stage = 'completed' AND end_date IS NULL",
          "empty for a completed work (stage 'completed' needs end_date)"),
    Error(ASSIGNMENTS, "vacant_from", "vacant_from > assigned_on",
          "{value} is after assigned_on"),
    Error(ASSIGNMENTS, "assigned_on", "assigned_on > $today", "{value} is in the future"),
    Finding(UNITS, "vacant_since", "empty for a unit that is not occupied",
            "status <> 'occupied' AND vacant_since IS NULL", sample="unit_id"),
)

MARTS = (
    Mart("housing_complexes", "ERP complexes placed in their NIL and municipio, with the "
         "number of units of each.", """
        SELECT c.complex_id, c.name, c.address, c.lon, c.lat,
               nil_of(c.lon, c.lat) AS nil_id, municipio_of(c.lon, c.lat) AS municipio_id,
               c.project_code, coalesce(n.units, 0) AS units
        FROM staging.housing_complexes c
        LEFT JOIN (SELECT complex_id, count(*) AS units FROM staging.housing_units
                   GROUP BY complex_id) n USING (complex_id)
        ORDER BY c.complex_id""",
        dataset=Dataset(
            id="housing-complexes",
            theme="SOCI", frequency="QUARTERLY", axis=4, temporal=PROGRAMME_YEARS,
            title_it="Complessi di edilizia residenziale pubblica (ERP)",
            title_en="Public housing (ERP) complexes",
            description_it="Complessi ERP con localizzazione, numero di alloggi e progetto.",
            description_en="Public housing complexes with location, number of units and project.",
            keywords=("erp", "case popolari", "edilizia pubblica", "abitare"),
            columns=(Col("complex_id", "Identificativo del complesso", "Complex id"),
                     "name", "address", "lon", "lat", "nil_id", "municipio_id", "project_code",
                     Col("units", "Numero di alloggi", "Number of housing units", "units")),
            order_by=("complex_id",), lon="lon", lat="lat")),
    Mart("housing_units", "ERP units with the NIL and municipio of their complex (not "
         "published: unit-level records).", """
        SELECT u.unit_id, u.complex_id, c.nil_id, c.municipio_id, u.floor, u.floor_area_m2,
               u.rooms, u.status, u.accessible, u.vacant_since, u.project_code
        FROM staging.housing_units u LEFT JOIN mart.housing_complexes c USING (complex_id)
        ORDER BY u.unit_id"""),
    Mart("housing_units_by_nil", "Units per NIL and status; every NIL x status cell is "
         "present (0 when empty), units outside the city under an empty NIL.", f"""
        WITH counted AS (
            SELECT nil_id, municipio_id, status, count(*) AS units
            FROM mart.housing_units GROUP BY ALL),
        areas AS (
            SELECT nil_id, municipio_id FROM mart.geo_nil
            UNION ALL
            SELECT DISTINCT nil_id, municipio_id FROM counted WHERE nil_id IS NULL)
        SELECT a.nil_id, a.municipio_id, s.status, coalesce(c.units, 0) AS units
        FROM areas a CROSS JOIN (SELECT unnest({sql_list(STATUSES)}) AS status) s
        LEFT JOIN counted c ON c.nil_id IS NOT DISTINCT FROM a.nil_id
             AND c.municipio_id IS NOT DISTINCT FROM a.municipio_id AND c.status = s.status
        ORDER BY a.nil_id NULLS LAST, s.status, a.municipio_id NULLS LAST""",
        dataset=Dataset(
            id="housing-units-by-nil",
            theme="SOCI", frequency="QUARTERLY", axis=4, temporal=PROGRAMME_YEARS,
            title_it="Patrimonio ERP per NIL e stato",
            title_en="Public housing stock by NIL and status",
            description_it="Numero di alloggi ERP per NIL e stato (occupato, sfitto, in "
                           "ristrutturazione, ristrutturato). Solo aggregati.",
            description_en="Number of public housing units by NIL and status (occupied, vacant, "
                           "under renovation, renovated). Aggregates only.",
            keywords=("erp", "alloggi", "sfitti", "abitare"),
            columns=("nil_id", "municipio_id",
                     Col("status", "Stato: occupied, vacant, under_renovation, renovated",
                         "Status: occupied, vacant, under_renovation, renovated"),
                     Col("units", "Numero di alloggi", "Number of units", "units")),
            order_by=("nil_id", "status"))),
    # A vacancy spell (vacant_from..assigned_on, or vacant_since..still open) covers month
    # m's last day iff month(start) <= m < month(end): +1 at its first month, -1 at its
    # end month, then a running sum per municipio. Linear in spells (a city-size stock).
    Mart("housing_vacancy_monthly", "Vacant units at each month end (a vacancy spell covers "
         "the month's last day) and assignments in each month, per municipio.", f"""
        WITH months AS (
            SELECT CAST(m AS DATE) AS month
            FROM generate_series(DATE '{DATA.start}', DATE '{DATA.end}',
                                 INTERVAL 1 MONTH) g(m)),
        bounds AS (SELECT min(month) AS first, max(month) AS last FROM months),
        spells AS (
            SELECT unit_id, vacant_from AS start, assigned_on AS "end"
            FROM staging.housing_assignments WHERE vacant_from IS NOT NULL
            UNION ALL
            SELECT unit_id, vacant_since, NULL FROM mart.housing_units
            WHERE vacant_since IS NOT NULL),
        placed AS (
            SELECT u.municipio_id, CAST(date_trunc('month', s.start) AS DATE) AS start,
                   CAST(date_trunc('month', s."end") AS DATE) AS "end"
            FROM spells s JOIN mart.housing_units u USING (unit_id), bounds b
            WHERE date_trunc('month', s.start) <= b.last
              AND (s."end" IS NULL OR date_trunc('month', s."end") > b.first)
              AND (s."end" IS NULL
                   OR date_trunc('month', s."end") > date_trunc('month', s.start))),
        events AS (
            SELECT month, municipio_id, sum(delta) AS delta FROM (
                SELECT greatest(p.start, b.first) AS month, p.municipio_id, 1 AS delta
                FROM placed p, bounds b
                UNION ALL
                SELECT p."end", p.municipio_id, -1 FROM placed p, bounds b
                WHERE p."end" IS NOT NULL AND p."end" <= b.last)
            GROUP BY ALL),
        assigned AS (
            SELECT CAST(date_trunc('month', a.assigned_on) AS DATE) AS month, u.municipio_id,
                   count(*) AS assigned_units
            FROM staging.housing_assignments a JOIN mart.housing_units u USING (unit_id)
            GROUP BY ALL)
        SELECT m.month, g.municipio_id,
               CAST(sum(coalesce(e.delta, 0)) OVER (PARTITION BY g.municipio_id
                                                    ORDER BY m.month) AS BIGINT)
                   AS vacant_units,
               coalesce(a.assigned_units, 0) AS assigned_units
        FROM months m CROSS JOIN (SELECT DISTINCT municipio_id FROM mart.housing_units) g
        LEFT JOIN events e ON e.month = m.month
             AND e.municipio_id IS NOT DISTINCT FROM g.municipio_id
        LEFT JOIN assigned a ON a.month = m.month
             AND a.municipio_id IS NOT DISTINCT FROM g.municipio_id
        ORDER BY m.month, g.municipio_id NULLS LAST""",
        dataset=Dataset(
            id="housing-vacancy-monthly", theme="SOCI", frequency="MONTHLY", axis=4,
            temporal=PROGRAMME_YEARS,
            title_it="Alloggi ERP sfitti e assegnati per mese",
            title_en="Vacant and assigned public housing units by month",
            description_it="Alloggi sfitti a fine mese e assegnazioni del mese per municipio.",
            description_en="Vacant units at month end and assignments in the month by municipio.",
            keywords=("erp", "sfitti", "assegnazioni", "abitare"),
            columns=("month", "municipio_id",
                     Col("vacant_units", "Alloggi sfitti", "Vacant units", "units"),
                     Col("assigned_units", "Alloggi assegnati nel mese",
                         "Units assigned in the month", "units")),
            order_by=("month", "municipio_id"))),
    Mart("housing_renovations", "Renovation works on ERP units with their complex.", """
        SELECT w.work_id, w.unit_id, u.complex_id, w.project_code, w.start_date, w.end_date,
               w.cost_eur, w.stage
        FROM staging.housing_renovations w LEFT JOIN staging.housing_units u USING (unit_id)
        ORDER BY w.work_id"""),
)


def check_consistency(con: duckdb.DuckDBPyConnection, ctx) -> None:
    enforce(con, ctx, CHECKS)


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Check the cross-column rules, then build ``MARTS``."""
    check_consistency(con, ctx)
    create(con, ctx, MARTS)
