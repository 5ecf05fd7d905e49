"""Performance framework: 2018 milestones and 2023 targets per axis, and the 85% rule.

Rule (Commission Implementing Reg. (EU) No 215/2014, Art. 6(2); Reg. (EU) No 1303/2013
Art. 22 and Annex II): an indicator of the performance framework has reached its
milestone (or target) when its value is at least 85% of it; a priority axis has
reached its milestones when all its indicators reach 85%, or, when it has three or
more indicators, all but one reach 85% and that one reaches at least 75%.
Technical-assistance axes have no performance framework (Annex II point 1).

One SQL statement (:data:`ACHIEVEMENT_SQL`) measures every indicator at a cut-off
date; the ETL runs it at the data as-of date for the dashboards, and the EU export
runs the very same text at the report's as-of date for Table 5.
"""

from __future__ import annotations

from datetime import date

import duckdb

#: Share of a milestone or target that counts as reached (Reg. 215/2014 Art. 6(2)).
MET_SHARE = 0.85
#: The one indicator allowed below 85% when an axis has 3+ indicators must reach this.
DEROGATION_SHARE = 0.75
#: Below this share of the 2023 target, a serious failure (Reg. 215/2014 Art. 6(3)).
SERIOUS_FAILURE_SHARE = 0.65
MILESTONE_DATE = date(2018, 12, 31)
RULE_SOURCE = ("Commission Implementing Reg. (EU) No 215/2014 Art. 6(2)-(3) (85% of the "
               "milestone or target; one indicator of three or more may stop at 75%; below "
               "65% of the target is a serious failure); Reg. (EU) No 1303/2013 Art. 22 and "
               "Annex II (milestones 2018, targets 2023, no framework for technical "
               "assistance). Text to verify against the Official Journal.")

