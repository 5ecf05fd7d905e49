"""KPI alerts: the threshold crossings the public feeds announce, as a mart.

Events are found by evaluating the flag rules and the performance framework at every
month end up to the data as-of date: a flag that appears or turns red, a 2018
milestone reached (85% rule, by the end of 2018), a 2023 target met (85% rule). An
event's id is built from what happened and when (rule, item, level, month end), never
from the build, so rebuilding from the same or newer extracts keeps every id and
never repeats an event.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from etl.domains.programme import flags, performance

_LEVEL_IT = {"amber": "gialla", "red": "rossa"}
_LEVEL_EN = {"amber": "amber", "red": "red"}
_SCHEMA = {"event_id": pl.String, "event_date": pl.Date, "kind": pl.String,
           "item_kind": pl.String, "item_id": pl.String, "axis_id": pl.Int64,
           "rule_id": pl.String, "level": pl.String, "title_it": pl.String,
           "title_en": pl.String, "summary_it": pl.String, "summary_en": pl.String}


def flag_events(history: pl.DataFrame) -> list[dict[str, object]]:
    """A flag raised, or raised to red, at a month end (compared with the month before)."""
    rank = {"amber": 1, "red": 2}
    events: list[dict[str, object]] = []
    dates = sorted(set(history["as_of"].to_list()))
    previous: dict[tuple[str, str, str], int] = {}
    by_date = {d: [] for d in dates}
    for row in history.iter_rows(named=True):
        by_date[row["as_of"]].append(row)
    for day in dates:
        now: dict[tuple[str, str, str], int] = {}
        for row in by_date[day]:
            key = (row["item_kind"], row["item_id"], row["rule_id"])
            now[key] = rank[row["level"]]
            if now[key] > previous.get(key, 0):
                rule = flags.RULES_BY_ID[row["rule_id"]]
                level = row["level"]
                events.append({
                    "event_id": f"flag/{row['rule_id']}/{row['item_id']}/{level}/{day:%Y-%m-%d}",
                    "event_date": day, "kind": "flag", "item_kind": row["item_kind"],
                    "item_id": row["item_id"], "axis_id": row["axis_id"],
                    "rule_id": row["rule_id"], "level": level,
                    "title_it": f"{row['item_id']}: segnalazione {_LEVEL_IT[level]} – "
                                f"{rule.name_it.lower()}",
                    "title_en": f"{row['item_id']}: {_LEVEL_EN[level]} flag – "
                                f"{rule.name_en.lower()}",
                    "summary_it": row["reason_it"], "summary_en": row["reason_en"]})
        previous = now
    return events


def performance_events(con: duckdb.DuckDBPyConnection,
                       dates: list[date]) -> list[dict[str, object]]:
    """First month end at which each framework indicator met its milestone or target."""
    seen: set[tuple[str, int, str]] = set()
    events: list[dict[str, object]] = []
    if not dates:
        return events
    frame = con.sql(performance.ACHIEVEMENT_SQL,
                    params=performance.achievement_params(*dates)).pl()
    for row in frame.iter_rows(named=True):  # ordered by date: the first crossing wins
        day = row["as_of"]
        for kind, met, share in (("milestone", row["milestone_met"], row["milestone_share"]),
                                 ("target", row["target_met"], row["target_share"])):
            key = (kind, row["axis_id"], row["indicator_id"])
            if not met or key in seen:
                continue
            seen.add(key)
            pct = f"{round(share * 100)}%"
            what_it = "milestone 2018" if kind == "milestone" else "target 2023"
            what_en = "2018 milestone" if kind == "milestone" else "2023 target"
            goal = row["milestone_2018"] if kind == "milestone" else row["target_2023"]
            events.append({
                "event_id": f"{kind}/{row['axis_id']}/{row['indicator_id']}/"
                            f"{day:%Y-%m-%d}",
                "event_date": day, "kind": kind, "item_kind": "performance",
                "item_id": row["indicator_id"], "axis_id": row["axis_id"],
                "rule_id": f"{kind}_met", "level": None,
                "title_it": f"Asse {row['axis_id']}, {row['indicator_id']}: {what_it} "
                            f"raggiunto",
                "title_en": f"Axis {row['axis_id']}, {row['indicator_id']}: {what_en} "
                            f"reached",
                "summary_it": f"{row['name_it']}: {pct} del valore ({goal:,.0f} "
                              f"{row['unit']}); la regola UE considera raggiunto l'85%."
                              .replace(",", "."),
                "summary_en": f"{row['name_en']}: {pct} of the value ({goal:,.0f} "
                              f"{row['unit']}); the EU rule counts 85% as reached."})
    return events


def build(con: duckdb.DuckDBPyConnection, history: pl.DataFrame, write: flags.Writer) -> None:
    dates = sorted(set(history["as_of"].to_list()))
    if not dates:
        first = con.execute("SELECT min(start_date) FROM mart.programme_projects").fetchone()[0]
        as_of = con.execute("SELECT as_of FROM mart.programme_as_of").fetchone()[0]
        dates = flags.month_ends(first, as_of) if first and as_of else []
    events = flag_events(history) + performance_events(con, dates)
    frame = pl.DataFrame(events, schema=_SCHEMA).sort("event_date", "event_id")
    write(con, "mart.programme_alerts", frame)
