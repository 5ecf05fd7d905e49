"""Mobility marts: station and bay dimensions placed by containment, telemetry aggregates.

Heavy aggregation runs as DuckDB SQL over staging (parallel, out of core); only
the point-in-polygon steps pass through Python, in bounded batches. Hour-of-day
and weekday of typical patterns are Europe/Rome local time; stored hours are UTC.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import polars as pl

from etl.domains.mobility.contracts import CAPACITY_TOLERANCE

#: Local wall-clock time of a UTC TIMESTAMP column (Rome's offset is whole hours).
_LOCAL = "(({col} AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Rome')"
OD_KEYS = ("date", "origin_municipio_id", "destination_municipio_id", "vehicle_type_id")
#: k-anonymity threshold for published trip counts (MDS 2.0 reports use k = 10)
OD_MIN_TRIPS = 10
OD_BATCH_ROWS = 1_000_000

#: Display names of GBFS (form_factor, propulsion_type) pairs, Italian and English.
VEHICLE_NAMES = {
    ("bicycle", "human"): ("Bicicletta", "Bicycle"),
    ("bicycle", "electric_assist"): ("Bicicletta a pedalata assistita", "E-bike"),
    ("cargo_bicycle", "human"): ("Bicicletta cargo", "Cargo bike"),
    ("cargo_bicycle", "electric_assist"): ("Bicicletta cargo elettrica", "Electric cargo bike"),
    ("scooter_standing", "electric"): ("Monopattino elettrico", "E-scooter"),
    ("scooter_seated", "electric"): ("Scooter elettrico", "Electric moped scooter"),
    ("moped", "electric"): ("Ciclomotore elettrico", "Electric moped"),
    ("car", "combustion"): ("Auto", "Car"),
    ("car", "combustion_diesel"): ("Auto diesel", "Diesel car"),
    ("car", "hybrid"): ("Auto ibrida", "Hybrid car"),
    ("car", "plug_in_hybrid"): ("Auto ibrida plug-in", "Plug-in hybrid car"),
    ("car", "electric"): ("Auto elettrica", "Electric car"),
}


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Build every mart.* table of the Mobility section of docs/data-model.md."""
    _vehicle_types(con, ctx)
    _stations(con, ctx)
    _station_status(con, ctx)
    _areas_and_spots(con, ctx)
    _bay_occupancy(con)
    _trips(con, ctx)
    _cycle_routes(con, ctx)


# ----------------------------------------------------------------- dimensions


def _vehicle_types(con, ctx) -> None:
    frame = con.sql("SELECT vehicle_type_id, form_factor, propulsion_type, name "
                    "FROM staging.mobility_vehicle_types ORDER BY 1").pl()
    pairs = list(zip(frame["form_factor"], frame["propulsion_type"], strict=True))
    names = [VEHICLE_NAMES.get(p) for p in pairs]
    frame = frame.with_columns(
        pl.coalesce(pl.col("name"), pl.Series([n[0] if n else None for n in names],
                                              dtype=pl.String),
                    pl.col("vehicle_type_id")).alias("name_it"),
        pl.coalesce(pl.Series([n[1] if n else None for n in names], dtype=pl.String),
                    pl.col("name"), pl.col("vehicle_type_id")).alias("name_en"),
    ).drop("name")
    ctx.write_table(con, "mart.vehicle_types", frame)


def _place(ctx, frame: pl.DataFrame, lon: str = "lon", lat: str = "lat") -> pl.DataFrame:
    """Add nil_id/municipio_id by containment in the build's geography."""
    if ctx.geo is None:  # a build without geography cannot place anything
        return frame.with_columns(pl.lit(None, pl.Int64).alias("nil_id"),
                                  pl.lit(None, pl.Int64).alias("municipio_id"))
    return ctx.geo.with_areas(frame, lon=lon, lat=lat)


def _stations(con, ctx) -> None:
    frame = con.sql("""
        SELECT s.station_id, s.name, s.lat, s.lon, s.capacity,
               p.intervention, p.project_code
        FROM staging.mobility_station_information s
        LEFT JOIN staging.mobility_station_programme p USING (station_id)
        ORDER BY s.station_id""").pl()
    frame = _place(ctx, frame).select(
        "station_id", "name", "lat", "lon", "capacity", "nil_id", "municipio_id",
        "intervention", "project_code")
    ctx.write_table(con, "mart.bike_stations", frame)


def _areas_and_spots(con, ctx) -> None:
    areas = con.sql("""
        SELECT area_id, name, lon, lat, total_spot_number AS total_spots,
               allowed_vehicle_types, opened_on, project_code
        FROM staging.mobility_areas ORDER BY area_id""").pl()
    areas = _place(ctx, areas).select(
        "area_id", "name", "lon", "lat", "nil_id", "municipio_id", "total_spots",
        "allowed_vehicle_types", "opened_on", "project_code")
    ctx.write_table(con, "mart.mobility_areas", areas)
    con.execute("""CREATE TABLE mart.parking_spots AS
        SELECT spot_id, area_id, category, lon, lat
        FROM staging.mobility_parking_spots ORDER BY spot_id""")


