"""Where the demo puts things: bike stations, mobility areas and their bays, cycle routes.

Everything is placed on the schematic map (``ctx.geography``) in a local metric
frame around the centre, so spacing rules are stated in metres, then converted
to WGS84 lon/lat for the landing files.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import shapely

from etl.domains.geography.schematic import CENTRE

KM_PER_DEG_LAT = 111.32
KM_PER_DEG_LON = KM_PER_DEG_LAT * math.cos(math.radians(CENTRE[1]))

N_STATIONS = 300
#: Stations the demo status feed reports but station_information omits (decommissioned
#: or not yet described), as the real BikeMi feed does: the build must report them.
N_ORPHANS = 2
N_NEW, N_EXPANDED = 28, 7
N_AREAS = 33
SYSTEM_ID = "demo-bikesharing-milano"


def to_lonlat(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.round(CENTRE[0] + np.asarray(x_km) / KM_PER_DEG_LON, 6),
            np.round(CENTRE[1] + np.asarray(y_km) / KM_PER_DEG_LAT, 6))


def to_km(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ((np.asarray(lon) - CENTRE[0]) * KM_PER_DEG_LON,
            (np.asarray(lat) - CENTRE[1]) * KM_PER_DEG_LAT)


def _cell_names(geography, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Name of the schematic cell holding each point (for readable station names)."""
    polygons = [c.polygon for c in geography.cells]
    tree = shapely.STRtree(polygons)
    pts = shapely.points(lon, lat)
    nearest = tree.query_nearest(pts, all_matches=False)[1]
    return np.array([geography.cells[i].name for i in nearest], dtype=object)


def stations(ctx, rng: np.random.Generator) -> pl.DataFrame:
    """~300 docking stations on a jittered hexagonal lattice, tighter in the centre.

    The last ``N_ORPHANS`` rows are the stations missing from station_information.

    The lattice is warped radially (spacing grows from ~320 m in the centre to
    ~400 m at the edge), so nearest-neighbour distances stay in the 300-400 m
    band the real network has while the centre is denser.
    """
    step = 0.345
    n = 40
    i, j = np.meshgrid(np.arange(-n, n + 1), np.arange(-n, n + 1))
    x = (i + 0.5 * (j % 2)) * step
    y = j * step * math.sqrt(3) / 2
    x, y = x.ravel(), y.ravel()
    r = np.hypot(x, y)
    total = N_STATIONS + N_ORPHANS
    order = np.argsort(r, kind="stable")[:total]
    x, y, r = x[order], y[order], r[order]
    warp = 0.93 + 0.035 * r  # local scale factor: denser near the centre
    x, y = x * warp, y * warp
    x = x + rng.normal(0, 0.025, x.size)
    y = y + rng.normal(0, 0.025, y.size)
    lon, lat = to_lonlat(x, y)
    ids = rng.choice(np.arange(1000, 9999), size=total, replace=False)
    numbers = np.arange(1, total + 1)
    cells = _cell_names(ctx.geography, lon, lat)
    capacity = np.clip(np.round(rng.normal(26, 5, total)), 15, 39).astype(np.int64)
    return pl.DataFrame({
        "station_id": ids.astype(str),
        "number": numbers,
        "cell": cells,
        "lat": lat,
        "lon": lon,
        "capacity": capacity,
        "dist_km": np.hypot(x, y),
    }).with_columns(
        pl.format("{} - {}", pl.col("number"), pl.col("cell")).alias("name"),
        pl.lit(SYSTEM_ID).alias("system_id"),
    )


