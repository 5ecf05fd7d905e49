"""Programme marts: axes, actions, projects with money to date, monthly finance, indicators.

Axis figures are always sums of project figures (never loaded separately), so the
council dashboard, the open data and the EU report cannot disagree.
"""

from __future__ import annotations

import duckdb
import polars as pl

from etl.calendar import DATA, ELIGIBILITY
from etl.domains.programme import alerts, flags, performance
from etl.domains.programme.contracts import CONTRACTS
from etl.validate import LandingError

GRANT_CAP_EUR = {"MI3.3.1.e": 25_000.0}
_FILES = {c.name: c.path for c in CONTRACTS}


def _finding(contract: str, column: str, check: str, values: list) -> dict[str, object]:
    return {"contract": contract, "file": _FILES[contract], "column": column, "check": check,
            "rows": len(values), "values": ", ".join(map(str, values[:10]))}


def _with_areas(frame: pl.DataFrame, ctx) -> pl.DataFrame:
    if ctx.geo is not None:
        return ctx.geo.with_areas(frame)
    return frame.with_columns(pl.lit(None, pl.Int64).alias("nil_id"),
                              pl.lit(None, pl.Int64).alias("municipio_id"))


def _projects(con: duckdb.DuckDBPyConnection, ctx) -> pl.DataFrame:
    frame = con.sql("""
        SELECT p.project_code, p.cup, p.action_code, a.axis_id, p.title_it, p.title_en,
               p.description_it, p.description_en, p.status, p.start_date,
               p.end_date_planned, p.end_date_actual, p.budget_eur, p.eu_financing_eur,
               p.beneficiary, p.address, p.lon, p.lat, p.domain,
               round(coalesce(sum(t.amount_eur) FILTER (t.kind = 'commitment'), 0), 2)
                   AS committed_eur,
               round(coalesce(sum(t.amount_eur) FILTER (t.kind = 'payment'), 0), 2) AS paid_eur,
               p.seed_title
        FROM staging.programme_projects p
        JOIN staging.programme_actions a USING (action_code)
        LEFT JOIN staging.programme_financial_transactions t USING (project_code)
        GROUP BY ALL ORDER BY p.project_code""").pl()
    frame = _with_areas(frame, ctx)
    order = ["project_code", "cup", "action_code", "axis_id", "title_it", "title_en",
             "description_it", "description_en", "status", "start_date", "end_date_planned",
             "end_date_actual", "budget_eur", "eu_financing_eur", "beneficiary", "address",
             "lon", "lat", "nil_id", "municipio_id", "domain", "committed_eur", "paid_eur",
             "seed_title"]
    return frame.select(order)


def _check_grants(con: duckdb.DuckDBPyConnection) -> None:
    """Stop the build on a grant above its programme cap (a typo in an award, not noise)."""
    rows = con.execute(
        "SELECT row_number() OVER () AS n, project_code, grant_id, amount_eur "
        "FROM (SELECT * FROM staging.programme_grants ORDER BY rowid)").fetchall()
    for n, project, grant_id, amount in rows:
        cap = GRANT_CAP_EUR.get(project)
        if cap is not None and amount > cap:
            raise LandingError(_FILES["programme_grants"],
                               f"grant {grant_id} of {amount:,.2f} EUR is above the "
                               f"{cap:,.0f} EUR cap of {project}", row=n + 1,
                               column="amount_eur")


