"""Programme queries: axes, projects, money and indicators against 2023 targets."""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import Query, fetch, year_bounds

#: Project codes look like MI4.1.1.b; anything else is refused before any query.
CODE_CHARS = set("MI0123456789.abcdefghijklmnopqrstuvwxyz")


def clean_code(code: object) -> str | None:
    text = str(code or "").strip()
    if not (4 <= len(text) <= 16) or not text.startswith("MI") or set(text) - CODE_CHARS:
        return None
    return text


@memoize
def axes() -> pl.DataFrame:
    return fetch("SELECT axis_id, name_it, name_en, fund, allocation_eur FROM mart.axes "
                 "ORDER BY axis_id")


@memoize
def project_codes() -> tuple[str, ...]:
    return tuple(fetch("SELECT project_code FROM mart.projects ORDER BY 1")["project_code"])


def exists(code: object) -> bool:
    clean = clean_code(code)
    return clean is not None and clean in project_codes()


@memoize
def axis_summary() -> pl.DataFrame:
    """Per axis: allocation, committed, paid, and the share of indicators at their 2023 target."""
    return fetch("""
        WITH latest AS (
            SELECT indicator_code, axis_id, value, target_2023,
                   row_number() OVER (PARTITION BY indicator_code ORDER BY year DESC) AS rn
            FROM mart.indicator_progress WHERE series = 'F'),
        reached AS (
            SELECT axis_id, count(*) AS indicators,
                   count(*) FILTER (WHERE target_2023 > 0 AND value >= target_2023) AS reached
            FROM latest WHERE rn = 1 GROUP BY axis_id),
        money AS (
            SELECT axis_id, count(*) AS projects, sum(committed_eur) AS committed_eur,
                   sum(paid_eur) AS paid_eur FROM mart.projects GROUP BY axis_id)
        SELECT a.axis_id, a.name_it, a.name_en, a.fund, a.allocation_eur,
               coalesce(m.projects, 0) AS projects, coalesce(m.committed_eur, 0) AS committed_eur,
               coalesce(m.paid_eur, 0) AS paid_eur,
               coalesce(r.indicators, 0) AS indicators, coalesce(r.reached, 0) AS targets_reached,
               CASE WHEN r.indicators > 0 THEN r.reached / r.indicators END AS share_reached
        FROM mart.axes a LEFT JOIN money m USING (axis_id) LEFT JOIN reached r USING (axis_id)
        ORDER BY a.axis_id""")


def programme_totals() -> dict[str, Any]:
    """Programme-wide KPIs, derived from the per-axis summary (one query, cached)."""
    frame = axis_summary()
    indicators = int(frame["indicators"].sum())
    reached = int(frame["targets_reached"].sum())
    return {"allocation_eur": float(frame["allocation_eur"].sum()),
            "committed_eur": float(frame["committed_eur"].sum()),
            "paid_eur": float(frame["paid_eur"].sum()),
            "projects": int(frame["projects"].sum()),
            "indicators": indicators, "targets_reached": reached,
            "share_reached": reached / indicators if indicators else None}


@memoize
def projects(axis_id: int | None = None, municipio_id: int | None = None) -> pl.DataFrame:
    """Projects (optionally of one axis / one municipio) with their money and place."""
    return fetch("""
        SELECT p.project_code, p.axis_id, p.action_code, p.title_it, p.title_en, p.status,
               p.budget_eur, p.committed_eur, p.paid_eur,
               CASE WHEN p.budget_eur > 0 THEN p.paid_eur / p.budget_eur END AS paid_share,
               p.lon, p.lat, p.nil_id, p.municipio_id, n.name AS nil_name, p.domain
        FROM mart.projects p LEFT JOIN mart.nil n USING (nil_id)
        WHERE (? IS NULL OR p.axis_id = ?) AND (? IS NULL OR p.municipio_id = ?)
        ORDER BY p.project_code""", [axis_id, axis_id, municipio_id, municipio_id])


