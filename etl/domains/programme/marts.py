"""Programme marts: axes, actions, projects with money to date, monthly finance, indicators.

Axis figures are always sums of project figures (never loaded separately), so the
council dashboard, the open data and the EU report cannot disagree.
"""

from __future__ import annotations

import duckdb

from etl.calendar import DATA, ELIGIBILITY
from etl.catalog import PROGRAMME_YEARS, Col, Dataset
from etl.domains.programme import alerts, flags, performance
from etl.domains.programme.contracts import CONTRACTS
from etl.marts import Mart, create
from etl.validate import LandingError

GRANT_CAP_EUR = {"MI3.3.1.e": 25_000.0}
_FILES = {c.name: c.path for c in CONTRACTS}


def _finding(contract: str, column: str, check: str, values: list) -> dict[str, object]:
    return {"contract": contract, "file": _FILES[contract], "column": column, "check": check,
            "rows": len(values), "values": ", ".join(map(str, values[:10]))}


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
        SELECT project_code FROM mart.programme_projects
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


MARTS = (
    Mart("programme_axes", "The programme's axes with allocation and fund.", """
        SELECT axis_id, name_it, name_en, fund, thematic_objective, allocation_eur,
               cofinancing_rate, category_of_region, calculation_basis, source, verified
        FROM staging.programme_axes ORDER BY axis_id"""),
    Mart("programme_actions", "The actions of each axis.", """
        SELECT action_code, axis_id, name_it, name_en, source, verified
        FROM staging.programme_actions ORDER BY action_code"""),
    Mart("programme_projects", "Projects with their axis, money to date (sums of transactions) and "
         "place.", """
        WITH money AS (
            SELECT p.project_code, p.cup, p.action_code, a.axis_id, p.title_it, p.title_en,
                   p.description_it, p.description_en, p.status, p.start_date,
                   p.end_date_planned, p.end_date_actual, p.budget_eur, p.eu_financing_eur,
                   p.beneficiary, p.address, p.lon, p.lat, p.domain,
                   round(coalesce(sum(t.amount_eur) FILTER (t.kind = 'commitment'), 0), 2)
                       AS committed_eur,
                   round(coalesce(sum(t.amount_eur) FILTER (t.kind = 'payment'), 0), 2)
                       AS paid_eur,
                   p.seed_title
            FROM staging.programme_projects p
            JOIN staging.programme_actions a USING (action_code)
            LEFT JOIN staging.programme_financial_transactions t USING (project_code)
            GROUP BY ALL)
        SELECT project_code, cup, action_code, axis_id, title_it, title_en, description_it,
               description_en, status, start_date, end_date_planned, end_date_actual,
               budget_eur, eu_financing_eur, beneficiary, address, lon, lat,
               nil_of(lon, lat) AS nil_id, municipio_of(lon, lat) AS municipio_id, domain,
               committed_eur, paid_eur, seed_title
        FROM money ORDER BY project_code""",
        dataset=Dataset(
            id="projects", theme="GOVE",
            frequency="QUARTERLY", temporal=PROGRAMME_YEARS,
            title_it="Progetti PON Metro 2014-2020 a Milano",
            title_en="PON Metro 2014-2020 projects in Milan",
            description_it="Anagrafica dei progetti del programma: azione, asse, stato, date, "
                           "costo, finanziamento UE, impegni e pagamenti, localizzazione.",
            description_en="Register of the programme's projects: action, axis, status, dates, "
                           "cost, EU financing, commitments and payments, location.",
            keywords=("pon metro", "progetti", "fondi europei", "coesione"),
            columns=("project_code",
                     Col("cup", "Codice Unico di Progetto (CUP)", "Unique project code (CUP)"),
                     Col("action_code", "Codice dell'azione (es. 4.1.1)", "Action code (e.g. 4.1.1)"),
                     "axis_id",
                     Col("title_it", "Titolo (italiano)", "Title (Italian)"),
                     Col("title_en", "Titolo (inglese)", "Title (English)"),
                     Col("description_it", "Descrizione (italiano)", "Description (Italian)"),
                     Col("description_en", "Descrizione (inglese)", "Description (English)"),
                     Col("status", "Stato: planned, in_progress, completed",
                         "Status: planned, in_progress, completed"),
                     Col("start_date", "Data di avvio", "Start date"),
                     Col("end_date_planned", "Data di fine prevista", "Planned end date"),
                     Col("end_date_actual", "Data di fine effettiva", "Actual end date"),
                     Col("budget_eur", "Costo totale", "Total cost", "EUR"),
                     Col("eu_financing_eur", "Quota di finanziamento UE", "EU financing", "EUR"),
                     Col("beneficiary", "Beneficiario", "Beneficiary"),
                     "address", "lon", "lat", "nil_id", "municipio_id",
                     Col("domain", "Ambito: digital, housing, social, mobility",
                         "Domain: digital, housing, social, mobility"),
                     Col("committed_eur", "Impegni a oggi", "Commitments to date", "EUR"),
                     Col("paid_eur", "Pagamenti a oggi", "Payments to date", "EUR")),
            order_by=("project_code",), lon="lon", lat="lat")),
    Mart("programme_financial_transactions", "Commitments and payments with the project's axis.", """
        SELECT t.transaction_id, t.project_code, p.axis_id, t.date, t.kind, t.amount_eur
        FROM staging.programme_financial_transactions t JOIN mart.programme_projects p USING (project_code)
        ORDER BY t.date, t.transaction_id"""),
    Mart("programme_project_finance_monthly", "Monthly and cumulative money per project over the "
         "programme period (widened to the first and last transaction).", f"""
        WITH span AS (
            SELECT least(DATE '{DATA.start}', coalesce(min(date), DATE '{DATA.start}'))
                       AS first,
                   greatest(DATE '{DATA.end}', coalesce(max(date), DATE '{DATA.end}'))
                       AS last
            FROM staging.programme_financial_transactions),
        months AS (
            SELECT CAST(unnest(generate_series(date_trunc('month', first),
                                               date_trunc('month', last), INTERVAL 1 MONTH))
                        AS DATE) AS month
            FROM span),
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
        FROM mart.programme_projects p CROSS JOIN months m
        LEFT JOIN tx ON tx.project_code = p.project_code AND tx.month = m.month
        WINDOW w AS (PARTITION BY p.project_code ORDER BY m.month)
        ORDER BY p.project_code, m.month""",
        dataset=Dataset(
            id="project-finance-monthly", theme="ECON", frequency="MONTHLY", temporal=PROGRAMME_YEARS,
            title_it="Avanzamento finanziario mensile dei progetti",
            title_en="Monthly financial progress of projects",
            description_it="Impegni e pagamenti mensili e cumulati per progetto.",
            description_en="Monthly and cumulative commitments and payments by project.",
            keywords=("avanzamento finanziario", "impegni", "pagamenti", "pon metro"),
            columns=("project_code", "axis_id", "month",
                     Col("committed_eur", "Impegni del mese", "Commitments in the month", "EUR"),
                     Col("paid_eur", "Pagamenti del mese", "Payments in the month", "EUR"),
                     Col("committed_cum_eur", "Impegni cumulati", "Cumulative commitments", "EUR"),
                     Col("paid_cum_eur", "Pagamenti cumulati", "Cumulative payments", "EUR")),
            order_by=("project_code", "month"))),
    Mart("programme_axis_finance_monthly", "Cumulative money per axis and month: sums of projects.", """
        WITH months AS (SELECT DISTINCT month FROM mart.programme_project_finance_monthly)
        SELECT a.axis_id, m.month, a.allocation_eur,
               round(coalesce(sum(f.committed_cum_eur), 0), 2) AS committed_cum_eur,
               round(coalesce(sum(f.paid_cum_eur), 0), 2) AS paid_cum_eur
        FROM mart.programme_axes a CROSS JOIN months m
        LEFT JOIN mart.programme_project_finance_monthly f ON f.axis_id = a.axis_id AND f.month = m.month
        GROUP BY ALL ORDER BY a.axis_id, m.month""",
        dataset=Dataset(
            id="axis-finance-monthly", theme="ECON", frequency="MONTHLY", temporal=PROGRAMME_YEARS,
            title_it="Avanzamento finanziario mensile per asse",
            title_en="Monthly financial progress by axis",
            description_it="Dotazione, impegni e pagamenti cumulati per asse e mese.",
            description_en="Allocation, cumulative commitments and payments by axis and month.",
            keywords=("avanzamento finanziario", "assi", "pon metro"),
            columns=("axis_id", "month",
                     Col("allocation_eur", "Dotazione dell'asse", "Axis allocation", "EUR"),
                     Col("committed_cum_eur", "Impegni cumulati", "Cumulative commitments", "EUR"),
                     Col("paid_cum_eur", "Pagamenti cumulati", "Cumulative payments", "EUR")),
            order_by=("axis_id", "month"))),
    Mart("programme_indicators", "Output and result indicators with their 2023 targets.", """
        SELECT indicator_code, axis_id, name_it, name_en, unit, kind, fund, target_2023,
               source, verified
        FROM staging.programme_indicators ORDER BY axis_id, indicator_code""",
        dataset=Dataset(
            id="indicators", theme="GOVE",
            frequency="ANNUAL", temporal=PROGRAMME_YEARS,
            title_it="Indicatori del programma", title_en="Programme indicators",
            description_it="Indicatori di output e di risultato con unità, fondo e target 2023.",
            description_en="Output and result indicators with unit, fund and 2023 target.",
            keywords=("indicatori", "target", "pon metro"),
            columns=("indicator_code", "axis_id",
                     Col("name_it", "Nome (italiano)", "Name (Italian)"),
                     Col("name_en", "Nome (inglese)", "Name (English)"),
                     Col("unit", "Unità di misura", "Unit of measure"),
                     Col("kind", "Tipo: output o result", "Kind: output or result"),
                     Col("fund", "Fondo: FESR o FSE", "Fund: ERDF (FESR) or ESF (FSE)"),
                     Col("target_2023", "Valore obiettivo al 2023", "Target value for 2023")),
            order_by=("indicator_code",))),
    Mart("programme_indicator_values", "Cumulative indicator values per project and year.", """
        SELECT indicator_code, project_code, year, series, value, reported_on
        FROM staging.programme_indicator_values
        ORDER BY indicator_code, project_code, year, series""",
        dataset=Dataset(
            id="indicator-values",
            theme="GOVE", frequency="ANNUAL", temporal=PROGRAMME_YEARS,
            title_it="Valori annuali degli indicatori per progetto",
            title_en="Yearly indicator values by project",
            description_it="Valori cumulati degli indicatori per progetto e anno, selezionati (S) "
                           "e conseguiti (F).",
            description_en="Cumulative indicator values by project and year, selected (S) and "
                           "achieved (F).",
            keywords=("indicatori", "valori", "pon metro"),
            columns=("indicator_code", "project_code", "year",
                     Col("series", "Serie: S = selezionato, F = conseguito",
                         "Series: S = selected, F = achieved"),
                     Col("value", "Valore cumulato", "Cumulative value"),
                     Col("reported_on", "Data di rilevazione", "Date the value was recorded")),
            order_by=("indicator_code", "project_code", "year", "series"))),
    Mart("programme_indicator_progress", "Yearly sum over projects per indicator (a cumulative value "
         "holds until the next one) and share of the 2023 target.", f"""
        WITH years AS (SELECT CAST(y AS INTEGER) AS year
                       FROM range({ELIGIBILITY.years.start}, {ELIGIBILITY.years.stop}) r(y)),
        grid AS (
            SELECT DISTINCT i.indicator_code, v.project_code, s.series, y.year
            FROM mart.programme_indicators i
            CROSS JOIN (VALUES ('S'), ('F')) s(series) CROSS JOIN years y
            LEFT JOIN mart.programme_indicator_values v USING (indicator_code)),
        carried AS (  -- a cumulative value holds until the next one is recorded
            SELECT g.indicator_code, g.year, g.series, v.value
            FROM grid g ASOF LEFT JOIN mart.programme_indicator_values v
              ON v.indicator_code = g.indicator_code AND v.project_code = g.project_code
             AND v.series = g.series AND g.year >= v.year)
        SELECT c.indicator_code, i.axis_id, c.year, c.series,
               coalesce(sum(c.value), 0) AS value, i.target_2023,
               CASE WHEN i.target_2023 > 0
                    THEN coalesce(sum(c.value), 0) / i.target_2023 END AS pct_of_target
        FROM carried c JOIN mart.programme_indicators i USING (indicator_code)
        GROUP BY c.indicator_code, i.axis_id, c.year, c.series, i.target_2023
        ORDER BY i.axis_id, c.indicator_code, c.year, c.series DESC""",
        dataset=Dataset(
            id="indicator-progress",
            theme="GOVE", frequency="ANNUAL", temporal=PROGRAMME_YEARS,
            title_it="Avanzamento degli indicatori rispetto al target",
            title_en="Indicator progress against target",
            description_it="Somma annua dei valori per indicatore e percentuale del target 2023.",
            description_en="Yearly sum of values by indicator and share of the 2023 target.",
            keywords=("indicatori", "target", "avanzamento"),
            columns=("indicator_code", "axis_id", "year",
                     Col("series", "Serie: S = selezionato, F = conseguito",
                         "Series: S = selected, F = achieved"),
                     Col("value", "Somma dei valori dei progetti", "Sum over projects"),
                     Col("target_2023", "Valore obiettivo al 2023", "Target value for 2023"),
                     Col("pct_of_target", "Percentuale del target", "Share of target", "%")),
            order_by=("indicator_code", "year", "series"))),
    Mart("programme_grants", "Neighbourhood School grants with the project's axis and place.", """
        SELECT g.grant_id, g.project_code, p.axis_id, g.call, g.phase, g.amount_eur,
               g.awarded_on, g.neighbourhood, g.lon, g.lat,
               nil_of(g.lon, g.lat) AS nil_id, municipio_of(g.lon, g.lat) AS municipio_id
        FROM staging.programme_grants g JOIN mart.programme_projects p USING (project_code)
        ORDER BY g.grant_id"""),
)


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Check the grant caps, build ``MARTS``, then report the money and value rules."""
    _check_grants(con)
    create(con, ctx, MARTS)
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
