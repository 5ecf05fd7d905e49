"""Monitoring queries: risk status, performance framework, timeline, alerts, deadlines.

Everything here is read from marts computed by the ETL (``etl/domains/programme/flags.py``,
``performance.py``, ``alerts.py``) at the data as-of date; the dashboards never decide a
flag. A warehouse built before these marts existed gives empty frames, not errors.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import fetch, has_table

LANGS = ("it", "en")


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else "it"


def available() -> bool:
    return has_table("mart", "programme_risk_status") and has_table("mart", "programme_performance_achievement")


@memoize
def as_of() -> date | None:
    if not has_table("mart", "programme_as_of"):
        return None
    frame = fetch("SELECT as_of FROM mart.programme_as_of")
    return frame["as_of"][0] if frame.height else None


@memoize
def flagged(axis_id: int | None = None, lang: str = "it") -> pl.DataFrame:
    """Flagged projects and indicators (red first), with their reasons in ``lang``."""
    if not available():
        return pl.DataFrame()
    return fetch("""
        SELECT item_kind, item_id, axis_id,
               CASE WHEN ? = 'en' THEN title_en ELSE title_it END AS title, status, status_rank, flags,
               CASE WHEN ? = 'en' THEN reasons_en ELSE reasons_it END AS reasons
        FROM mart.programme_risk_status
        WHERE status <> 'green' AND (? IS NULL OR axis_id = ?)
        ORDER BY status_rank DESC, item_kind DESC, item_id""", [_lang(lang), _lang(lang), axis_id, axis_id])


@memoize
def status_counts(axis_id: int | None = None) -> dict[str, int]:
    if not available():
        return {}
    frame = fetch("""SELECT status, count(*) AS n FROM mart.programme_risk_status
                     WHERE (? IS NULL OR axis_id = ?) GROUP BY status""", [axis_id, axis_id])
    return dict(zip(frame["status"], frame["n"], strict=True))


@memoize
def project_flags(code: str, lang: str = "it") -> pl.DataFrame:
    """The project's flags at the as-of date (empty when green)."""
    if not available():
        return pl.DataFrame()
    return fetch("""SELECT rule_id, level,
                            CASE WHEN ? = 'en' THEN reason_en ELSE reason_it END AS reason, as_of
                     FROM mart.programme_risk_flags WHERE item_kind = 'project' AND item_id = ?
                     ORDER BY level_rank DESC, rule_id""", [_lang(lang), code])


@memoize
def project_status(code: str) -> str | None:
    if not available():
        return None
    frame = fetch("SELECT status FROM mart.programme_risk_status WHERE item_kind = 'project' "
                  "AND item_id = ?", [code])
    return frame["status"][0] if frame.height else None


@memoize
def performance(axis_id: int | None = None, lang: str = "it") -> pl.DataFrame:
    """Performance framework at the data as-of date (one row per axis and indicator)."""
    if not available():
        return pl.DataFrame()
    return fetch("""
        SELECT axis_id, indicator_id, indicator_type,
               CASE WHEN ? = 'en' THEN name_en ELSE name_it END AS name, unit,
               milestone_2018, value_2018, milestone_share, milestone_met, target_2023,
               value_as_of, target_share, target_met, axis_milestones_met, axis_targets_met,
               as_of, verified
        FROM mart.programme_performance_achievement WHERE (? IS NULL OR axis_id = ?)
        ORDER BY axis_id, indicator_type, indicator_id""", [_lang(lang), axis_id, axis_id])


@memoize
def timeline(axis_id: int | None = None, municipio_id: int | None = None,
             lang: str = "it") -> pl.DataFrame:
    """Every project's planned and actual dates with its risk status and reasons."""
    if not available():
        return pl.DataFrame()
    return fetch("""
        SELECT p.project_code, CASE WHEN ? = 'en' THEN p.title_en ELSE p.title_it END AS title,
               p.axis_id, p.start_date,
               p.end_date_planned, p.end_date_actual, s.status,
               CASE WHEN ? = 'en' THEN s.reasons_en ELSE s.reasons_it END AS reasons
        FROM mart.programme_projects p
        JOIN mart.programme_risk_status s ON s.item_kind = 'project' AND s.item_id = p.project_code
        WHERE (? IS NULL OR p.axis_id = ?) AND (? IS NULL OR p.municipio_id = ?)
        ORDER BY p.axis_id, p.start_date, p.project_code""",
                 [_lang(lang), _lang(lang), axis_id, axis_id, municipio_id, municipio_id])


@memoize
def alerts(axis_id: int | None = None, limit: int = 200) -> pl.DataFrame:
    """Threshold crossings, newest first (the Atom feeds)."""
    if not has_table("mart", "programme_alerts"):
        return pl.DataFrame()
    return fetch("""SELECT * FROM mart.programme_alerts WHERE (? IS NULL OR axis_id = ?)
                    ORDER BY event_date DESC, event_id LIMIT ?""", [axis_id, axis_id, limit])


@memoize
def end_dates() -> pl.DataFrame:
    """Project end dates for the deadline calendar (planned, and actual when known)."""
    return fetch("""SELECT project_code, axis_id, title_it, title_en, end_date_planned,
                           end_date_actual FROM mart.programme_projects ORDER BY project_code""")
