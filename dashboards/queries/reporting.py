"""EU reporting queries: AIR Table 6, Table 3A and the operations list as of a cut-off date.

One implementation for the /reporting page and the ``ponmetro export eu-report``
command: every function takes a *runner* (``run(sql, params) -> DataFrame``), so
the page passes the app's read-only door and the CLI passes its own read-only
connection. Only facts dated on or before the as-of date count: payments and
commitments by their date, indicator values by the date they were recorded,
operations by their start (selection) date. SQL is fixed text with ``?``
parameters; nothing from the user becomes SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from dashboards.cache import memoize

Runner = Callable[[str, list[Any]], pl.DataFrame]

PROGRAMME_CCI = "2014IT16M2OP004"
MILANO_ISTAT = "003015146"
#: Money cross-checks tolerate one cent of rounding.
CENT = 0.005

REQUIRED_TABLES = ("meta.build", "meta.calendar", "mart.programme_axes", "mart.programme_projects", "mart.programme_financial_transactions",
                   "mart.programme_indicators", "mart.programme_indicator_values", "mart.programme_axis_finance_monthly")


class AsOfError(ValueError):
    """The cut-off date is not a date of the programme period."""


def eligibility(run: Runner) -> tuple[date, date]:
    """The eligibility period the build wrote (``meta.calendar``; etl.calendar says why)."""
    row = run("SELECT start_date, end_date FROM meta.calendar WHERE period = 'eligibility'",
              [])
    if row.height != 1:
        raise AsOfError("the warehouse has no eligibility period in meta.calendar; rebuild it")
    return row["start_date"][0], row["end_date"][0]


def period_years(period: tuple[date, date]) -> tuple[int, ...]:
    """The reporting years of a period (Table 3A's columns)."""
    return tuple(range(period[0].year, period[1].year + 1))


def parse_as_of(value: object, period: tuple[date, date]) -> date:
    """A cut-off date from user text (YYYY-MM-DD) inside the eligibility ``period``."""
    if isinstance(value, date):
        as_of = value
    else:
        text = str(value or "").strip()[:32]
        try:
            as_of = date.fromisoformat(text)
        except ValueError as exc:
            raise AsOfError(f"as-of date {text!r} is not a date YYYY-MM-DD") from exc
    start, end = period
    if not start <= as_of <= end:
        raise AsOfError(f"as-of date {as_of.isoformat()} is outside the programme period "
                        f"{start.isoformat()} to {end.isoformat()}")
    return as_of


def default_as_of(period: tuple[date, date], today: date | None = None) -> date:
    """Today, or the end of the eligibility period once it has passed."""
    today = today or date.today()
    return min(max(today, period[0]), period[1])


# ----------------------------------------------------------------------------- tables


def table6(run: Runner, as_of: date) -> pl.DataFrame:
    """Financial data by priority axis (AIR Table 6) as of ``as_of``.

    Selected operations are those started on or before the date; their total and
    public eligible cost is their total public financing (the plan has no private
    co-financing); declared expenditure is the sum of their payments to the date.
    """
    return run("""
        WITH selected AS (SELECT project_code, axis_id, budget_eur FROM mart.programme_projects
                          WHERE start_date <= ?),
        paid AS (SELECT project_code, sum(amount_eur) AS paid_eur
                 FROM mart.programme_financial_transactions
                 WHERE kind = 'payment' AND date <= ? GROUP BY project_code)
        SELECT a.axis_id, a.name_it AS axis_name_it, a.name_en AS axis_name_en, a.fund,
               a.category_of_region, a.calculation_basis,
               a.allocation_eur AS total_allocation_eur, a.cofinancing_rate,
               round(coalesce(sum(s.budget_eur), 0), 2) AS total_eligible_cost_selected_eur,
               round(CASE WHEN a.allocation_eur > 0
                          THEN coalesce(sum(s.budget_eur), 0) / a.allocation_eur END, 4)
                   AS pct_allocation_selected,
               round(coalesce(sum(s.budget_eur), 0), 2) AS public_eligible_cost_selected_eur,
               round(coalesce(sum(p.paid_eur), 0), 2) AS eligible_expenditure_declared_eur,
               round(CASE WHEN a.allocation_eur > 0
                          THEN coalesce(sum(p.paid_eur), 0) / a.allocation_eur END, 4)
                   AS pct_allocation_declared,
               CAST(count(s.project_code) AS INTEGER) AS operations_selected
        FROM mart.programme_axes a
        LEFT JOIN selected s ON s.axis_id = a.axis_id
        LEFT JOIN paid p ON p.project_code = s.project_code
        GROUP BY a.axis_id, a.name_it, a.name_en, a.fund, a.category_of_region,
                 a.calculation_basis, a.allocation_eur, a.cofinancing_rate
        ORDER BY a.axis_id""", [as_of, as_of])


def table3a(run: Runner, as_of: date) -> pl.DataFrame:
    """Output indicators (AIR Table 3A): one row per indicator, year 2014-2023 and series.

    A project's cumulative value holds until its next recorded value; values
    recorded after ``as_of`` are ignored and years after the as-of year are empty.
    """
    return run("""
        WITH v AS (SELECT * FROM mart.programme_indicator_values WHERE reported_on <= ?),
        years AS (SELECT CAST(y AS INTEGER) AS year FROM range(2014, 2024) r(y)),
        series AS (SELECT * FROM (VALUES ('S', 1), ('F', 2)) s(series, ord)),
        grid AS (SELECT p.indicator_code, p.project_code, p.series, y.year
                 FROM (SELECT DISTINCT indicator_code, project_code, series FROM v) p
                 CROSS JOIN years y),
        carried AS (SELECT g.indicator_code, g.series, g.year, v.value
                    FROM grid g ASOF LEFT JOIN v
                      ON v.indicator_code = g.indicator_code
                     AND v.project_code = g.project_code
                     AND v.series = g.series AND g.year >= v.year),
        summed AS (SELECT indicator_code, series, year, sum(value) AS value
                   FROM carried GROUP BY indicator_code, series, year)
        SELECT i.indicator_code, i.name_it AS indicator_name_it,
               i.name_en AS indicator_name_en, i.unit, i.fund, a.category_of_region,
               i.target_2023, y.year, s.series,
               CASE WHEN y.year <= ? THEN coalesce(sm.value, 0) END AS value,
               i.verified
        FROM mart.programme_indicators i JOIN mart.programme_axes a ON a.axis_id = i.axis_id
        CROSS JOIN years y CROSS JOIN series s
        LEFT JOIN summed sm ON sm.indicator_code = i.indicator_code
             AND sm.series = s.series AND sm.year = y.year
        WHERE i.kind = 'output'
        ORDER BY i.axis_id, i.indicator_code, y.year, s.ord""", [as_of, as_of.year])


def table5(run: Runner, as_of: date) -> pl.DataFrame:
    """Performance framework (AIR Table 5): per axis, the financial indicator and the key
    outputs with the 2018 milestone, the 2023 target, the values at the end of 2018 and at
    ``as_of``, and the 85% rule applied (the same SQL the ETL runs for the dashboards)."""
    from etl.domains.programme import performance

    present = run("SELECT count(*) AS n FROM information_schema.tables "
                  "WHERE table_schema = 'mart' AND table_name = 'programme_performance_framework'", [])
    if not present["n"][0]:
        return pl.DataFrame(schema={c: pl.String for c in TABLE5_COLUMNS})
    frame = run(performance.ACHIEVEMENT_SQL, performance.achievement_params(as_of))
    return frame.rename({"name_it": "indicator_name_it", "name_en": "indicator_name_en"}
                        ).select(TABLE5_COLUMNS)


TABLE5_COLUMNS = ("axis_id", "indicator_type", "indicator_id", "indicator_name_it",
                  "indicator_name_en", "unit", "fund", "category_of_region", "milestone_2018",
                  "value_2018", "milestone_share", "milestone_met", "target_2023",
                  "value_as_of", "target_share", "target_met", "axis_milestones_met",
                  "axis_targets_met", "source", "verified")


def operations(run: Runner, as_of: date) -> pl.DataFrame:
    """List of operations with OpenCoesione-style columns, money and status as of the date."""
    return run("""
        WITH money AS (
            SELECT project_code,
                   sum(amount_eur) FILTER (kind = 'commitment') AS committed_eur,
                   sum(amount_eur) FILTER (kind = 'payment') AS paid_eur
            FROM mart.programme_financial_transactions WHERE date <= ? GROUP BY project_code)
        SELECT p.project_code AS COD_LOCALE_PROGETTO, p.cup AS CUP,
               p.title_it AS OC_TITOLO_PROGETTO, p.title_en AS TITLE_EN,
               ? AS OC_CODICE_PROGRAMMA,
               CAST(p.axis_id AS VARCHAR) AS OC_COD_ARTICOLAZ_PROGRAMMA,
               p.action_code AS OC_COD_SUBARTICOLAZ_PROGRAMMA,
               a.fund AS FONDO_COMUNITARIO,
               p.budget_eur AS FINANZ_TOTALE_PUBBLICO, p.eu_financing_eur AS FINANZ_UE,
               round(coalesce(m.committed_eur, 0), 2) AS IMPEGNI,
               round(coalesce(m.paid_eur, 0), 2) AS TOT_PAGAMENTI,
               CASE WHEN p.end_date_actual <= ? THEN 'Concluso' ELSE 'In corso' END
                   AS OC_STATO_PROGETTO,
               p.start_date AS OC_DATA_INIZIO_PROGETTO,
               p.end_date_planned AS OC_DATA_FINE_PROGETTO_PREVISTA,
               CASE WHEN p.end_date_actual <= ? THEN p.end_date_actual END
                   AS OC_DATA_FINE_PROGETTO_EFFETTIVA,
               p.beneficiary AS OC_DENOM_BENEFICIARIO,
               ? AS COD_COMUNE, 'MILANO' AS DEN_COMUNE
        FROM mart.programme_projects p JOIN mart.programme_axes a ON a.axis_id = p.axis_id
        LEFT JOIN money m ON m.project_code = p.project_code
        WHERE p.start_date <= ?
        ORDER BY p.project_code""",
        [as_of, PROGRAMME_CCI, as_of, as_of, MILANO_ISTAT, as_of])


def finance_by_axis(run: Runner, as_of: date) -> pl.DataFrame:
    """Cumulative commitments and payments per axis at each month end up to ``as_of``."""
    return run("""
        WITH bounds AS (SELECT coalesce(min(date), CAST(? AS DATE)) AS first
                        FROM mart.programme_financial_transactions),
        months AS (SELECT CAST(m AS DATE) AS month
                   FROM bounds, generate_series(date_trunc('month', bounds.first),
                                                date_trunc('month', CAST(? AS DATE)),
                                                INTERVAL 1 MONTH) g(m)),
        cut AS (SELECT month, least(CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE),
                                    CAST(? AS DATE)) AS cutoff FROM months)
        SELECT a.axis_id, c.month, c.cutoff, a.allocation_eur,
               round(coalesce(sum(t.amount_eur) FILTER (t.kind = 'commitment'), 0), 2)
                   AS committed_cum_eur,
               round(coalesce(sum(t.amount_eur) FILTER (t.kind = 'payment'), 0), 2)
                   AS paid_cum_eur
        FROM mart.programme_axes a CROSS JOIN cut c
        LEFT JOIN mart.programme_financial_transactions t
               ON t.axis_id = a.axis_id AND t.date <= c.cutoff
        GROUP BY a.axis_id, c.month, c.cutoff, a.allocation_eur
        ORDER BY a.axis_id, c.month""", [as_of, as_of, as_of])


def build_facts(run: Runner) -> dict[str, Any]:
    row = run("SELECT build_id, built_at, is_demo FROM meta.build", []).row(0, named=True)
    return row


def programme_sources(run: Runner) -> pl.DataFrame:
    return run("""SELECT contract, relpath, sha256, rows, synthetic, source FROM meta.sources
                  WHERE contract LIKE 'programme%' ORDER BY contract, relpath""", [])


def quality_findings(run: Runner) -> int:
    return int(run("SELECT count(*) AS n FROM meta.quality WHERE contract LIKE 'programme%'",
                   [])["n"][0])


# ----------------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class Check:
    check_id: str
    label: str  # English msgid, translated by the page
    ok: bool
    template: str  # English msgid with {items}
    items: str = ""  # codes or numbers, never translated

    @property
    def detail(self) -> str:
        return self.text(lambda s: s)

    def text(self, translate: Callable[[str], str]) -> str:
        return translate(self.template).format(items=self.items or translate("none"))


def _axis_mart_check(run: Runner, as_of: date) -> Check:
    """The monthly axis mart (what dashboards show) agrees with the transactions."""
    frame = run("""
        WITH month_end AS (
            SELECT max(month) AS month FROM mart.programme_axis_finance_monthly
            WHERE CAST(month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) <= ?),
        tx AS (SELECT axis_id, sum(amount_eur) FILTER (kind = 'payment') AS paid,
                      sum(amount_eur) FILTER (kind = 'commitment') AS committed
               FROM mart.programme_financial_transactions, month_end
               WHERE date < month_end.month + INTERVAL 1 MONTH GROUP BY axis_id)
        SELECT count(*) FILTER (
                   WHERE abs(f.paid_cum_eur - coalesce(tx.paid, 0)) > 0.01
                      OR abs(f.committed_cum_eur - coalesce(tx.committed, 0)) > 0.01)
                   AS mismatches,
               any_value(f.month) AS month
        FROM mart.programme_axis_finance_monthly f JOIN month_end USING (month)
        LEFT JOIN tx USING (axis_id)""", [as_of])
    mismatches, month = frame["mismatches"][0], frame["month"][0]
    if month is None:
        return Check("axis_mart", "Monthly axis figures agree with the accounting acts", True,
                     "no complete month before the as-of date")
    return Check("axis_mart", "Monthly axis figures agree with the accounting acts",
                 mismatches == 0, "axes that differ at the last month end ({items})",
                 f"{month:%Y-%m}: {mismatches}")


def reconcile(run: Runner, as_of: date, t6: pl.DataFrame, ops: pl.DataFrame,
              t3a: pl.DataFrame) -> list[Check]:
    """Cross-checks shown on the page and in the workbook's notes."""
    by_axis = (ops.with_columns(pl.col("OC_COD_ARTICOLAZ_PROGRAMMA").cast(pl.Int64)
                                .alias("axis_id"))
               .group_by("axis_id")
               .agg(pl.col("FINANZ_TOTALE_PUBBLICO").sum().alias("cost"),
                    pl.col("TOT_PAGAMENTI").sum().alias("paid"), pl.len().alias("n")))
    joined = t6.join(by_axis, on="axis_id", how="left").fill_null(0)
    sums_off = joined.filter(
        ((pl.col("cost") - pl.col("total_eligible_cost_selected_eur")).abs() > 0.01)
        | ((pl.col("paid") - pl.col("eligible_expenditure_declared_eur")).abs() > 0.01)
        | (pl.col("n") != pl.col("operations_selected")))["axis_id"].to_list()
    over_money = ops.filter(
        (pl.col("TOT_PAGAMENTI") > pl.col("IMPEGNI") + CENT)
        | (pl.col("IMPEGNI") > pl.col("FINANZ_TOTALE_PUBBLICO") + CENT)
        | (pl.col("FINANZ_UE") > pl.col("FINANZ_TOTALE_PUBBLICO") + CENT)
    )["COD_LOCALE_PROGETTO"].to_list()
    over_alloc = t6.filter(pl.col("total_eligible_cost_selected_eur")
                           > pl.col("total_allocation_eur") + CENT)["axis_id"].to_list()
    wide = t3a.filter(pl.col("value").is_not_null()).pivot(
        on="series", index=["indicator_code", "year"], values="value")
    f_over_s = sorted(set(wide.filter(pl.col("F") > pl.col("S"))["indicator_code"]
                          .to_list())) if {"S", "F"} <= set(wide.columns) else []
    findings = quality_findings(run)

    def listed(items: list) -> str:
        return ", ".join(map(str, items))

    return [
        Check("sums", "Operations add up to the axis totals", not sums_off,
              "axes that differ: {items}", listed(sums_off)),
        Check("money", "Payments within commitments, commitments within budgets",
              not over_money, "operations above: {items}", listed(over_money)),
        Check("allocation", "Selected cost within each axis allocation", not over_alloc,
              "axes above: {items}", listed(over_alloc)),
        _axis_mart_check(run, as_of),
        Check("indicators", "Achieved values (F) within selected values (S)", not f_over_s,
              "indicators with F above S: {items}", listed(f_over_s)),
        Check("quality", "No data-quality findings on the programme extracts",
              findings == 0, "findings in meta.quality: {items}", str(findings)),
    ]


# ----------------------------------------------------------------------------- report


@dataclass
class Report:
    """Everything an EU report export needs, computed once for one as-of date."""

    as_of: date
    period: tuple[date, date]  # the eligibility period
    build: dict[str, Any]
    table6: pl.DataFrame
    table3a: pl.DataFrame
    operations: pl.DataFrame
    checks: list[Check] = field(default_factory=list)
    sources: pl.DataFrame | None = None
    table5: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def reconciled(self) -> bool:
        return all(c.ok for c in self.checks)


def build_report(run: Runner, as_of: date) -> Report:
    period = eligibility(run)
    as_of = parse_as_of(as_of, period)
    t6, t3a, ops = table6(run, as_of), table3a(run, as_of), operations(run, as_of)
    t5 = table5(run, as_of)
    return Report(as_of=as_of, period=period, build=build_facts(run), table6=t6, table3a=t3a,
                  operations=ops, checks=[*reconcile(run, as_of, t6, ops, t3a),
                                          _table5_check(t5, t6)],
                  sources=programme_sources(run), table5=t5)


def _table5_check(t5: pl.DataFrame, t6: pl.DataFrame) -> Check:
    """Table 5's financial indicator is Table 6's declared expenditure, axis by axis."""
    label = "Performance framework: financial indicator equals Table 6 declared expenditure"
    if t5.height == 0:
        return Check("table5", label, True, "no performance framework in this build")
    fin = t5.filter(pl.col("indicator_type") == "financial").join(
        t6.select("axis_id", "eligible_expenditure_declared_eur"), on="axis_id", how="left")
    off = fin.filter((pl.col("value_as_of") - pl.col("eligible_expenditure_declared_eur")
                      .fill_null(0)).abs() > 0.01)["axis_id"].to_list()
    return Check("table5", label, not off, "axes that differ: {items}",
                 ", ".join(map(str, off)))


# ------------------------------------------------------------------------- app side


def app_runner(sql: str, params: list[Any]) -> pl.DataFrame:
    """The web app's runner: the shared read-only door."""
    from dashboards import warehouse

    return warehouse.query(sql, params)


@memoize
def app_eligibility() -> tuple[date, date]:
    """The eligibility period as the web app sees it (cached per build)."""
    return eligibility(app_runner)


@memoize
def cached_report(as_of_iso: str) -> Report:
    """The page's report for one date, cached per warehouse build."""
    return build_report(app_runner, date.fromisoformat(as_of_iso))


@memoize
def cached_finance_by_axis(as_of_iso: str) -> pl.DataFrame:
    return finance_by_axis(app_runner, date.fromisoformat(as_of_iso))