@memoize
def project(code: str) -> dict[str, Any] | None:
    frame = fetch("""
        SELECT p.*, n.name AS nil_name, a.name_it AS axis_name_it, a.name_en AS axis_name_en
        FROM mart.projects p LEFT JOIN mart.nil n USING (nil_id)
        LEFT JOIN mart.axes a USING (axis_id) WHERE p.project_code = ?""", [code])
    return frame.to_dicts()[0] if frame.height else None


@memoize
def axis_finance(axis_id: int, year: int | None = None) -> pl.DataFrame:
    """Monthly cumulative committed and paid against the axis allocation."""
    start, end = year_bounds(year)
    return fetch("""
        SELECT month, allocation_eur, committed_cum_eur, paid_cum_eur
        FROM mart.axis_finance_monthly WHERE axis_id = ? AND month BETWEEN ? AND ?
        ORDER BY month""", [axis_id, start, end])


@memoize
def project_finance(code: str, year: int | None = None) -> pl.DataFrame:
    start, end = year_bounds(year)
    return fetch("""
        SELECT month, committed_eur, paid_eur, committed_cum_eur, paid_cum_eur
        FROM mart.project_finance_monthly WHERE project_code = ? AND month BETWEEN ? AND ?
        ORDER BY month""", [code, start, end])


#: Each indicator of an axis: latest achieved value, target, % and change on a year.
AXIS_INDICATORS = Query("""
    WITH f AS (
        SELECT indicator_code, year, value, pct_of_target,
               row_number() OVER (PARTITION BY indicator_code ORDER BY year DESC) AS rn
        FROM mart.indicator_progress WHERE axis_id = $axis_id AND series = 'F')
    SELECT i.indicator_code, i.name_it, i.name_en, i.unit, i.kind, i.target_2023,
           cur.year, cur.value, cur.pct_of_target, cur.value - prev.value AS change_1y
    FROM mart.indicators i
    LEFT JOIN f cur ON cur.indicator_code = i.indicator_code AND cur.rn = 1
    LEFT JOIN f prev ON prev.indicator_code = i.indicator_code AND prev.rn = 2
    WHERE i.axis_id = $axis_id ORDER BY i.indicator_code""")

#: An axis's money: allocation, and the sums committed and paid by its projects.
AXIS_MONEY = Query("""
    SELECT a.axis_id, coalesce(a.allocation_eur, 0) AS allocation_eur,
           coalesce(sum(p.committed_eur), 0) AS committed_eur,
           coalesce(sum(p.paid_eur), 0) AS paid_eur
    FROM mart.axes a LEFT JOIN mart.projects p USING (axis_id)
    WHERE a.axis_id = $axis_id GROUP BY a.axis_id, a.allocation_eur""")


def axis_indicators(axis_id: int) -> pl.DataFrame:
    return AXIS_INDICATORS.fetch(axis_id=axis_id)


@memoize
def project_indicators(code: str) -> pl.DataFrame:
    """The project's latest selected (S) and achieved (F) values next to the 2023 target."""
    return fetch("""
        WITH v AS (
            SELECT indicator_code, series, value, year,
                   row_number() OVER (PARTITION BY indicator_code, series
                                      ORDER BY year DESC, reported_on DESC) AS rn
            FROM mart.indicator_values WHERE project_code = ?)
        SELECT i.indicator_code, i.name_it, i.name_en, i.unit, i.target_2023,
               s.value AS selected, f.value AS achieved, f.year,
               CASE WHEN s.value > 0 THEN f.value / s.value END AS pct_of_selected
        FROM (SELECT DISTINCT indicator_code FROM v) c
        JOIN mart.indicators i USING (indicator_code)
        LEFT JOIN v s ON s.indicator_code = c.indicator_code AND s.series = 'S' AND s.rn = 1
        LEFT JOIN v f ON f.indicator_code = c.indicator_code AND f.series = 'F' AND f.rn = 1
        ORDER BY i.indicator_code""", [code])

