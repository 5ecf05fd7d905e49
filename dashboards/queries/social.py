"""Social-services queries: sites, suppressed monthly users, bed occupancy.

Counts come from marts that are already suppressed (``users`` NULL with
``flag = 'c'`` where 1-4 people): sums here keep the flag, so a total that
includes a suppressed cell is shown as suppressed, never as a smaller number.
"""

from __future__ import annotations

import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import fetch, year_bounds


@memoize
def sites(municipio_id: int | None = None, project_code: str | None = None) -> pl.DataFrame:
    return fetch("""
        SELECT s.site_id, s.name, s.site_type, s.capacity, s.capacity_unit, s.address,
               s.lon, s.lat, s.nil_id, n.name AS nil_name, s.municipio_id, s.project_code
        FROM mart.social_sites s LEFT JOIN mart.geo_nil n USING (nil_id)
        WHERE (? IS NULL OR s.municipio_id = ?) AND (? IS NULL OR s.project_code = ?)
        ORDER BY s.site_type, s.name""",
                 [municipio_id, municipio_id, project_code, project_code])


@memoize
def usage_monthly(municipio_id: int | None = None, year: int | None = None) -> pl.DataFrame:
    """Monthly users per service, summed over the *published* cells only.

    Suppressed cells (NULL, ``flag = 'c'``) stay out of the sum and are counted in
    ``suppressed_cells``; the sum is what anyone can add up from the published table, so it
    reveals nothing new (a true total would let a reader recover the hidden cells). A month
    whose cells are all suppressed is itself NULL with ``flag = 'c'``. Sums of published
    cells (each 0 or at least 5) can never be 1 to 4.
    """
    start, end = year_bounds(year)
    return fetch("""
        SELECT month, service, sum(users)::BIGINT AS users,
               count(*) FILTER (WHERE flag = 'c') AS suppressed_cells,
               CASE WHEN bool_and(coalesce(flag = 'c', false)) THEN 'c' END AS flag
        FROM mart.social_usage_monthly
        WHERE (? IS NULL OR municipio_id = ?) AND month BETWEEN ? AND ?
        GROUP BY month, service ORDER BY month, service""",
                 [municipio_id, municipio_id, start, end])


@memoize
def bed_occupancy_monthly(municipio_id: int | None = None, year: int | None = None,
                          project_code: str | None = None) -> pl.DataFrame:
    """Average occupancy rate per site and month (rates, so no small counts published)."""
    start, end = year_bounds(year)
    return fetch("""
        SELECT date_trunc('month', b.date)::DATE AS month, s.site_id, s.name AS site,
               avg(b.beds_available) AS beds_available, avg(b.occupancy_rate) AS occupancy_rate
        FROM mart.social_bed_occupancy_daily b JOIN mart.social_sites s USING (site_id)
        WHERE (? IS NULL OR s.municipio_id = ?) AND (? IS NULL OR s.project_code = ?)
          AND b.date BETWEEN ? AND ?
        GROUP BY ALL ORDER BY month, site""",
                 [municipio_id, municipio_id, project_code, project_code, start, end])


@memoize
def grants_by_neighbourhood(project_code: str) -> pl.DataFrame:
    """Grants awarded by a project (e.g. the Neighbourhood School), per area and phase."""
    return fetch("""
        SELECT coalesce(neighbourhood, '–') AS neighbourhood, coalesce('phase ' || phase, '–') AS phase,
               count(*) AS grants, sum(amount_eur) AS amount_eur
        FROM mart.programme_grants WHERE project_code = ? AND awarded_on IS NOT NULL
        GROUP BY ALL ORDER BY neighbourhood, phase""", [project_code])
