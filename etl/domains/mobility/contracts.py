"""Mobility landing contracts: GBFS-shaped bike sharing, FIWARE-shaped parking areas.

GBFS files are stored under the GBFS 3.0 names (``num_vehicles_*``, UTC RFC 3339
timestamps) whatever version the operator publishes, so a feed upgrade never
changes the warehouse. Station ids stay strings, as GBFS declares them.
"""

from __future__ import annotations

from etl.contracts import Column, Contract

#: A generous box around the Metropolitan City core: anything outside is a bad coordinate.
LAT_MIN, LAT_MAX = 45.30, 45.60
LON_MIN, LON_MAX = 8.95, 9.40

GBFS_SOURCE = "Bike-sharing operator GBFS feed (BikeMi), or the synthetic demo"
PROGRAMME_SOURCE = "Comune di Milano, PON Metro MI2.2.3 internal extract, or the synthetic demo"
SENSOR_SOURCE = "Shared-mobility area bay sensors (FIWARE ParkingSpot), or the synthetic demo"
TRIPS_SOURCE = "Sharing operators' trip records (MDS-like, internal), or the synthetic demo"

FORM_FACTORS = ("bicycle", "cargo_bicycle", "car", "moped", "scooter_standing",
                "scooter_seated", "other")
PROPULSION_TYPES = ("human", "electric_assist", "electric", "combustion", "combustion_diesel",
                    "hybrid", "plug_in_hybrid", "hydrogen_fuel_cell")
OCCUPANCY_DETECTION = ("singleSpaceDetection", "balancing", "modelBased", "manual", "none")
SPOT_CATEGORIES = ("bike", "scooter", "car", "e-car")
SPOT_STATUSES = ("free", "occupied", "closed", "unknown")
#: GBFS station_status may exceed capacity by a couple of docks (valet, overflow racks).
CAPACITY_TOLERANCE = 2


def _lat(name: str = "lat", **kw) -> Column:
    return Column(name, "float", "Latitude, WGS84", unit="degrees", min=LAT_MIN, max=LAT_MAX,
                  **kw)


def _lon(name: str = "lon", **kw) -> Column:
    return Column(name, "float", "Longitude, WGS84", unit="degrees", min=LON_MIN, max=LON_MAX,
                  **kw)


