"""Public housing (ERP) queries: units by status and NIL, vacancy, renovation pipeline."""

from __future__ import annotations

import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import fetch, year_bounds
from etl.domains.housing import contracts

#: the landing contract's enums, in their order (pages list them so)
STATUSES, STAGES = contracts.STATUSES, contracts.STAGES


def as_status(value: object) -> str:
    text = str(value or "").strip()
    return text if text in STATUSES else "vacant"


@memoize
def units_by_nil(status: str, municipio_id: int | None = None) -> pl.DataFrame:
    """Units in ``status`` per NIL (every NIL listed, 0 where none): the choropleth."""
    return fetch("""
        SELECT n.nil_id, n.name AS nil_name, n.municipio_id,
               coalesce(sum(u.units) FILTER (WHERE u.status = ?), 0)::BIGINT AS units,
               coalesce(sum(u.units), 0)::BIGINT AS all_units
        FROM mart.nil n LEFT JOIN mart.housing_units_by_nil u USING (nil_id)
        WHERE ? IS NULL OR n.municipio_id = ?
        GROUP BY ALL ORDER BY n.nil_id""", [status, municipio_id, municipio_id])


@memoize
def status_totals(municipio_id: int | None = None, nil_id: int | None = None) -> pl.DataFrame:
    return fetch("""
        SELECT status, sum(units)::BIGINT AS units FROM mart.housing_units_by_nil
        WHERE (? IS NULL OR municipio_id = ?) AND (? IS NULL OR nil_id = ?)
        GROUP BY status ORDER BY status""", [municipio_id, municipio_id, nil_id, nil_id])


@memoize
def vacancy_monthly(municipio_id: int | None = None, year: int | None = None) -> pl.DataFrame:
    start, end = year_bounds(year)
    return fetch("""
        SELECT month, sum(vacant_units)::BIGINT AS vacant_units,
               sum(assigned_units)::BIGINT AS assigned_units
        FROM mart.housing_vacancy_monthly
        WHERE (? IS NULL OR municipio_id = ?) AND month BETWEEN ? AND ?
        GROUP BY month ORDER BY month""", [municipio_id, municipio_id, start, end])


@memoize
def renovation_pipeline(municipio_id: int | None = None,
                        project_code: str | None = None) -> pl.DataFrame:
    """Renovation works by stage and project (the pipeline), with their cost."""
    return fetch("""
        SELECT r.project_code, r.stage, count(*) AS works, sum(r.cost_eur) AS cost_eur
        FROM mart.renovations r LEFT JOIN mart.housing_complexes c USING (complex_id)
        WHERE (? IS NULL OR c.municipio_id = ?) AND (? IS NULL OR r.project_code = ?)
        GROUP BY ALL ORDER BY r.project_code, r.stage""",
                 [municipio_id, municipio_id, project_code, project_code])


@memoize
def project_units(project_code: str) -> pl.DataFrame:
    """The project's units by status (e.g. the 80 recovered units of MI4.1.1.c)."""
    return fetch("""
        SELECT status, count(*) AS units FROM mart.housing_units WHERE project_code = ?
        GROUP BY status ORDER BY status""", [project_code])


@memoize
def project_complexes(project_code: str) -> pl.DataFrame:
    return fetch("""
        SELECT complex_id, name, address, lon, lat, nil_id, units FROM mart.housing_complexes
        WHERE project_code = ? ORDER BY name""", [project_code])
