"""The naive baseline: a callback that reads the landing data with pandas and aggregates.

This is what a dashboard without a warehouse does: ``pd.read_csv`` every file
the figure needs, then group in Python. Each mart a callback touches has a
recipe that recomputes it that way; marts without one (small dimensions) cost a
pandas copy of the table. The recipes are timed once per table and summed per
callback, which favours the baseline (a real naive app would re-read per call).
"""

from __future__ import annotations

import glob
import re
import time
from collections.abc import Callable
from pathlib import Path

from bench import procs

RECOMPUTED = "recomputed from landing"
TABLE_RE = re.compile(r"\b(mart|staging)\.([a-z_][a-z0-9_]*)", re.IGNORECASE)


def tables_in(sql: str) -> set[str]:
    return {f"{s.lower()}.{t.lower()}" for s, t in TABLE_RE.findall(sql)}


class Naive:
    """Times pandas recomputations of marts from the landing files, caching per table."""

    def __init__(self, landing: Path, warehouse: Path) -> None:
        import pandas as pd

        self.pd = pd
        self.landing = landing
        self.warehouse = warehouse
        self.seconds: dict[str, float] = {}
        self.recipes: dict[str, Callable[[], object]] = {
            "mart.mobility_station_status_hourly": self._status_hourly,
            "mart.mobility_station_status_latest": self._status_latest,
            "mart.mobility_station_typical_availability": self._status_typical,
            "mart.mobility_bay_occupancy_hourly": self._bay_hourly,
            "mart.mobility_bay_occupancy_heatmap": self._bay_heatmap,
            "mart.mobility_trips_daily": self._trips_daily,
            "mart.mobility_trips_daily_od": self._trips_daily,
        }

    def cost(self, tables: set[str]) -> float:
        """Seconds a naive callback spends recomputing ``tables`` with pandas."""
        total = 0.0
        for table in sorted(tables):
            if table not in self.seconds:
                start = time.perf_counter()
                self.recipes.get(table, lambda t=table: self._copy(t))()
                self.seconds[table] = time.perf_counter() - start
            total += self.seconds[table]
        return total

    def kind(self, tables: set[str]) -> str:
        return RECOMPUTED if tables & set(self.recipes) else "pandas copy"

    # ----------------------------------------------------------------- reading

    def _read(self, pattern: str, dates: list[str]):
        files = sorted(glob.glob(str(self.landing / pattern)))
        frames = [self.pd.read_csv(f, parse_dates=dates) for f in files]
        return self.pd.concat(frames, ignore_index=True)

    def _local(self, series):
        if series.dt.tz is None:
            series = series.dt.tz_localize("UTC")
        return series.dt.tz_convert("Europe/Rome")

    def _copy(self, table: str):
        con = procs.open_warehouse(self.warehouse)
        try:
            return con.sql(f"SELECT * FROM {table}").df()  # noqa: S608 - name from the SQL we traced
        finally:
            con.close()

    # ----------------------------------------------------------------- recipes

    def _status(self):
        return self._read("mobility/station_status/*.csv", ["last_reported"])

    def _status_hourly(self):
        df = self._status()
        df["hour"] = df["last_reported"].dt.floor("h")
        return df.groupby(["station_id", "hour"]).agg(
            avg_vehicles_available=("num_vehicles_available", "mean"),
            avg_docks_available=("num_docks_available", "mean"),
            min_vehicles_available=("num_vehicles_available", "min"),
            samples=("num_vehicles_available", "size")).reset_index()

    def _status_latest(self):
        df = self._status().sort_values("last_reported")
        return df.groupby("station_id").tail(1)

    def _status_typical(self):
        df = self._status()
        local = self._local(df["last_reported"])
        df["weekday"], df["hour_of_day"] = local.dt.dayofweek + 1, local.dt.hour
        total = df["num_vehicles_available"] + df["num_docks_available"]
        df["rate"] = df["num_vehicles_available"] / total.where(total != 0)
        return df.groupby(["station_id", "weekday", "hour_of_day"]).agg(
            avg_vehicles_available=("num_vehicles_available", "mean"),
            avg_occupancy_rate=("rate", "mean")).reset_index()

    def _bay(self):
        ev = self._read("mobility/spot_status/*.csv", ["observed_at"])
        spots = self.pd.read_csv(self.landing / "mobility/parking_spots.csv")
        ev = ev.merge(spots[["spot_id", "area_id"]], on="spot_id")
        ev = ev.sort_values(["spot_id", "observed_at"])
        ev["t1"] = ev.groupby("spot_id")["observed_at"].shift(-1).fillna(ev["observed_at"].max())
        ev = ev[ev["status"].isin(["free", "occupied"])]
        ev["secs"] = (ev["t1"] - ev["observed_at"]).dt.total_seconds()
        ev["occ"] = ev["secs"].where(ev["status"] == "occupied", 0.0)
        ev["hour"] = ev["observed_at"].dt.floor("h")
        return ev

    def _bay_hourly(self):
        g = self._bay().groupby(["area_id", "hour"])[["occ", "secs"]].sum()
        return (g["occ"] / g["secs"]).reset_index()

    def _bay_heatmap(self):
        ev = self._bay()
        local = self._local(ev["hour"])
        ev["weekday"], ev["hour_of_day"] = local.dt.dayofweek + 1, local.dt.hour
        g = ev.groupby(["area_id", "weekday", "hour_of_day"])[["occ", "secs"]].sum()
        return (g["occ"] / g["secs"]).reset_index()

    def _trips_daily(self):
        df = self._read("mobility/trips/*.csv", ["start_time", "end_time"])
        df = df[df["end_time"] >= df["start_time"]]
        df["date"] = self._local(df["start_time"]).dt.date
        df["minutes"] = (df["end_time"] - df["start_time"]).dt.total_seconds() / 60
        return df.groupby(["date", "vehicle_type_id"]).agg(
            trips=("minutes", "size"), avg_duration_min=("minutes", "mean"),
            avg_distance_km=("distance_m", "mean")).reset_index()
