"""Risk flags, the performance-framework rule and the alert events: one test (or more) per rule.

Each rule runs on a tiny hand-made set of marts in an in-memory DuckDB, at a fixed
as-of date, on both sides of its thresholds; the last tests read the demo warehouse.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from etl.domains.programme import alerts, flags, performance

AS_OF = date(2022, 12, 31)


def marts(projects: list[dict], tx: list[dict] = (), indicators: list[dict] = (),
          values: list[dict] = ()) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA mart")
    con.execute("""CREATE TABLE mart.programme_projects (project_code VARCHAR, axis_id INTEGER,
        title_it VARCHAR, title_en VARCHAR, start_date DATE, end_date_planned DATE,
        end_date_actual DATE, budget_eur DOUBLE)""")
    con.execute("""CREATE TABLE mart.programme_financial_transactions (transaction_id VARCHAR,
        project_code VARCHAR, axis_id INTEGER, date DATE, kind VARCHAR, amount_eur DOUBLE)""")
    con.execute("""CREATE TABLE mart.programme_indicators (indicator_code VARCHAR, axis_id INTEGER,
        name_it VARCHAR, name_en VARCHAR, unit VARCHAR, target_2023 DOUBLE)""")
    con.execute("""CREATE TABLE mart.programme_indicator_values (indicator_code VARCHAR,
        project_code VARCHAR, year INTEGER, series VARCHAR, value DOUBLE, reported_on DATE)""")
    for p in projects:
        con.execute("INSERT INTO mart.programme_projects VALUES (?, 1, 'titolo', 'title', ?, ?, ?, ?)",
                    [p["code"], p["start"], p["planned"], p.get("actual"), p.get("budget", 100.0)])
    for n, t in enumerate(tx):
        con.execute("INSERT INTO mart.programme_financial_transactions VALUES (?, ?, 1, ?, ?, ?)",
                    [f"T{n}", t["code"], t["date"], t["kind"], t["amount"]])
    for i in indicators:
        con.execute("INSERT INTO mart.programme_indicators VALUES (?, 1, 'nome', 'name', 'u', ?)",
                    [i["code"], i["target"]])
    for v in values:
        con.execute("INSERT INTO mart.programme_indicator_values VALUES (?, 'P', ?, ?, ?, ?)",
                    [v["code"], v["year"], v["series"], v["value"], v["on"]])
    return con


def flags_of(con, rule_id: str, when: date = AS_OF) -> dict[str, str]:
    frame = flags.evaluate(con, [when], (flags.RULES_BY_ID[rule_id],))
    return dict(zip(frame["item_id"], frame["level"], strict=True))


# --------------------------------------------------------------------------- spending pace

def test_spending_pace_levels_at_the_thresholds():
    # four projects, each at 50% of its time on AS_OF; paid share sets the gap
    start, planned = date(2021, 12, 31), date(2023, 12, 31)
    projects = [{"code": c, "start": start, "planned": planned} for c in "ABCD"]
    paid = {"A": 30.0, "B": 24.0, "C": 1.0, "D": 0.0}  # gaps 0.20, 0.26, 0.49, 0.50
    tx = [{"code": c, "date": date(2022, 3, 1), "kind": k, "amount": a}
          for c, a in paid.items() if a for k in ("commitment", "payment")]
    got = flags_of(marts(projects, tx), "spending_pace")
    assert got == {"B": "amber", "C": "amber", "D": "red"}


def test_spending_pace_ignores_closed_and_future_projects():
    projects = [
        {"code": "DONE", "start": date(2020, 1, 1), "planned": date(2022, 1, 1),
         "actual": date(2022, 6, 1)},
        {"code": "LATER", "start": date(2023, 2, 1), "planned": date(2023, 12, 1)},
        {"code": "OPEN", "start": date(2020, 1, 1), "planned": date(2022, 1, 1),
         "actual": date(2023, 6, 1)},  # closed after the as-of date: open then
    ]
    assert flags_of(marts(projects), "spending_pace") == {"OPEN": "red"}


def test_reasons_are_in_both_languages_with_locale_numbers():
    projects = [{"code": "X", "start": date(2021, 12, 31), "planned": date(2023, 12, 31),
                 "budget": 1_000_000.0}]
    frame = flags.evaluate(marts(projects), [AS_OF], (flags.RULES_BY_ID["spending_pace"],))
    row = frame.row(0, named=True)
    assert row["reason_en"].startswith("Paid 0% of the budget with 50% of the time")
    assert row["reason_it"].startswith("Pagato 0% del budget con 50% del tempo")
    assert "points behind" in row["reason_en"] and "punti" in row["reason_it"]


# ----------------------------------------------------------------------- stalled commitments

@pytest.mark.parametrize(("last_payment", "expected"), [
    (date(2022, 7, 15), None),  # 5 months
    (date(2022, 6, 15), "amber"),  # 6 months
    (date(2021, 12, 15), "red"),  # 12 months
])
def test_stalled_commitments_counts_months_since_the_last_payment(last_payment, expected):
    projects = [{"code": "P1", "start": date(2021, 1, 1), "planned": date(2025, 1, 1)}]
    tx = [{"code": "P1", "date": date(2021, 2, 1), "kind": "commitment", "amount": 90.0},
          {"code": "P1", "date": last_payment, "kind": "payment", "amount": 10.0}]
    got = flags_of(marts(projects, tx), "stalled_commitments")
    assert got.get("P1") == expected


def test_stalled_commitments_without_any_payment_counts_from_the_first_commitment():
    projects = [{"code": "P1", "start": date(2021, 1, 1), "planned": date(2025, 1, 1)},
                {"code": "P2", "start": date(2021, 1, 1), "planned": date(2025, 1, 1)}]
    tx = [{"code": "P1", "date": date(2021, 11, 30), "kind": "commitment", "amount": 50.0},
          # fully paid commitments are not "open": no flag however old
          {"code": "P2", "date": date(2021, 1, 5), "kind": "commitment", "amount": 50.0},
          {"code": "P2", "date": date(2021, 2, 5), "kind": "payment", "amount": 50.0}]
    frame = flags.evaluate(marts(projects, tx), [AS_OF],
                           (flags.RULES_BY_ID["stalled_commitments"],))
    assert frame["item_id"].to_list() == ["P1"] and frame["level"][0] == "red"
    assert "13 months" in frame["reason_en"][0] and "50 €" in frame["reason_en"][0]


# ----------------------------------------------------------------------------- behind path

def _path_marts(achieved: float) -> duckdb.DuckDBPyConnection:
    # path from 2016-01-01 to 2023-12-31; on AS_OF (2022-12-31) 7/8 of the way
    return marts([], indicators=[{"code": "I1", "target": 800.0}], values=[
        {"code": "I1", "year": 2016, "series": "S", "value": 800.0, "on": date(2016, 1, 1)},
        {"code": "I1", "year": 2022, "series": "F", "value": achieved, "on": date(2022, 12, 1)},
    ])


@pytest.mark.parametrize(("achieved", "expected"), [
    (600.0, None),  # expected ~700: 86%
    (590.0, "amber"),  # 84%
    (450.0, "red"),  # 64%
])
def test_behind_path_compares_with_the_straight_line_to_target(achieved, expected):
    assert flags_of(_path_marts(achieved), "behind_path").get("I1") == expected


def test_behind_path_ignores_values_recorded_after_the_date_and_the_first_year():
    con = _path_marts(700.0)
    # the F value is recorded on 2022-12-01: before it, nothing is achieved
    assert flags_of(con, "behind_path", date(2022, 11, 30)) == {"I1": "red"}
    assert flags_of(con, "behind_path", date(2016, 6, 30)) == {}  # grace year


# --------------------------------------------------------------------------------- overdue

def test_overdue_amber_then_red_after_90_days():
    projects = [
        {"code": "ON_TIME", "start": date(2020, 1, 1), "planned": date(2023, 1, 1)},
        {"code": "LATE", "start": date(2020, 1, 1), "planned": date(2022, 10, 15)},
        {"code": "VERY_LATE", "start": date(2020, 1, 1), "planned": date(2022, 9, 30)},
        {"code": "CLOSED", "start": date(2020, 1, 1), "planned": date(2021, 1, 1),
         "actual": date(2022, 1, 1)},
    ]
    assert flags_of(marts(projects), "overdue") == {"LATE": "amber", "VERY_LATE": "red"}


def test_every_rule_has_reasons_with_its_placeholders():
    for rule in flags.RULES:
        for template in (rule.reason_it, rule.reason_en):
            for key in rule.formats:
                assert "{" + key + "}" in template, (rule.rule_id, key)


def test_month_ends():
    assert flags.month_ends(date(2022, 11, 15), date(2023, 2, 27)) == [
        date(2022, 11, 30), date(2022, 12, 31), date(2023, 1, 31)]


# --------------------------------------------------------------------- performance framework

def _pf(shares: list[float], milestone: float = 100.0) -> pl.DataFrame:
    """Run the achievement SQL on an axis whose output indicators reach ``shares``."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA mart")
    con.execute("CREATE TABLE mart.programme_axes AS SELECT 1 AS axis_id, 'FESR' AS fund, "
                "'more_developed' AS category_of_region")
    con.execute("CREATE TABLE mart.programme_financial_transactions (axis_id INTEGER, date DATE, "
                "kind VARCHAR, amount_eur DOUBLE)")
    con.execute("""CREATE TABLE mart.programme_indicator_values (indicator_code VARCHAR,
        project_code VARCHAR, year INTEGER, series VARCHAR, value DOUBLE, reported_on DATE)""")
    con.execute("""CREATE TABLE mart.programme_performance_framework (axis_id INTEGER,
        indicator_id VARCHAR, indicator_type VARCHAR, indicator_code VARCHAR, name_it VARCHAR,
        name_en VARCHAR, unit VARCHAR, milestone_2018 DOUBLE, target_2023 DOUBLE,
        source VARCHAR, verified BOOLEAN)""")
    for n, share in enumerate(shares):
        code = f"O{n}"
        con.execute("INSERT INTO mart.programme_performance_framework VALUES "
                    "(1, ?, 'output', ?, 'n', 'n', 'u', ?, 1000, 'demo', false)",
                    [code, code, milestone])
        con.execute("INSERT INTO mart.programme_indicator_values VALUES (?, 'P', 2018, 'F', ?, ?)",
                    [code, share * milestone, date(2018, 12, 20)])
    return con.sql(performance.ACHIEVEMENT_SQL,
                   params=performance.achievement_params(date(2019, 6, 30))).pl()