# ------------------------------------------------------------- station status


def _station_status(con, ctx) -> None:
    over = con.execute(f"""
        SELECT count(*), string_agg(DISTINCT s.station_id, ', ' ORDER BY s.station_id)
        FROM staging.mobility_station_status s
        JOIN staging.mobility_station_information i USING (station_id)
        WHERE s.num_vehicles_available + coalesce(s.num_docks_available, 0)
              > i.capacity + {CAPACITY_TOLERANCE}""").fetchall()[0]
    if over[0]:
        ctx.findings.append({
            "contract": "mobility_station_status", "file": "mobility/station_status/*.csv",
            "column": "num_vehicles_available,num_docks_available",
            "check": f"vehicles + docks <= capacity + {CAPACITY_TOLERANCE}",
            "rows": int(over[0]), "values": _first_values(over[1])})
    con.execute("""CREATE TABLE mart.station_status_latest AS
        SELECT station_id, max(last_reported) AS last_reported,
               arg_max(num_vehicles_available, last_reported) AS num_vehicles_available,
               arg_max(num_docks_available, last_reported) AS num_docks_available,
               arg_max(is_renting, last_reported) AS is_renting,
               arg_max(is_returning, last_reported) AS is_returning
        FROM staging.mobility_station_status
        GROUP BY station_id ORDER BY station_id""")
    con.execute("""CREATE TABLE mart.station_status_hourly AS
        SELECT station_id, date_trunc('hour', last_reported) AS hour,
               avg(num_vehicles_available) AS avg_vehicles_available,
               avg(num_docks_available) AS avg_docks_available,
               min(num_vehicles_available) AS min_vehicles_available,
               count(*) AS samples
        FROM staging.mobility_station_status
        GROUP BY ALL ORDER BY station_id, hour""")
    local = _LOCAL.format(col="last_reported")
    con.execute(f"""CREATE TABLE mart.station_typical_availability AS
        SELECT station_id, isodow({local}) AS weekday, hour({local}) AS hour_of_day,
               avg(num_vehicles_available) AS avg_vehicles_available,
               avg(num_vehicles_available
                   / nullif(num_vehicles_available + num_docks_available, 0))
                   AS avg_occupancy_rate
        FROM staging.mobility_station_status
        WHERE is_installed
        GROUP BY ALL ORDER BY station_id, weekday, hour_of_day""")


def _first_values(text: str | None, limit: int = 10) -> str:
    parts = (text or "").split(", ")
    return ", ".join(parts[:limit]) + (" ..." if len(parts) > limit else "")


# --------------------------------------------------------------- bay sensors


def _bay_occupancy(con) -> None:
    """Occupied share per area and hour, from the intervals between sensor events.

    Each event opens a state that lasts until the bay's next event (the last one
    until the newest event of the whole network); ``closed`` and ``unknown``
    time is not observed time, so it counts in neither numerator nor denominator.
    """
    con.execute("""CREATE TEMP TABLE _bay_hours AS
        WITH ev AS (
            SELECT s.spot_id, p.area_id, s.status, s.observed_at AS t0,
                   coalesce(lead(s.observed_at) OVER (PARTITION BY s.spot_id
                                                     ORDER BY s.observed_at),
                            (SELECT max(observed_at) FROM staging.mobility_spot_status)) AS t1
            FROM staging.mobility_spot_status s
            JOIN staging.mobility_parking_spots p USING (spot_id)
        ),
        known AS (
            SELECT * FROM ev WHERE status IN ('free', 'occupied') AND t1 > t0
        ),
        cut AS (
            SELECT spot_id, area_id, status, t0, t1,
                   unnest(generate_series(date_trunc('hour', t0),
                                          t1 - INTERVAL 1 MICROSECOND,
                                          INTERVAL 1 HOUR)) AS hour
            FROM known
        )
        SELECT area_id, hour, spot_id,
               sum(epoch(least(t1, hour + INTERVAL 1 HOUR)) - epoch(greatest(t0, hour)))
                   AS known_s,
               sum(CASE WHEN status = 'occupied'
                        THEN epoch(least(t1, hour + INTERVAL 1 HOUR))
                             - epoch(greatest(t0, hour)) ELSE 0 END) AS occupied_s
        FROM cut GROUP BY ALL""")
    con.execute("""CREATE TABLE mart.bay_occupancy_hourly AS
        SELECT area_id, hour,
               sum(occupied_s) / nullif(sum(known_s), 0) AS occupied_share,
               count(DISTINCT spot_id) AS observed_spots
        FROM _bay_hours GROUP BY ALL ORDER BY area_id, hour""")
    local = _LOCAL.format(col="hour")
    con.execute(f"""CREATE TABLE mart.bay_occupancy_heatmap AS
        WITH cells AS (
            SELECT area_id, isodow({local}) AS weekday, hour({local}) AS hour_of_day,
                   sum(occupied_s) / nullif(sum(known_s), 0) AS occupancy_rate
            FROM _bay_hours GROUP BY ALL
        ),
        grid AS (
            SELECT a.area_id, w.weekday, h.hour_of_day
            FROM staging.mobility_areas a,
                 (SELECT range::INTEGER AS weekday FROM range(1, 8)) w,
                 (SELECT range::INTEGER AS hour_of_day FROM range(0, 24)) h
        )
        SELECT g.area_id, g.weekday, g.hour_of_day, c.occupancy_rate
        FROM grid g LEFT JOIN cells c USING (area_id, weekday, hour_of_day)
        ORDER BY g.area_id, g.weekday, g.hour_of_day""")
    con.execute("DROP TABLE _bay_hours")


