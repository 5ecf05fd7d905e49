"""Mobility marts: station and bay dimensions placed by containment, telemetry aggregates.

Heavy aggregation runs as DuckDB SQL over staging (parallel, out of core); only
the point-in-polygon steps pass through Python, in bounded batches. Hour-of-day
and weekday of typical patterns are Europe/Rome local time; stored hours are UTC.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np

from etl.catalog import TELEMETRY_YEARS, Col, Dataset
from etl.domains.mobility.contracts import CAPACITY_TOLERANCE
from etl.marts import Mart, create

#: Local wall-clock time of a UTC TIMESTAMP column (Rome's offset is whole hours).
_LOCAL = "(({col} AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Rome')"
OD_KEYS = ("date", "origin_municipio_id", "destination_municipio_id", "vehicle_type_id")
#: k-anonymity threshold for published trip counts (MDS 2.0 reports use k = 10)
OD_MIN_TRIPS = 10

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


def _vehicle_names() -> str:
    """VEHICLE_NAMES as a SQL VALUES relation (form_factor, propulsion_type, name_it, name_en)."""
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"
    rows = ", ".join(f"({lit(ff)}, {lit(pt)}, {lit(it)}, {lit(en)})"
                     for (ff, pt), (it, en) in VEHICLE_NAMES.items())
    return f"(VALUES {rows}) n(form_factor, propulsion_type, name_it, name_en)"


# ------------------------------------------------------------- station status


def _check_station_status(con, ctx) -> None:
    """Report samples with more vehicles and docks than the station has (GBFS noise)."""
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


def _first_values(text: str | None, limit: int = 10) -> str:
    parts = (text or "").split(", ")
    return ", ".join(parts[:limit]) + (" ..." if len(parts) > limit else "")


# --------------------------------------------------------------- bay sensors


# ---------------------------------------------------------------------- trips


def _check_trips(con, ctx) -> None:
    """Report trips ending before they start (left out of the marts)."""
    bad = con.execute("""SELECT count(*), string_agg(trip_id, ', ' ORDER BY trip_id)
        FROM staging.mobility_trips WHERE end_time < start_time""").fetchall()[0]
    if bad[0]:
        ctx.findings.append({
            "contract": "mobility_trips", "file": "mobility/trips/*.csv",
            "column": "end_time", "check": "end_time >= start_time (row left out of marts)",
            "rows": int(bad[0]), "values": _first_values(bad[1])})


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


def _rounded_length_m(geometry_json: str) -> float:
    return float(round(route_length_m(geometry_json)))


_HOUR_LOCAL = _LOCAL.format(col="hour")
#: Rome's UTC offset is whole hours and changes on the hour, so a trip's local time is its
#: UTC time shifted by the offset of its UTC hour: ``shifts`` (over a CTE ``t`` with
#: ``hour``) works the time zone out once per hour, not once per trip.
_HOUR_SHIFT = f"""shifts AS (
            SELECT hour, {_HOUR_LOCAL} - hour AS shift FROM (SELECT DISTINCT hour FROM t))"""

#: Each event opens a state that lasts until the bay's next event (the last one until
#: the newest event of the whole network); ``closed`` and ``unknown`` time is not
#: observed time, so it counts in neither numerator nor denominator. The seconds per
#: area, hour and spot, and per local weekday and hour, are kept (``live.bay_hours``,
#: ``live.bay_cells``): ingest adds a batch's seconds to them.
BAY_OCCUPANCY = (
    Mart("bay_hours", "Known and occupied seconds per area, UTC hour and spot.", """
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
        FROM cut GROUP BY ALL""", schema="live"),
    # summed per area and hour first: the local time is then worked out once per hour of
    # an area, not once per spot
    Mart("bay_cells", "Known and occupied seconds per area, local weekday and hour of day.", f"""
        SELECT area_id, isodow({_HOUR_LOCAL}) AS weekday, hour({_HOUR_LOCAL}) AS hour_of_day,
               sum(known_s) AS known_s, sum(occupied_s) AS occupied_s
        FROM (SELECT area_id, hour, sum(known_s) AS known_s, sum(occupied_s) AS occupied_s
              FROM live.bay_hours GROUP BY ALL) GROUP BY ALL""", schema="live"),
    # bay_hours holds one row per (area, hour, spot): its rows of an hour are its spots
    Mart("mobility_bay_occupancy_hourly", "Occupied share of observed time per area and hour.", """
        SELECT area_id, hour,
               sum(occupied_s) / nullif(sum(known_s), 0) AS occupied_share,
               count(*) AS observed_spots
        FROM live.bay_hours GROUP BY ALL ORDER BY area_id, hour""",
        dataset=Dataset(
            id="bay-occupancy-hourly",
            theme="TRAN", frequency="DAILY", axis=2, temporal=TELEMETRY_YEARS,
            title_it="Occupazione oraria degli stalli delle aree di mobilità",
            title_en="Hourly bay occupancy of shared-mobility areas",
            description_it="Quota oraria di posti occupati per area, dai sensori di sosta.",
            description_en="Hourly share of occupied spots per area, from parking sensors.",
            keywords=("sosta", "occupazione", "sensori", "mobilità condivisa"),
            columns=("area_id", "hour",
                     Col("occupied_share", "Quota di posti occupati (0-1)",
                         "Share of spots occupied (0-1)", "ratio"),
                     Col("observed_spots", "Posti osservati", "Spots observed", "spots")),
            order_by=("area_id", "hour"))),
    Mart("mobility_bay_occupancy_heatmap", "Occupied share per area, local weekday and hour of day "
         "(every cell present, NULL when never observed).", """
        WITH cells AS (
            SELECT area_id, weekday, hour_of_day, occupied_s / nullif(known_s, 0) AS occupancy_rate
            FROM live.bay_cells
        ),
        grid AS (
            SELECT a.area_id, w.weekday, h.hour_of_day
            FROM staging.mobility_areas a,
                 (SELECT range::INTEGER AS weekday FROM range(1, 8)) w,
                 (SELECT range::INTEGER AS hour_of_day FROM range(0, 24)) h
        )
        SELECT g.area_id, g.weekday, g.hour_of_day, c.occupancy_rate
        FROM grid g LEFT JOIN cells c USING (area_id, weekday, hour_of_day)
        ORDER BY g.area_id, g.weekday, g.hour_of_day"""),
)

#: Share of the docked vehicles in a sample (NULL for a virtual station or an empty one).
_RATE = "num_vehicles_available / nullif(num_vehicles_available + num_docks_available, 0)"

#: The telemetry is read once, into sums and counts per station and UTC hour; the hourly
#: mart and the typical-availability running sums (``live.station_cells``, which ingest
#: updates) both follow from them. Rome's UTC offset is whole hours, so a sample's local
#: weekday and hour of day are those of its UTC hour.
STATION_STATUS = (
    Mart("_station_hours", "Sums and counts of GBFS samples per station and UTC hour.", f"""
        SELECT station_id, date_trunc('hour', last_reported) AS hour,
               count(*) AS samples,
               CAST(sum(num_vehicles_available) AS BIGINT) AS sum_vehicles,
               count(num_docks_available) AS n_docks,
               CAST(sum(num_docks_available) AS BIGINT) AS sum_docks,
               min(num_vehicles_available) AS min_vehicles_available,
               count(*) FILTER (WHERE is_installed) AS n_installed,
               CAST(sum(num_vehicles_available) FILTER (WHERE is_installed) AS BIGINT)
                   AS sum_installed,
               count({_RATE}) FILTER (WHERE is_installed) AS n_rate,
               sum({_RATE}) FILTER (WHERE is_installed) AS sum_rate
        FROM staging.mobility_station_status GROUP BY ALL""", temp=True),
    Mart("station_cells", "Running sums of installed stations' samples per station, local "
         "weekday and hour of day.", f"""
        SELECT station_id, isodow({_HOUR_LOCAL}) AS weekday, hour({_HOUR_LOCAL}) AS hour_of_day,
               CAST(sum(n_installed) AS BIGINT) AS n_vehicles,
               sum(sum_installed) AS sum_vehicles,
               CAST(sum(n_rate) AS BIGINT) AS n_rate,
               sum(sum_rate) AS sum_rate
        FROM _station_hours WHERE n_installed > 0 GROUP BY ALL""", schema="live"),
)

MARTS = (
    Mart("mobility_vehicle_types", "GBFS vehicle types with Italian and English display names.", f"""
        SELECT v.vehicle_type_id, v.form_factor, v.propulsion_type,
               coalesce(v.name, n.name_it, v.vehicle_type_id) AS name_it,
               coalesce(n.name_en, v.name, v.vehicle_type_id) AS name_en
        FROM staging.mobility_vehicle_types v
        LEFT JOIN {_vehicle_names()}
          ON n.form_factor = v.form_factor AND n.propulsion_type = v.propulsion_type
        ORDER BY v.vehicle_type_id"""),
    Mart("mobility_bike_stations", "Bike-sharing stations placed in their NIL and municipio, with "
         "the PON Metro intervention.", """
        SELECT s.station_id, s.name, s.lat, s.lon, s.capacity,
               nil_of(s.lon, s.lat) AS nil_id, municipio_of(s.lon, s.lat) AS municipio_id,
               p.intervention, p.project_code
        FROM staging.mobility_station_information s
        LEFT JOIN staging.mobility_station_programme p USING (station_id)
        ORDER BY s.station_id""",
        dataset=Dataset(
            id="bike-stations", theme="TRAN",
            frequency="DAILY", axis=2,
            title_it="Stazioni di bike sharing", title_en="Bike-sharing stations",
            description_it="Stazioni BikeMi con capacità, localizzazione e intervento PON Metro "
                           "(nuova o ampliata).",
            description_en="BikeMi stations with capacity, location and PON Metro intervention "
                           "(new or expanded).",
            keywords=("bike sharing", "bikemi", "biciclette", "mobilità sostenibile", "gbfs"),
            columns=("station_id", "name", "lat", "lon",
                     Col("capacity", "Numero di stalli", "Number of docks", "docks"),
                     "nil_id", "municipio_id",
                     Col("intervention", "Intervento: new, expanded o vuoto",
                         "Intervention: new, expanded or empty"),
                     "project_code"),
            order_by=("station_id",), lon="lon", lat="lat")),
    *STATION_STATUS,
    # Every station's newest sample lies in or after the earliest of the stations' last
    # hours: the filter changes no row, and lets DuckDB skip the older row groups.
    Mart("mobility_station_status_latest", "The newest GBFS sample of each station.", """
        SELECT station_id, max(last_reported) AS last_reported,
               arg_max(num_vehicles_available, last_reported) AS num_vehicles_available,
               arg_max(num_docks_available, last_reported) AS num_docks_available,
               arg_max(is_renting, last_reported) AS is_renting,
               arg_max(is_returning, last_reported) AS is_returning
        FROM staging.mobility_station_status
        WHERE last_reported >= (SELECT min(last_hour) FROM (
            SELECT max(hour) AS last_hour FROM _station_hours GROUP BY station_id))
        GROUP BY station_id ORDER BY station_id"""),
    Mart("mobility_station_status_hourly", "Hourly means and minima of GBFS samples per station "
         "(UTC hours).", """
        SELECT station_id, hour, sum_vehicles / samples AS avg_vehicles_available,
               sum_docks / n_docks AS avg_docks_available, min_vehicles_available, samples
        FROM _station_hours ORDER BY station_id, hour""",
        dataset=Dataset(
            id="station-status-hourly",
            theme="TRAN", frequency="DAILY", axis=2,
            temporal=TELEMETRY_YEARS,
            title_it="Disponibilità oraria delle stazioni di bike sharing",
            title_en="Hourly bike-sharing station availability",
            description_it="Medie e minimi orari di biciclette e stalli liberi per stazione, "
                           "da campioni GBFS.",
            description_en="Hourly averages and minima of available bikes and docks per "
                           "station, from GBFS samples.",
            keywords=("bike sharing", "disponibilità", "gbfs", "telemetria"),
            columns=("station_id", "hour",
                     Col("avg_vehicles_available", "Biciclette disponibili (media)",
                         "Vehicles available (mean)", "vehicles"),
                     Col("avg_docks_available", "Stalli liberi (media)",
                         "Docks available (mean)", "docks"),
                     Col("min_vehicles_available", "Biciclette disponibili (minimo)",
                         "Vehicles available (minimum)", "vehicles"),
                     Col("samples", "Numero di campioni nell'ora", "Samples in the hour")),
            order_by=("station_id", "hour"))),
    Mart("mobility_station_typical_availability", "Typical availability per station, local weekday "
         "and hour of day (installed stations).", """
        SELECT station_id, weekday, hour_of_day,
               sum_vehicles / n_vehicles AS avg_vehicles_available,
               sum_rate / nullif(n_rate, 0) AS avg_occupancy_rate
        FROM live.station_cells ORDER BY station_id, weekday, hour_of_day"""),
    Mart("mobility_areas", "Shared-mobility areas placed in their NIL and municipio.", """
        SELECT area_id, name, lon, lat, nil_of(lon, lat) AS nil_id,
               municipio_of(lon, lat) AS municipio_id, total_spot_number AS total_spots,
               allowed_vehicle_types, opened_on, project_code
        FROM staging.mobility_areas ORDER BY area_id""",
        dataset=Dataset(
            id="mobility-areas", theme="TRAN",
            frequency="QUARTERLY", axis=2,
            title_it="Aree di mobilità condivisa", title_en="Shared-mobility areas",
            description_it="Le aree di sosta per la mobilità condivisa con posti, veicoli "
                           "ammessi, data di apertura e localizzazione.",
            description_en="Shared-mobility parking areas with spots, allowed vehicles, opening "
                           "date and location.",
            keywords=("mobilità condivisa", "sharing", "sosta", "mobilità sostenibile"),
            columns=("area_id", "name", "lon", "lat", "nil_id", "municipio_id",
                     Col("total_spots", "Numero di posti", "Number of spots", "spots"),
                     Col("allowed_vehicle_types", "Tipi di veicolo ammessi",
                         "Allowed vehicle types"),
                     Col("opened_on", "Data di apertura", "Opening date"),
                     "project_code"),
            order_by=("area_id",), lon="lon", lat="lat")),
    Mart("mobility_parking_spots", "Parking spots (bays) of the shared-mobility areas.", """
        SELECT spot_id, area_id, category, lon, lat
        FROM staging.mobility_parking_spots ORDER BY spot_id"""),
    Mart("mobility_spot_status_latest", "The newest sensor status of each bay (the GBFS feed's "
         "free bays; bays never observed are absent).", """
        SELECT s.spot_id, p.area_id, p.category, max(s.observed_at) AS observed_at,
               arg_max(s.status, s.observed_at) AS status
        FROM staging.mobility_spot_status s JOIN staging.mobility_parking_spots p USING (spot_id)
        GROUP BY ALL ORDER BY s.spot_id"""),
    *BAY_OCCUPANCY,
    Mart("mobility_trips_daily", "Trips per local day and vehicle type with mean duration and "
         "distance (trips ending before they start left out).", f"""
        WITH t AS (
            SELECT date_trunc('hour', start_time) AS hour, start_time, end_time,
                   vehicle_type_id, distance_m
            FROM staging.mobility_trips WHERE end_time >= start_time),
        {_HOUR_SHIFT}
        SELECT CAST(t.start_time + s.shift AS DATE) AS date, vehicle_type_id, count(*) AS trips,
               avg(epoch(end_time) - epoch(start_time)) / 60 AS avg_duration_min,
               avg(distance_m) / 1000 AS avg_distance_km
        FROM t JOIN shifts s USING (hour)
        GROUP BY ALL ORDER BY date, vehicle_type_id""",
        dataset=Dataset(
            id="trips-daily", theme="TRAN",
            frequency="DAILY", axis=2, temporal=TELEMETRY_YEARS,
            title_it="Spostamenti giornalieri in sharing per tipo di veicolo",
            title_en="Daily shared-mobility trips by vehicle type",
            description_it="Numero di spostamenti, durata e distanza medie per giorno e tipo "
                           "di veicolo.",
            description_en="Trips, mean duration and mean distance by day and vehicle type.",
            keywords=("spostamenti", "sharing", "mobilità sostenibile"),
            columns=("date", "vehicle_type_id",
                     Col("trips", "Numero di spostamenti", "Number of trips", "trips"),
                     Col("avg_duration_min", "Durata media", "Mean duration", "min"),
                     Col("avg_distance_km", "Distanza media", "Mean distance", "km")),
            order_by=("date", "vehicle_type_id"))),
    # Published trip matrices follow the MDS reports rule: a cell of fewer than
    # OD_MIN_TRIPS trips could single out one person's journey, so it is withheld.
    Mart("mobility_trips_daily_od", "Trips per local day, origin and destination municipio and "
         "vehicle type; cells under the k-anonymity threshold withheld.", f"""
        WITH t AS (
            SELECT date_trunc('hour', start_time) AS hour, start_time,
                   municipio_of(start_lon, start_lat) AS origin_municipio_id,
                   municipio_of(end_lon, end_lat) AS destination_municipio_id,
                   vehicle_type_id
            FROM staging.mobility_trips WHERE end_time >= start_time),
        {_HOUR_SHIFT},
        od AS (SELECT CAST(t.start_time + s.shift AS DATE) AS date, {", ".join(OD_KEYS[1:])}
               FROM t JOIN shifts s USING (hour)),
        cells AS (SELECT {", ".join(OD_KEYS)}, count(*) AS trips FROM od GROUP BY ALL)
        SELECT {", ".join(OD_KEYS)},
               CASE WHEN trips >= {OD_MIN_TRIPS} THEN trips END AS trips,
               CASE WHEN trips < {OD_MIN_TRIPS} THEN 'c' END AS flag
        FROM cells
        ORDER BY {", ".join(k + " NULLS LAST" for k in OD_KEYS)}""",
        dataset=Dataset(
            id="trips-daily-od", theme="TRAN",
            frequency="DAILY", axis=2, temporal=TELEMETRY_YEARS,
            title_it="Matrice origine-destinazione giornaliera degli spostamenti",
            title_en="Daily origin-destination trip matrix",
            description_it="Spostamenti in sharing per giorno, municipio di origine, municipio di "
                           "destinazione e tipo di veicolo. Solo aggregati: le celle con meno di "
                           "10 spostamenti non sono pubblicate (valore vuoto, flag 'c'), perché "
                           "potrebbero rivelare il viaggio di una singola persona.",
            description_en="Shared-mobility trips by day, origin municipio, destination municipio "
                           "and vehicle type. Aggregates only: cells of fewer than 10 trips are "
                           "withheld (empty value, flag 'c'), as they could reveal one person's "
                           "journey.",
            keywords=("origine destinazione", "spostamenti", "sharing", "municipi"),
            columns=("date",
                     Col("origin_municipio_id", "Municipio di origine", "Origin municipio"),
                     Col("destination_municipio_id", "Municipio di destinazione",
                         "Destination municipio"),
                     "vehicle_type_id",
                     Col("trips", "Numero di spostamenti (vuoto se meno di 10)",
                         "Number of trips (empty when fewer than 10)", "trips"),
                     Col("flag", "c = valore non pubblicato (meno di 10 spostamenti)",
                         "c = value withheld (fewer than 10 trips)")),
            order_by=("date", "origin_municipio_id", "destination_municipio_id",
                      "vehicle_type_id"))),
    Mart("mobility_cycle_routes", "The programme's cycle routes with their great-circle length.", """
        SELECT route_id, name, project_code, route_length_m(geometry) AS length_m, geometry
        FROM staging.mobility_cycle_routes ORDER BY route_id""",
        dataset=Dataset(
            id="cycle-routes", theme="TRAN",
            frequency="IRREG", axis=2,
            title_it="Percorsi ciclabili PON Metro", title_en="PON Metro cycle routes",
            description_it="Tracciati dei percorsi ciclabili finanziati dal programma, con "
                           "lunghezza e progetto.",
            description_en="Cycle routes financed by the programme, with length and project.",
            keywords=("piste ciclabili", "percorsi ciclabili", "biciclette", "mobilità sostenibile"),
            columns=(Col("route_id", "Identificativo del percorso", "Route id"), "name",
                     "project_code",
                     Col("length_m", "Lunghezza", "Length", "m"), "geometry"),
            order_by=("route_id",), geometry="geometry")),
)


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Report the telemetry findings, then build ``MARTS`` (docs/data-model.md, Mobility)."""
    _check_station_status(con, ctx)
    _check_trips(con, ctx)
    con.create_function("route_length_m", _rounded_length_m, ["VARCHAR"],
                        "DOUBLE", side_effects=False)
    create(con, ctx, MARTS)