def test_milestone_met_at_85_percent():
    frame = _pf([0.85, 0.849])
    assert frame["milestone_met"].to_list() == [True, False]
    assert frame["axis_milestones_met"].to_list() == [False, False]
    assert _pf([0.85, 1.2])["axis_milestones_met"].to_list() == [True, True]


def test_derogation_one_of_three_may_stop_at_75_percent():
    assert _pf([0.9, 0.9, 0.75])["axis_milestones_met"][0] is True
    assert _pf([0.9, 0.9, 0.74])["axis_milestones_met"][0] is False
    assert _pf([0.9, 0.8, 0.8])["axis_milestones_met"][0] is False  # two below 85%
    assert _pf([0.9, 0.75])["axis_milestones_met"][0] is False  # only with 3+


def test_milestone_uses_the_value_at_the_end_of_2018_only():
    # a value recorded for 2019 does not count towards the 2018 milestone
    frame = _pf([0.5])
    assert frame["value_2018"][0] == 50.0 and frame["milestone_met"][0] is False


# ------------------------------------------------------------------------------ alerts

def _history(rows: list[tuple[date, str, str]]) -> pl.DataFrame:
    return pl.DataFrame([{"as_of": d, "item_kind": "project", "item_id": item, "axis_id": 1,
                          "rule_id": "overdue", "level": level, "value": 1.0,
                          "reason_it": "r", "reason_en": "r"} for d, item, level in rows])


