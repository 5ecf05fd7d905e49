"""Mobility queries: bike-sharing stations, shared-mobility areas, trips, cycle routes."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import fetch

WEEKDAYS = tuple(range(1, 8))
HOURS = tuple(range(24))


@memoize
def stations(municipio_id: int | None = None, project_code: str | None = None,
             weekday: int = 1, hour: int = 8, programme_only: bool = False) -> pl.DataFrame:
    """Stations with current availability and the typical one at ``weekday``/``hour``
    (``programme_only``: the stations built or expanded by the programme)."""
    return fetch("""
        SELECT s.station_id, s.name, s.lat, s.lon, s.capacity, s.nil_id, s.municipio_id,
               s.intervention, s.project_code,
               l.num_vehicles_available AS vehicles_now, l.num_docks_available AS docks_now,
               l.last_reported,
               t.avg_vehicles_available AS vehicles_typical, t.avg_occupancy_rate AS typical_rate
        FROM mart.mobility_bike_stations s
        LEFT JOIN mart.mobility_station_status_latest l USING (station_id)
        LEFT JOIN mart.mobility_station_typical_availability t
               ON t.station_id = s.station_id AND t.weekday = ? AND t.hour_of_day = ?
        WHERE (? IS NULL OR s.municipio_id = ?) AND (? IS NULL OR s.project_code = ?)
          AND (NOT ? OR s.project_code IS NOT NULL)
        ORDER BY s.name""",
                 [weekday, hour, municipio_id, municipio_id, project_code, project_code,
                  programme_only])


@memoize
def areas(municipio_id: int | None = None) -> pl.DataFrame:
    return fetch("""
        SELECT area_id, name, lon, lat, nil_id, municipio_id, total_spots, project_code
        FROM mart.mobility_areas WHERE ? IS NULL OR municipio_id = ? ORDER BY area_id""",
                 [municipio_id, municipio_id])


@memoize
def bay_heatmap(area_id: int | None = None, municipio_id: int | None = None,
                project_code: str | None = None) -> pl.DataFrame:
    """Mean bay occupancy by weekday and hour, over one area or all selected areas."""
    return fetch("""
        SELECT h.weekday, h.hour_of_day, avg(h.occupancy_rate) AS occupancy_rate
        FROM mart.mobility_bay_occupancy_heatmap h JOIN mart.mobility_areas a USING (area_id)
        WHERE (? IS NULL OR h.area_id = ?) AND (? IS NULL OR a.municipio_id = ?)
          AND (? IS NULL OR a.project_code = ?)
        GROUP BY ALL ORDER BY h.weekday, h.hour_of_day""",
                 [area_id, area_id, municipio_id, municipio_id, project_code, project_code])


@memoize
def trips_weekly(form_factor: str | None = None) -> pl.DataFrame:
    """Trips per week and vehicle form factor (daily rows summed in DuckDB)."""
    return fetch("""
        SELECT date_trunc('week', d.date)::DATE AS week, v.form_factor, sum(d.trips)::BIGINT AS trips
        FROM mart.mobility_trips_daily d JOIN mart.mobility_vehicle_types v USING (vehicle_type_id)
        WHERE ? IS NULL OR v.form_factor = ?
        GROUP BY ALL ORDER BY week, v.form_factor""", [form_factor, form_factor])


@memoize
def cycle_routes(project_code: str | None = None) -> pl.DataFrame:
    return fetch("""
        SELECT route_id, name, project_code, length_m, geometry FROM mart.mobility_cycle_routes
        WHERE ? IS NULL OR project_code = ? ORDER BY project_code""",
                 [project_code, project_code])


def route_features(frame: pl.DataFrame) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(r["geometry"]),
         "properties": {"name": r["name"], "project_code": r["project_code"],
                        "length_m": r["length_m"]}}
        for r in frame.iter_rows(named=True)]}