#: One parameter: a list of as-of dates (DATE[]); one row per date, axis and indicator.
#: Financial indicator = payments to the date (the proxy of certified expenditure, as in
#: Table 6); output indicators = the achieved (F) cumulative value of every project, as
#: recorded on or before the as-of date.
ACHIEVEMENT_SQL = f"""
WITH params AS (
    SELECT as_of, least(as_of, DATE '{MILESTONE_DATE.isoformat()}') AS m_date
    FROM (SELECT unnest(CAST(? AS DATE[])) AS as_of)),
pay AS (
    SELECT p.as_of, t.axis_id,
           sum(t.amount_eur) FILTER (t.date <= p.m_date) AS at_milestone,
           sum(t.amount_eur) AS at_as_of
    FROM params p JOIN mart.programme_financial_transactions t
      ON t.kind = 'payment' AND t.date <= p.as_of
    GROUP BY p.as_of, t.axis_id),
f AS (
    SELECT p.as_of, p.m_date, v.indicator_code, v.project_code, v.year, v.value
    FROM params p JOIN mart.programme_indicator_values v
      ON v.series = 'F' AND v.reported_on <= p.as_of),
f_m AS (SELECT as_of, indicator_code, sum(value) AS value FROM (
            SELECT as_of, indicator_code, value, row_number() OVER (
                PARTITION BY as_of, indicator_code, project_code ORDER BY year DESC) AS rn
            FROM f WHERE year <= year(m_date)) WHERE rn = 1
        GROUP BY as_of, indicator_code),
f_now AS (SELECT as_of, indicator_code, sum(value) AS value FROM (
            SELECT as_of, indicator_code, value, row_number() OVER (
                PARTITION BY as_of, indicator_code, project_code ORDER BY year DESC) AS rn
            FROM f WHERE year <= year(as_of)) WHERE rn = 1
          GROUP BY as_of, indicator_code),
measured AS (
    SELECT p.as_of, pf.axis_id, pf.indicator_id, pf.indicator_type, pf.indicator_code,
           pf.name_it, pf.name_en, pf.unit, pf.milestone_2018, pf.target_2023, pf.source,
           pf.verified, a.fund, a.category_of_region,
           CASE WHEN pf.indicator_type = 'financial' THEN round(coalesce(pay.at_milestone, 0), 2)
                ELSE coalesce(f_m.value, 0) END AS value_2018,
           CASE WHEN pf.indicator_type = 'financial' THEN round(coalesce(pay.at_as_of, 0), 2)
                ELSE coalesce(f_now.value, 0) END AS value_as_of
    FROM params p CROSS JOIN mart.programme_performance_framework pf
    JOIN mart.programme_axes a ON a.axis_id = pf.axis_id
    LEFT JOIN pay ON pay.as_of = p.as_of AND pay.axis_id = pf.axis_id
    LEFT JOIN f_m ON f_m.as_of = p.as_of AND f_m.indicator_code = pf.indicator_code
    LEFT JOIN f_now ON f_now.as_of = p.as_of AND f_now.indicator_code = pf.indicator_code),
shares AS (
    SELECT *,
           CASE WHEN milestone_2018 > 0 THEN value_2018 / milestone_2018 END AS milestone_share,
           CASE WHEN target_2023 > 0 THEN value_as_of / target_2023 END AS target_share
    FROM measured),
axis AS (
    SELECT as_of, axis_id, count(*) AS n,
           count(*) FILTER (WHERE milestone_share >= {MET_SHARE}) AS m_ok,
           min(milestone_share) AS m_min,
           count(*) FILTER (WHERE target_share >= {MET_SHARE}) AS t_ok,
           min(target_share) AS t_min
    FROM shares GROUP BY as_of, axis_id)
SELECT s.axis_id, s.indicator_id, s.indicator_type, s.indicator_code, s.name_it, s.name_en,
       s.unit, s.fund, s.category_of_region, s.milestone_2018, s.target_2023,
       s.value_2018, round(s.milestone_share, 4) AS milestone_share,
       coalesce(s.milestone_share >= {MET_SHARE}, false) AS milestone_met,
       s.as_of, s.value_as_of,
       round(s.target_share, 4) AS target_share,
       coalesce(s.target_share >= {MET_SHARE}, false) AS target_met,
       (ax.m_ok = ax.n OR (ax.n >= 3 AND ax.m_ok = ax.n - 1
                           AND ax.m_min >= {DEROGATION_SHARE})) AS axis_milestones_met,
       (ax.t_ok = ax.n OR (ax.n >= 3 AND ax.t_ok = ax.n - 1
                           AND ax.t_min >= {DEROGATION_SHARE})) AS axis_targets_met,
       s.source, s.verified
FROM shares s JOIN axis ax ON ax.as_of = s.as_of AND ax.axis_id = s.axis_id
ORDER BY s.as_of, s.axis_id, s.indicator_type, s.indicator_id"""


def achievement_params(*dates: date) -> list[list[date]]:
    """The statement's one parameter: the as-of dates to measure at."""
    return [list(dates)]


def build(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    """``mart.programme_performance_framework`` (definitions) and ``mart.programme_performance_achievement``."""
    has_landing = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging' "
        "AND table_name = 'programme_performance_framework'").fetchone()[0]
    if has_landing:
        con.execute("""CREATE TABLE mart.programme_performance_framework AS
            SELECT axis_id, indicator_id, indicator_type, indicator_code, name_it, name_en,
                   unit, milestone_2018, target_2023, source, verified
            FROM staging.programme_performance_framework
            ORDER BY axis_id, indicator_type, indicator_id""")
    else:
        con.execute("""CREATE TABLE mart.programme_performance_framework (axis_id INTEGER,
            indicator_id VARCHAR, indicator_type VARCHAR, indicator_code VARCHAR,
            name_it VARCHAR, name_en VARCHAR, unit VARCHAR, milestone_2018 DOUBLE,
            target_2023 DOUBLE, source VARCHAR, verified BOOLEAN)""")
    con.execute(f"CREATE TABLE mart.programme_performance_achievement AS {ACHIEVEMENT_SQL}",
                achievement_params(as_of))