CONTRACTS = (
    Contract(
        name="mobility_station_information",
        path="mobility/station_information.csv",
        format="csv",
        description="Bike-sharing stations, flattened GBFS station_information.",
        source=GBFS_SOURCE,
        key=("station_id",),
        columns=(
            Column("station_id", "str", "GBFS station id (opaque string)", unique=True),
            Column("name", "str", "Station name as published by the operator"),
            _lat(),
            _lon(),
            Column("capacity", "int", "Number of docks", unit="docks", nullable=True,
                   min=0, max=200),
            Column("system_id", "str", "GBFS system_id of the feed", required=False,
                   nullable=True),
        ),
        notes=("GBFS 2.3 and 3.0 feeds both land here; localized 3.0 names are flattened "
               "to the Italian text.",),
    ),
    Contract(
        name="mobility_station_programme",
        path="mobility/station_programme.csv",
        format="csv",
        description="Stations built or expanded by PON Metro MI2.2.3.a (internal extract).",
        source=PROGRAMME_SOURCE,
        key=("station_id",),
        columns=(
            Column("station_id", "str", "GBFS station id", unique=True,
                   fk="mobility_station_information.station_id"),
            Column("intervention", "str", "new station or expansion of an existing one",
                   enum=("new", "expanded")),
            Column("project_code", "str", "Programme project code (MI2.2.3.a)"),
            Column("docks_added", "int", "Docks added by the intervention", unit="docks",
                   min=0, max=200),
            Column("opened_on", "date", "Date the new or expanded station opened"),
        ),
    ),
    Contract(
        name="mobility_station_status",
        path="mobility/station_status/*.csv",
        format="csv",
        description="GBFS station_status snapshots (one file per month), stored under "
                    "GBFS 3.0 names with UTC timestamps.",
        source=GBFS_SOURCE,
        key=("station_id", "last_reported"),
        columns=(
            Column("station_id", "str", "GBFS station id",
                   fk="mobility_station_information.station_id", fk_policy="report"),
            Column("last_reported", "datetime", "Last time the station reported (UTC)"),
            Column("num_vehicles_available", "int", "Vehicles available for rent",
                   unit="vehicles", min=0, max=500),
            Column("num_docks_available", "int", "Empty docks (absent for virtual stations)",
                   unit="docks", nullable=True, min=0, max=500),
            Column("is_installed", "bool", "Station installed on the street"),
            Column("is_renting", "bool", "Station renting vehicles"),
            Column("is_returning", "bool", "Station accepting returns"),
        ),
        notes=("Statuses of stations missing from station_information are kept and "
               "reported in meta.quality (real feeds publish them).",
               "A station whose last_reported has not changed since the previous poll has "
               "not reported again: write it once (the key is station_id, last_reported).",
               f"num_vehicles_available + num_docks_available above capacity + "
               f"{CAPACITY_TOLERANCE} is reported in meta.quality."),
    ),
    Contract(
        name="mobility_vehicle_types",
        path="mobility/vehicle_types.csv",
        format="csv",
        description="Vehicle types of the sharing systems (GBFS vehicle_types).",
        source=GBFS_SOURCE,
        key=("vehicle_type_id",),
        columns=(
            Column("vehicle_type_id", "str", "GBFS vehicle_type_id", unique=True),
            Column("form_factor", "str", "GBFS form factor", enum=FORM_FACTORS),
            Column("propulsion_type", "str", "GBFS propulsion type", enum=PROPULSION_TYPES),
            Column("name", "str", "Vehicle type name", nullable=True),
        ),
    ),
    Contract(
        name="mobility_areas",
        path="mobility/areas.csv",
        format="csv",
        description="The 33 shared-mobility areas of MI2.2.3.b (FIWARE OnStreetParking / "
                    "ParkingGroup shape).",
        source=SENSOR_SOURCE,
        key=("area_id",),
        columns=(
            Column("area_id", "str", "Area id (FIWARE entity id suffix)", unique=True),
            Column("name", "str", "Area name"),
            _lon(),
            _lat(),
            Column("total_spot_number", "int", "Bays in the area", unit="bays", min=0,
                   max=500),
            Column("occupancy_detection_type", "str", "How occupancy is detected (DATEX II)",
                   enum=OCCUPANCY_DETECTION),
            Column("allowed_vehicle_types", "str", "FIWARE allowedVehicleType values, "
                   "';'-separated"),
            Column("opened_on", "date", "Opening date", nullable=True),
            Column("project_code", "str", "Programme project code (MI2.2.3.b)", nullable=True),
        ),
    ),
    Contract(
        name="mobility_parking_spots",
        path="mobility/parking_spots.csv",
        format="csv",
        description="Sensor-equipped bays of the mobility areas (FIWARE ParkingSpot).",
        source=SENSOR_SOURCE,
        key=("spot_id",),
        columns=(
            Column("spot_id", "str", "Bay id", unique=True),
            Column("area_id", "str", "Area the bay belongs to (refParkingGroup)",
                   fk="mobility_areas.area_id"),
            Column("category", "str", "Vehicles the bay is for; e-car bays have charging",
                   enum=SPOT_CATEGORIES),
            _lon(),
            _lat(),
            Column("ref_device", "str", "Sensor device id (refDevice)", nullable=True),
        ),
    ),
    Contract(
        name="mobility_spot_status",
        path="mobility/spot_status/*.csv",
        format="csv",
        description="Bay sensor events (one file per month): a row each time a bay "
                    "changes status.",
        source=SENSOR_SOURCE,
        key=("spot_id", "observed_at"),
        columns=(
            Column("spot_id", "str", "Bay id", fk="mobility_parking_spots.spot_id"),
            Column("observed_at", "datetime", "When the new status was observed (UTC)"),
            Column("status", "str", "Bay status (FIWARE ParkingSpot)", enum=SPOT_STATUSES),
        ),
    ),
    Contract(
        name="mobility_trips",
        path="mobility/trips/*.csv",
        format="csv",
        description="Shared-vehicle trips (one file per month); internal, published only "
                    "as aggregates.",
        source=TRIPS_SOURCE,
        key=("trip_id",),
        columns=(
            Column("trip_id", "str", "Trip id", unique=True),
            Column("vehicle_type_id", "str", "Vehicle type",
                   fk="mobility_vehicle_types.vehicle_type_id"),
            Column("start_time", "datetime", "Trip start (UTC)"),
            Column("end_time", "datetime", "Trip end (UTC)"),
            _lon("start_lon"),
            _lat("start_lat"),
            _lon("end_lon"),
            _lat("end_lat"),
            Column("distance_m", "float", "Distance travelled", unit="m", min=0, max=200_000),
            Column("start_station_id", "str", "Docking station of departure",
                   required=False, nullable=True,
                   fk="mobility_station_information.station_id", fk_policy="report"),
            Column("end_station_id", "str", "Docking station of arrival",
                   required=False, nullable=True,
                   fk="mobility_station_information.station_id", fk_policy="report"),
        ),
        notes=("Trips ending before they start are reported in meta.quality and left out "
               "of the marts.",),
    ),
    Contract(
        name="mobility_cycle_routes",
        path="mobility/cycle_routes.geojson",
        format="geojson",
        geometry_types=("LineString", "MultiLineString"),
        description="Cycle routes built under MI2.2.3.c-f.",
        source=PROGRAMME_SOURCE,
        key=("route_id",),
        columns=(
            Column("route_id", "str", "Route id", unique=True),
            Column("name", "str", "Route name"),
            Column("project_code", "str", "Programme project code (MI2.2.3.c-f)"),
        ),
    ),
)
