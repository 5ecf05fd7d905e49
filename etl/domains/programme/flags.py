"""Risk flags: every rule that marks a project or an indicator amber or red, in one place.

Each :class:`Rule` is one SQL statement evaluated at one or more as-of dates (the
temporary table ``_as_of_dates``), so the same rule gives today's status and its
history (for the alert feed). "Today" is never the clock: it is the data as-of date
(:func:`data_as_of`), so a rebuild from the same extracts gives the same flags.
Reasons are written here in Italian and English; pages only show them.

Rules (documented in docs/dashboards.md, "Risk flags"):

* ``spending_pace`` (project): share of the time to the planned end gone minus the
  share of the budget paid; amber from 25 points, red from 50 points.
* ``stalled_commitments`` (project): open commitments (committed minus paid) with no
  payment for 6 months (amber) or 12 months (red), counted from the last payment or,
  without payments, from the first commitment.
* ``behind_path`` (indicator): achieved value (F) against a straight line from the first
  selected value (S) to the 2023 target; amber below 85% of the line, red below 65%
  (the EU performance-framework thresholds); not assessed in the line's first year.
* ``overdue`` (project): planned end date passed and the project still open; amber up
  to 90 days, red beyond.

Only projects open at the date are assessed by the project rules (started, and with no
actual end on or before the date).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl
from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from etl.calendar import ELIGIBILITY

PACE_AMBER, PACE_RED = 0.25, 0.50
STALL_AMBER_MONTHS, STALL_RED_MONTHS = 6, 12
PATH_AMBER, PATH_RED = 0.85, 0.65
PATH_GRACE_DAYS = 365
OVERDUE_RED_DAYS = 90
LEVELS = ("green", "amber", "red")
_LOCALES = {"it": "it_IT", "en": "en_GB"}

_MONEY = """
money AS (
    SELECT d.as_of, p.project_code, p.axis_id, p.start_date, p.end_date_planned,
           p.end_date_actual, p.budget_eur,
           coalesce(sum(t.amount_eur) FILTER (t.kind = 'payment'), 0) AS paid,
           coalesce(sum(t.amount_eur) FILTER (t.kind = 'commitment'), 0) AS committed,
           max(t.date) FILTER (t.kind = 'payment') AS last_payment,
           min(t.date) FILTER (t.kind = 'commitment') AS first_commitment
    FROM _as_of_dates d CROSS JOIN mart.programme_projects p
    LEFT JOIN mart.programme_financial_transactions t
           ON t.project_code = p.project_code AND t.date <= d.as_of
    WHERE p.start_date <= d.as_of
      AND (p.end_date_actual IS NULL OR p.end_date_actual > d.as_of)
    GROUP BY ALL)"""


@dataclass(frozen=True)
class Rule:
    """One flag rule: its SQL (columns as_of, item_id, axis_id, level, then the reason's
    values), and the reason in Italian and English with ``{placeholders}``."""

    rule_id: str
    item_kind: str  # project | indicator
    name_it: str
    name_en: str
    sql: str
    reason_it: str
    reason_en: str
    formats: dict[str, str]  # placeholder -> percent | points | eur | date | number | int


RULES: tuple[Rule, ...] = (
    Rule(
        "spending_pace", "project", "Ritmo di spesa", "Spending pace", f"""WITH {_MONEY.strip()},
        pace AS (
            SELECT *, least(1.0, greatest(0.0,
                       datediff('day', start_date, as_of)
                       / greatest(1, datediff('day', start_date, end_date_planned)))) AS elapsed,
                   CASE WHEN budget_eur > 0 THEN paid / budget_eur ELSE 0 END AS paid_share
            FROM money)
        SELECT as_of, project_code AS item_id, axis_id,
               CASE WHEN elapsed - paid_share >= {PACE_RED} THEN 'red' ELSE 'amber' END AS level,
               paid_share AS paid, elapsed, elapsed - paid_share AS gap
        FROM pace WHERE elapsed - paid_share >= {PACE_AMBER}""",
        "Pagato {paid} del budget con {elapsed} del tempo fino alla fine prevista già "
        "trascorso (ritardo di {gap} punti).",
        "Paid {paid} of the budget with {elapsed} of the time to the planned end gone "
        "({gap} points behind).",
        {"paid": "percent", "elapsed": "percent", "gap": "points"}),
    Rule(
        "stalled_commitments", "project", "Impegni senza pagamenti",
        "Commitments without payments", f"""WITH {_MONEY.strip()},
        stall AS (
            SELECT *, committed - paid AS open_eur,
                   coalesce(last_payment, first_commitment) AS since,
                   datediff('month', coalesce(last_payment, first_commitment), as_of) AS months
            FROM money WHERE first_commitment IS NOT NULL)
        SELECT as_of, project_code AS item_id, axis_id,
               CASE WHEN months >= {STALL_RED_MONTHS} THEN 'red' ELSE 'amber' END AS level,
               open_eur, months, since
        FROM stall WHERE open_eur > 0.005 AND months >= {STALL_AMBER_MONTHS}""",
        "Impegni aperti per {open_eur} senza pagamenti da {months} mesi (dal {since}).",
        "Open commitments of {open_eur} with no payment for {months} months (since {since}).",
        {"open_eur": "eur", "months": "int", "since": "date"}),
    Rule(
        "behind_path", "indicator", "Sotto la traiettoria verso il target",
        "Below the path to target", f"""WITH
        first_s AS (SELECT indicator_code, min(reported_on) AS path_start
                    FROM mart.programme_indicator_values WHERE series = 'S' GROUP BY indicator_code),
        latest AS (
            SELECT d.as_of, v.indicator_code, v.project_code, v.value,
                   row_number() OVER (PARTITION BY d.as_of, v.indicator_code, v.project_code
                                      ORDER BY v.year DESC, v.reported_on DESC) AS rn
            FROM _as_of_dates d JOIN mart.programme_indicator_values v
              ON v.series = 'F' AND v.reported_on <= d.as_of),
        achieved AS (SELECT as_of, indicator_code, sum(value) AS achieved
                     FROM latest WHERE rn = 1 GROUP BY ALL),
        path AS (
            SELECT d.as_of, i.indicator_code, i.axis_id, i.unit, i.target_2023,
                   coalesce(a.achieved, 0) AS achieved,
                   i.target_2023 * least(1.0, greatest(0.0,
                       datediff('day', s.path_start, d.as_of)
                       / greatest(1, datediff('day', s.path_start,
                                              DATE '{ELIGIBILITY.end.isoformat()}')))) AS expected
            FROM _as_of_dates d CROSS JOIN mart.programme_indicators i
            JOIN first_s s ON s.indicator_code = i.indicator_code
            LEFT JOIN achieved a ON a.as_of = d.as_of AND a.indicator_code = i.indicator_code
            WHERE i.target_2023 > 0
              AND datediff('day', s.path_start, d.as_of) >= {PATH_GRACE_DAYS})
        SELECT as_of, indicator_code AS item_id, axis_id,
               CASE WHEN achieved / expected < {PATH_RED} THEN 'red' ELSE 'amber' END AS level,
               achieved, expected, achieved / expected AS ratio, target_2023 AS target
        FROM path WHERE expected > 0 AND achieved / expected < {PATH_AMBER}""",
        "Raggiunto {achieved}: {ratio} dei {expected} attesi sulla linea retta verso il "
        "target 2023 di {target}.",
        "Achieved {achieved}, {ratio} of the {expected} expected on a straight line to the "
        "2023 target of {target}.",
        {"achieved": "number", "ratio": "percent", "expected": "number", "target": "number"}),
    Rule(
        "overdue", "project", "Fine prevista superata", "Planned end passed", f"""WITH {_MONEY.strip()}
        SELECT as_of, project_code AS item_id, axis_id,
               CASE WHEN datediff('day', end_date_planned, as_of) > {OVERDUE_RED_DAYS}
                    THEN 'red' ELSE 'amber' END AS level,
               end_date_planned AS planned_end,
               datediff('day', end_date_planned, as_of) AS days
        FROM money WHERE end_date_planned < as_of""",
        "Fine prevista il {planned_end}, superata da {days} giorni: il progetto è ancora "
        "aperto.",
        "Planned end {planned_end} passed {days} days ago and the project is still open.",
        {"planned_end": "date", "days": "int"}),
)
RULES_BY_ID = {r.rule_id: r for r in RULES}


def data_as_of(con: duckdb.DuckDBPyConnection, built_on: date) -> date:
    """The date the programme data speak for: the latest accounting act or recorded
    indicator value, never after the build date (a fact cannot be dated in the future)."""
    latest = con.execute("""
        SELECT greatest((SELECT max(date) FROM mart.programme_financial_transactions),
                        (SELECT max(reported_on) FROM mart.programme_indicator_values))""").fetchone()[0]
    return min(latest or built_on, built_on)


@functools.lru_cache(maxsize=16)
def _pattern(pattern: str, lang: str) -> tuple[NumberPattern, Locale]:
    """Parsed once: history formats thousands of numbers per build."""
    return parse_pattern(pattern), Locale.parse(_LOCALES[lang])


def _apply(pattern: str, value: float, lang: str) -> str:
    parsed, locale = _pattern(pattern, lang)
    return parsed.apply(value, locale)


def _fmt(value: object, kind: str, lang: str) -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return _apply("#,##0.#%", float(value), lang)
    if kind == "points":
        return _apply("#,##0", round(float(value) * 100), lang)
    if kind == "eur":
        return f"{_apply('#,##0', round(float(value)), lang)} €"
    if kind == "date":
        return format_date(value, format="medium", locale=_LOCALES[lang])
    if kind == "int":
        return _apply("#,##0", int(value), lang)
    return _apply("#,##0.#", float(value), lang)


def reason(rule: Rule, values: dict[str, object], lang: str) -> str:
    """The rule's reason in ``lang`` (it or en) with the row's numbers in that locale."""
    template = rule.reason_it if lang == "it" else rule.reason_en
    return template.format(**{k: _fmt(values.get(k), kind, lang)
                              for k, kind in rule.formats.items()})


def evaluate(con: duckdb.DuckDBPyConnection, dates: list[date],
             rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """Every flag raised at each of ``dates``: as_of, item_kind, item_id, axis_id, rule_id,
    level, value (the rule's main figure), reason_it, reason_en."""
    con.execute("CREATE OR REPLACE TEMP TABLE _as_of_dates (as_of DATE)")
    con.executemany("INSERT INTO _as_of_dates VALUES (?)", [[d] for d in dates])
    rows: list[dict[str, object]] = []
    for rule in rules:
        frame = con.sql(rule.sql).pl()
        first_value = next(iter(rule.formats))
        for row in frame.iter_rows(named=True):
            rows.append({"as_of": row["as_of"], "item_kind": rule.item_kind,
                         "item_id": row["item_id"], "axis_id": row["axis_id"],
                         "rule_id": rule.rule_id, "level": row["level"],
                         "value": float(row[first_value]) if not isinstance(
                             row[first_value], date) else None,
                         "reason_it": reason(rule, row, "it"),
                         "reason_en": reason(rule, row, "en")})
    con.execute("DROP TABLE _as_of_dates")
    schema = {"as_of": pl.Date, "item_kind": pl.String, "item_id": pl.String,
              "axis_id": pl.Int64, "rule_id": pl.String, "level": pl.String,
              "value": pl.Float64, "reason_it": pl.String, "reason_en": pl.String}
    return pl.DataFrame(rows, schema=schema).sort("as_of", "item_kind", "item_id", "rule_id")


def month_ends(first: date, last: date) -> list[date]:
    """Last day of every month from ``first``'s month up to ``last`` (inclusive)."""
    out: list[date] = []
    year, month = first.year, first.month
    while True:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        end = date.fromordinal(nxt.toordinal() - 1)
        if end > last:
            return out
        out.append(end)
        year, month = nxt.year, nxt.month


Writer = Callable[[duckdb.DuckDBPyConnection, str, pl.DataFrame], None]


def build(con: duckdb.DuckDBPyConnection, as_of: date, write: Writer) -> pl.DataFrame:
    """``mart.programme_risk_flags`` (flags at the as-of date), ``mart.programme_risk_status`` (every project
    and indicator, green when unflagged) and ``mart.programme_flag_history`` (month ends)."""
    current = evaluate(con, [as_of])
    write(con, "mart.programme_risk_flags", current.with_columns(
        pl.col("level").replace_strict({"amber": 1, "red": 2}, return_dtype=pl.Int8)
        .alias("level_rank")).sort("level_rank", "item_id", "rule_id",
                                   descending=[True, False, False]))
    con.execute("""CREATE TABLE mart.programme_risk_status AS
        WITH items AS (
            SELECT 'project' AS item_kind, project_code AS item_id, axis_id, title_it,
                   title_en FROM mart.programme_projects
            UNION ALL
            SELECT 'indicator', indicator_code, axis_id, name_it, name_en FROM mart.programme_indicators),
        worst AS (
            SELECT item_kind, item_id, max(level_rank) AS level_rank, count(*) AS flags,
                   string_agg(reason_it, ' ' ORDER BY level_rank DESC, rule_id) AS reasons_it,
                   string_agg(reason_en, ' ' ORDER BY level_rank DESC, rule_id) AS reasons_en,
                   string_agg(rule_id, ',' ORDER BY level_rank DESC, rule_id) AS rules
            FROM mart.programme_risk_flags GROUP BY ALL)
        SELECT i.item_kind, i.item_id, i.axis_id, i.title_it, i.title_en,
               ['green', 'amber', 'red'][coalesce(w.level_rank, 0) + 1] AS status,
               coalesce(w.level_rank, 0) AS status_rank, coalesce(w.flags, 0) AS flags,
               w.rules, w.reasons_it, w.reasons_en, CAST(? AS DATE) AS as_of
        FROM items i LEFT JOIN worst w USING (item_kind, item_id)
        ORDER BY status_rank DESC, item_kind DESC, item_id""", [as_of])
    first = con.execute("SELECT min(start_date) FROM mart.programme_projects").fetchone()[0] or as_of
    history = evaluate(con, month_ends(first, as_of))
    write(con, "mart.programme_flag_history", history)
    return history