def test_alert_events_on_escalation_only():
    m1, m2, m3, m4 = flags.month_ends(date(2022, 1, 1), date(2022, 4, 30))
    history = _history([(m1, "A", "amber"), (m2, "A", "amber"), (m3, "A", "red"),
                        (m4, "A", "red"), (m2, "B", "red"), (m4, "B", "amber")])
    events = alerts.flag_events(history)
    assert [e["event_id"] for e in events] == [
        "flag/overdue/A/amber/2022-01-31", "flag/overdue/B/red/2022-02-28",
        "flag/overdue/A/red/2022-03-31", "flag/overdue/B/amber/2022-04-30"]
    assert len({e["event_id"] for e in events}) == len(events)
    # a newer extract (one more month) keeps every earlier event with the same id
    shorter = alerts.flag_events(history.filter(pl.col("as_of") <= m3))
    assert {e["event_id"] for e in shorter} <= {e["event_id"] for e in events}


# --------------------------------------------------------------------- the demo warehouse

@pytest.fixture(scope="module")
def con(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def test_demo_flags_are_computed_at_the_data_as_of_date(con):
    as_of = con.execute("SELECT as_of FROM mart.programme_as_of").fetchone()[0]
    assert as_of == date(2023, 12, 31)
    statuses = dict(con.execute("SELECT item_id, status FROM mart.programme_risk_status").fetchall())
    assert statuses["MI4.1.1.c"] == "red"  # demo: planned end 30/06/2023, still open
    assert statuses["MI2.2.3.f"] in ("amber", "red")
    assert set(statuses.values()) <= {"green", "amber", "red"}
    missing = con.execute("""SELECT count(*) FROM mart.programme_risk_flags
        WHERE reason_it IS NULL OR reason_en IS NULL OR reason_it = reason_en""").fetchone()[0]
    assert missing == 0


def test_demo_performance_framework_covers_axes_1_to_4(con):
    rows = con.execute("""SELECT axis_id, count(*) FILTER (indicator_type = 'financial'),
        count(*) FILTER (indicator_type = 'output'), bool_or(verified)
        FROM mart.programme_performance_achievement GROUP BY 1 ORDER BY 1""").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3, 4]
    assert all(r[1] == 1 and r[2] >= 1 and r[3] is False for r in rows)
    verdicts = {r[0] for r in con.execute(
        "SELECT DISTINCT axis_milestones_met FROM mart.programme_performance_achievement").fetchall()}
    assert verdicts == {True, False}  # the demo calibration shows both


def test_demo_alert_ids_are_unique(con):
    n, distinct = con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM mart.programme_alerts").fetchone()
    assert n > 0 and n == distinct