# ---------------------------------------------------------------------- trips


def _trips(con, ctx) -> None:
    bad = con.execute("""SELECT count(*), string_agg(trip_id, ', ' ORDER BY trip_id)
        FROM staging.mobility_trips WHERE end_time < start_time""").fetchall()[0]
    if bad[0]:
        ctx.findings.append({
            "contract": "mobility_trips", "file": "mobility/trips/*.csv",
            "column": "end_time", "check": "end_time >= start_time (row left out of marts)",
            "rows": int(bad[0]), "values": _first_values(bad[1])})
    local = _LOCAL.format(col="start_time")
    con.execute(f"""CREATE TABLE mart.trips_daily AS
        SELECT CAST({local} AS DATE) AS date, vehicle_type_id, count(*) AS trips,
               avg(epoch(end_time) - epoch(start_time)) / 60 AS avg_duration_min,
               avg(distance_m) / 1000 AS avg_distance_km
        FROM staging.mobility_trips WHERE end_time >= start_time
        GROUP BY ALL ORDER BY date, vehicle_type_id""")
    reader = con.sql(f"""
        SELECT CAST({local} AS DATE) AS date, vehicle_type_id,
               start_lon, start_lat, end_lon, end_lat
        FROM staging.mobility_trips WHERE end_time >= start_time""").to_arrow_reader(
        OD_BATCH_ROWS)
    parts = []
    for batch in reader:
        frame = pl.from_arrow(batch)
        if frame.height == 0:
            continue
        _, o_mun = _nil_of(ctx, frame["start_lon"], frame["start_lat"])
        _, d_mun = _nil_of(ctx, frame["end_lon"], frame["end_lat"])
        parts.append(frame.select("date", "vehicle_type_id").with_columns(
            pl.Series("origin_municipio_id", o_mun),
            pl.Series("destination_municipio_id", d_mun),
        ).group_by(*OD_KEYS).agg(pl.len().alias("trips")))
    schema = {"date": pl.Date, "origin_municipio_id": pl.Int64,
              "destination_municipio_id": pl.Int64, "vehicle_type_id": pl.String,
              "trips": pl.Int64}
    od = (pl.concat(parts).group_by(*OD_KEYS).agg(pl.col("trips").sum())
          if parts else pl.DataFrame(schema=schema))
    # Published trip matrices follow the MDS reports rule: a cell of fewer than
    # OD_MIN_TRIPS trips could single out one person's journey, so it is withheld.
    small = pl.col("trips") < OD_MIN_TRIPS
    od = od.select(list(schema)).cast(schema).with_columns(
        pl.when(small).then(None).otherwise(pl.col("trips")).alias("trips"),
        pl.when(small).then(pl.lit("c")).otherwise(None).alias("flag"),
    ).sort(*OD_KEYS, nulls_last=True)
    ctx.write_table(con, "mart.trips_daily_od", od)


def _nil_of(ctx, lon: pl.Series, lat: pl.Series) -> tuple[pl.Series, pl.Series]:
    if ctx.geo is None:
        empty = pl.Series([None] * lon.len(), dtype=pl.Int64)
        return empty, empty
    nil, mun = ctx.geo.assign(lon.to_numpy(), lat.to_numpy())
    return (pl.Series(nil).replace(-1, None).cast(pl.Int64),
            pl.Series(mun).replace(-1, None).cast(pl.Int64))


# ---------------------------------------------------------------- cycle routes


def route_length_m(geometry_json: str) -> float:
    """Great-circle length of a GeoJSON (Multi)LineString in metres."""
    geom = json.loads(geometry_json)
    lines = geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
    total = 0.0
    for line in lines:
        xy = np.radians(np.asarray(line, dtype=float)[:, :2])
        if len(xy) < 2:
            continue
        dlon, dlat = np.diff(xy[:, 0]), np.diff(xy[:, 1])
        a = (np.sin(dlat / 2) ** 2
             + np.cos(xy[:-1, 1]) * np.cos(xy[1:, 1]) * np.sin(dlon / 2) ** 2)
        total += float(np.sum(2 * 6_371_008.8 * np.arcsin(np.sqrt(a))))
    return total


def _cycle_routes(con, ctx) -> None:
    frame = con.sql("SELECT route_id, name, project_code, geometry "
                    "FROM staging.mobility_cycle_routes ORDER BY route_id").pl()
    frame = frame.with_columns(
        pl.Series("length_m", [round(route_length_m(g)) for g in frame["geometry"]],
                  dtype=pl.Float64)
    ).select("route_id", "name", "project_code", "length_m", "geometry")
    ctx.write_table(con, "mart.cycle_routes", frame)
