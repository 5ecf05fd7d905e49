"""Mobility (axis 2, action 2.2.3): bike sharing, shared-mobility areas, cycle routes.

Landing files are GBFS-shaped (stations, status, vehicle types) and FIWARE-shaped
(areas, bays, bay sensor events), so the connectors write real feeds into the
very same contracts the demo fills.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from etl.calendar import TELEMETRY
from etl.domains.mobility import layout, telemetry
from etl.domains.mobility.contracts import CONTRACTS, GBFS_SOURCE  # noqa: F401
from etl.domains.mobility.marts import build_marts  # noqa: F401

DEMO_SOURCE = "synthetic demo (mobility)"
#: Stations with 10-minute status snapshots per unit of scale (programme ones always).
STATUS_STATIONS_PER_SCALE = 50
TRIPS_PER_DAY = 1200


def status_sample(stations, programme, scale: int, rng: np.random.Generator):
    """Stations with telemetry: every programme station, then a random draw of the rest."""
    want = min(stations.height, STATUS_STATIONS_PER_SCALE * scale)
    is_prog = stations["station_id"].is_in(programme["station_id"].implode()).to_numpy()
    others = np.flatnonzero(~is_prog)
    extra = rng.choice(others, max(0, want - int(is_prog.sum())), replace=False)
    keep = np.sort(np.concatenate([np.flatnonzero(is_prog), extra]))
    return stations[keep]


def generate(ctx) -> None:
    """Write the demo mobility landing files; telemetry one monthly partition at a time."""
    rng = ctx.rng("mobility")
    everything = layout.stations(ctx, rng)
    stations, orphans = everything.head(layout.N_STATIONS), everything.tail(layout.N_ORPHANS)
    programme = layout.programme(stations, rng)
    ctx.write_csv("mobility/station_information.csv",
                  stations.select("station_id", "name", "lat", "lon", "capacity", "system_id"),
                  source=DEMO_SOURCE)
    ctx.write_csv("mobility/station_programme.csv", programme, source=DEMO_SOURCE)
    ctx.write_csv("mobility/vehicle_types.csv", layout.VEHICLE_TYPES, source=DEMO_SOURCE)
    areas, spots = layout.areas(ctx, rng)
    ctx.write_csv("mobility/areas.csv", areas, source=DEMO_SOURCE)
    ctx.write_csv("mobility/parking_spots.csv", spots, source=DEMO_SOURCE)
    routes = layout.cycle_routes(rng)
    ctx.write_json("mobility/cycle_routes.geojson", routes, source=DEMO_SOURCE,
                   rows=len(routes["features"]))

    last = TELEMETRY.end
    first = last - timedelta(days=ctx.telemetry_days - 1)
    sampled = pl.concat([status_sample(stations, programme, ctx.scale, rng), orphans]).join(
        programme.select("station_id", "intervention", "opened_on", "docks_added"),
        on="station_id", how="left", maintain_order="left")
    for month, frame in telemetry.station_status(sampled, ctx.rng("mobility.status"),
                                                 first, last):
        ctx.write_csv(f"mobility/station_status/{month}.csv", frame, source=DEMO_SOURCE)
    for month, frame in telemetry.spot_status(spots, ctx.rng("mobility.bays"), first, last):
        ctx.write_csv(f"mobility/spot_status/{month}.csv", frame, source=DEMO_SOURCE)
    per_day = TRIPS_PER_DAY * min(1 + ctx.scale // 10, 4)
    for month, frame in telemetry.trips(stations, ctx.rng("mobility.trips"), first, last,
                                        per_day):
        ctx.write_csv(f"mobility/trips/{month}.csv", frame, source=DEMO_SOURCE)