def _quality(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    """Report (not fatal) breaches of the money and cumulative-value rules."""
    findings = []
    over = [r[0] for r in con.execute("""
        SELECT project_code FROM mart.projects
        WHERE paid_eur > budget_eur + 0.005 OR committed_eur > budget_eur + 0.005
        ORDER BY 1""").fetchall()]
    if over:
        findings.append(_finding("programme_financial_transactions", "amount_eur",
                                 "commitments or payments above the project budget", over))
    falling = [f"{r[0]}/{r[1]}/{r[2]}" for r in con.execute("""
        SELECT indicator_code, project_code, series FROM (
            SELECT *, lag(value) OVER (PARTITION BY indicator_code, project_code, series
                                       ORDER BY year) AS previous
            FROM staging.programme_indicator_values)
        WHERE value < previous GROUP BY ALL ORDER BY ALL""").fetchall()]
    if falling:
        findings.append(_finding("programme_indicator_values", "value",
                                 "cumulative value decreases from one year to the next",
                                 falling))
    return findings


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    _check_grants(con)
    con.execute("""CREATE TABLE mart.axes AS
        SELECT axis_id, name_it, name_en, fund, thematic_objective, allocation_eur,
               cofinancing_rate, category_of_region, calculation_basis, source, verified
        FROM staging.programme_axes ORDER BY axis_id""")
    con.execute("""CREATE TABLE mart.actions AS
        SELECT action_code, axis_id, name_it, name_en, source, verified
        FROM staging.programme_actions ORDER BY action_code""")
    ctx.write_table(con, "mart.projects", _projects(con, ctx))
    con.execute("""CREATE TABLE mart.financial_transactions AS
        SELECT t.transaction_id, t.project_code, p.axis_id, t.date, t.kind, t.amount_eur
        FROM staging.programme_financial_transactions t JOIN mart.projects p USING (project_code)
        ORDER BY t.date, t.transaction_id""")
    last = con.execute("SELECT max(date) FROM staging.programme_financial_transactions"
                       ).fetchone()[0]
    first = con.execute("SELECT min(date) FROM staging.programme_financial_transactions"
                        ).fetchone()[0]
    start = min(DATA.start, first or DATA.start)
    end = max(DATA.end, last or DATA.end)
    params = [start, end]
    con.execute("""CREATE TABLE mart.project_finance_monthly AS
        WITH months AS (
            SELECT CAST(m AS DATE) AS month
            FROM generate_series(date_trunc('month', CAST(? AS DATE)),
                                 date_trunc('month', CAST(? AS DATE)), INTERVAL 1 MONTH) g(m)),
        tx AS (
            SELECT project_code, CAST(date_trunc('month', date) AS DATE) AS month,
                   sum(amount_eur) FILTER (kind = 'commitment') AS committed_eur,
                   sum(amount_eur) FILTER (kind = 'payment') AS paid_eur
            FROM staging.programme_financial_transactions GROUP BY ALL)
        SELECT p.project_code, p.axis_id, m.month,
               round(coalesce(tx.committed_eur, 0), 2) AS committed_eur,
               round(coalesce(tx.paid_eur, 0), 2) AS paid_eur,
               round(sum(coalesce(tx.committed_eur, 0)) OVER w, 2) AS committed_cum_eur,
               round(sum(coalesce(tx.paid_eur, 0)) OVER w, 2) AS paid_cum_eur
        FROM mart.projects p CROSS JOIN months m
        LEFT JOIN tx ON tx.project_code = p.project_code AND tx.month = m.month
        WINDOW w AS (PARTITION BY p.project_code ORDER BY m.month)
        ORDER BY p.project_code, m.month""", params)
    con.execute("""CREATE TABLE mart.axis_finance_monthly AS
        WITH months AS (SELECT DISTINCT month FROM mart.project_finance_monthly)
        SELECT a.axis_id, m.month, a.allocation_eur,
               round(coalesce(sum(f.committed_cum_eur), 0), 2) AS committed_cum_eur,
               round(coalesce(sum(f.paid_cum_eur), 0), 2) AS paid_cum_eur
        FROM mart.axes a CROSS JOIN months m
        LEFT JOIN mart.project_finance_monthly f ON f.axis_id = a.axis_id AND f.month = m.month
        GROUP BY ALL ORDER BY a.axis_id, m.month""")
    con.execute("""CREATE TABLE mart.indicators AS
        SELECT indicator_code, axis_id, name_it, name_en, unit, kind, fund, target_2023,
               source, verified
        FROM staging.programme_indicators ORDER BY axis_id, indicator_code""")
    con.execute("""CREATE TABLE mart.indicator_values AS
        SELECT indicator_code, project_code, year, series, value, reported_on
        FROM staging.programme_indicator_values
        ORDER BY indicator_code, project_code, year, series""")
    con.execute("""CREATE TABLE mart.indicator_progress AS
        WITH years AS (SELECT CAST(y AS INTEGER) AS year FROM range(?, ?) r(y)),
        grid AS (
            SELECT DISTINCT i.indicator_code, v.project_code, s.series, y.year
            FROM mart.indicators i
            CROSS JOIN (VALUES ('S'), ('F')) s(series) CROSS JOIN years y
            LEFT JOIN mart.indicator_values v USING (indicator_code)),
        carried AS (  -- a cumulative value holds until the next one is recorded
            SELECT g.indicator_code, g.year, g.series, v.value
            FROM grid g ASOF LEFT JOIN mart.indicator_values v
              ON v.indicator_code = g.indicator_code AND v.project_code = g.project_code
             AND v.series = g.series AND g.year >= v.year)
        SELECT c.indicator_code, i.axis_id, c.year, c.series,
               coalesce(sum(c.value), 0) AS value, i.target_2023,
               CASE WHEN i.target_2023 > 0
                    THEN coalesce(sum(c.value), 0) / i.target_2023 END AS pct_of_target
        FROM carried c JOIN mart.indicators i USING (indicator_code)
        GROUP BY c.indicator_code, i.axis_id, c.year, c.series, i.target_2023
        ORDER BY i.axis_id, c.indicator_code, c.year, c.series DESC""",
                [ELIGIBILITY.years.start, ELIGIBILITY.years.stop])
    con.execute("""CREATE TABLE mart.grants AS
        SELECT g.grant_id, g.project_code, p.axis_id, g.call, g.phase, g.amount_eur,
               g.awarded_on, g.neighbourhood, g.lon, g.lat
        FROM staging.programme_grants g JOIN mart.projects p USING (project_code)
        ORDER BY g.grant_id""")
    ctx.write_table(con, "mart.grants",
                    _with_areas(con.sql("SELECT * FROM mart.grants").pl(), ctx))
    ctx.findings += _quality(con)
    _monitoring(con, ctx)


def _monitoring(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """As-of date, performance framework, risk flags and alerts (after the money marts)."""
    as_of = flags.data_as_of(con, ctx.built_at.date())
    con.execute("CREATE TABLE mart.programme_as_of AS SELECT CAST(? AS DATE) AS as_of, "
                "CAST(? AS VARCHAR) AS rule",
                [as_of, "latest accounting act or recorded indicator value, not after the "
                        "build date"])
    performance.build(con, as_of)
    history = flags.build(con, as_of, ctx.write_table)
    alerts.build(con, history, ctx.write_table)