def programme(stations_frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """28 new stations extending the network outwards, 7 central ones expanded."""
    dist = stations_frame["dist_km"].to_numpy()
    outer = np.flatnonzero(dist > np.quantile(dist, 0.55))
    inner = np.flatnonzero(dist < np.quantile(dist, 0.35))
    new = rng.choice(outer, N_NEW, replace=False)
    expanded = rng.choice(inner, N_EXPANDED, replace=False)
    idx = np.concatenate([new, expanded])
    start = date(2019, 3, 1).toordinal()
    opened = start + rng.integers(0, date(2023, 10, 31).toordinal() - start, idx.size)
    docks_added = np.where(np.arange(idx.size) < N_NEW,
                           stations_frame["capacity"].to_numpy()[idx],
                           rng.integers(6, 13, idx.size))
    return pl.DataFrame({
        "station_id": stations_frame["station_id"].to_numpy()[idx],
        "intervention": np.where(np.arange(idx.size) < N_NEW, "new", "expanded"),
        "project_code": "MI2.2.3.a",
        "docks_added": docks_added.astype(np.int64),
        "opened_on": [date.fromordinal(int(o)) for o in opened],
    }).sort("station_id")


VEHICLE_TYPES = pl.DataFrame({
    "vehicle_type_id": ["bike", "e-bike", "scooter", "car", "e-car"],
    "form_factor": ["bicycle", "bicycle", "scooter_standing", "car", "car"],
    "propulsion_type": ["human", "electric_assist", "electric", "combustion", "electric"],
    "name": ["Bicicletta", "Bicicletta a pedalata assistita", "Monopattino elettrico",
             "Auto", "Auto elettrica"],
})

#: FIWARE allowedVehicleType for each bay category
ALLOWED = {"bike": "bicycle", "scooter": "motorscooter", "car": "car", "e-car": "car"}


def areas(ctx, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """33 mobility areas in distinct neighbourhoods outside the core, with 8-20 bays each."""
    cells = [c for c in ctx.geography.cells if c.municipio_id != 1 or c.nil_id % 3 == 0]
    picked = rng.choice(len(cells), N_AREAS, replace=False)
    rows, spots = [], []
    for k, ci in enumerate(sorted(picked), start=1):
        cell = cells[ci]
        c = cell.polygon.centroid
        # a point between the cell centroid and a random interior point: inside, not central
        px, py = ctx.geography.random_point(rng, name=cell.name)
        lon, lat = round((c.x + px) / 2, 6), round((c.y + py) / 2, 6)
        n = int(rng.integers(8, 21))
        cats = rng.choice(["bike", "scooter", "car", "e-car"], n, p=[0.35, 0.25, 0.25, 0.15])
        cats[:4] = ["bike", "scooter", "car", "e-car"]  # every area offers each mode
        cx, cy = to_km(lon, lat)
        sx, sy = to_lonlat(cx + rng.normal(0, 0.02, n), cy + rng.normal(0, 0.02, n))
        area_id = f"MA{k:02d}"
        for s in range(n):
            spots.append((f"{area_id}-{s + 1:02d}", area_id, str(cats[s]), float(sx[s]),
                          float(sy[s]), f"SENS-{area_id}-{s + 1:02d}"))
        allowed = ";".join(sorted({ALLOWED[str(x)] for x in cats}))
        opened = date(2020, 1, 1).toordinal() + int(rng.integers(0, 1400))
        rows.append((area_id, f"Area di mobilità condivisa {cell.name}", lon, lat, n,
                     "singleSpaceDetection", allowed, date.fromordinal(opened), "MI2.2.3.b"))
    area_frame = pl.DataFrame(rows, orient="row", schema=[
        "area_id", "name", "lon", "lat", "total_spot_number", "occupancy_detection_type",
        "allowed_vehicle_types", "opened_on", "project_code"])
    spot_frame = pl.DataFrame(spots, orient="row", schema=[
        "spot_id", "area_id", "category", "lon", "lat", "ref_device"])
    return area_frame, spot_frame


#: Cycle routes as (bearing degrees, radius km) waypoints from the centre, in the
#: direction of the real streets, with the schematic cells they must cross.
ROUTES = (
    ("CR-SEMPIONE", "Corso Sempione", "MI2.2.3.c",
     ((305, 0.9), (302, 1.9), (299, 2.9), (297, 3.7)), ("Portello",)),
    ("CR-NAPOLI-GIAMBELLINO", "Itinerario Piazza Napoli - Giambellino", "MI2.2.3.d",
     ((224, 2.3), (219, 3.4), (212, 4.4), (207, 5.4)), ("Solari", "Giambellino")),
    ("CR-REPUBBLICA-FIUME", "Repubblica - Vittor Pisani - Monte Santo - Città di Fiume",
     "MI2.2.3.e", ((352, 1.45), (8, 1.4), (22, 1.55), (33, 2.3)), ("Stazione Centrale",)),
    ("CR-SOLARI-TORTONA", "Solari - Tortona", "MI2.2.3.f",
     ((224, 2.1), (217, 2.5), (209, 2.4)), ("Solari", "Tortona", "Porta Genova")),
)


def cycle_routes(rng: np.random.Generator) -> dict:
    """A GeoJSON FeatureCollection of the four programme cycle routes."""
    features = []
    for route_id, name, code, waypoints, _cells in ROUTES:
        bearing = np.radians([w[0] for w in waypoints])
        radius = np.array([w[1] for w in waypoints])
        x, y = radius * np.sin(bearing), radius * np.cos(bearing)
        t = np.linspace(0, len(x) - 1, 6 * (len(x) - 1) + 1)
        xs = np.interp(t, np.arange(len(x)), x)
        ys = np.interp(t, np.arange(len(y)), y)
        xs[1:-1] += rng.normal(0, 0.02, xs.size - 2)  # streets are not ruler-straight
        ys[1:-1] += rng.normal(0, 0.02, ys.size - 2)
        lon, lat = to_lonlat(xs, ys)
        features.append({
            "type": "Feature",
            "properties": {"route_id": route_id, "name": name, "project_code": code},
            "geometry": {"type": "LineString",
                         "coordinates": [[float(a), float(b)] for a, b in zip(lon, lat,
                                                                             strict=True)]},
        })
    return {"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": features}
