"""What the city's GBFS 3.0 feed publishes (``dashboards/hub/gbfs.py`` renders it).

Two kinds of station: the 33 shared-mobility areas (bays per category from the bay
dimension, free and occupied bays from each bay's newest sensor status) and the
bike-sharing stations the programme built or expanded (newest GBFS sample). Results
are memoized on the warehouse identity like every query, so a new build or ingest is
served at the next request.
"""

from __future__ import annotations

import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import fetch


@memoize
def vehicle_types() -> pl.DataFrame:
    return fetch("""SELECT vehicle_type_id, form_factor, propulsion_type, name_it, name_en
                    FROM mart.mobility_vehicle_types ORDER BY vehicle_type_id""")


@memoize
def area_bays() -> pl.DataFrame:
    """One row per area and bay category: bays, and bays free / occupied / out of
    service (closed or unknown) by each bay's newest sensor status; bays never observed
    count in ``bays`` only. ``last_reported`` is the area's newest sensor event."""
    return fetch("""
        SELECT a.area_id, a.name, a.lat, a.lon, p.category,
               count(*)::INTEGER AS bays,
               count(*) FILTER (WHERE l.status = 'free')::INTEGER AS free,
               count(*) FILTER (WHERE l.status = 'occupied')::INTEGER AS occupied,
               count(*) FILTER (WHERE l.status IN ('closed', 'unknown'))::INTEGER
                   AS out_of_service,
               max(max(l.observed_at)) OVER (PARTITION BY a.area_id) AS last_reported
        FROM mart.mobility_areas a
        JOIN mart.mobility_parking_spots p USING (area_id)
        LEFT JOIN mart.mobility_spot_status_latest l USING (spot_id)
        GROUP BY a.area_id, a.name, a.lat, a.lon, p.category
        ORDER BY a.area_id, p.category""")


@memoize
def programme_stations() -> pl.DataFrame:
    """Bike-sharing stations built or expanded by the programme, with the newest sample."""
    return fetch("""
        SELECT s.station_id, s.name, s.lat, s.lon, s.capacity, s.intervention,
               l.last_reported, l.num_vehicles_available, l.num_docks_available,
               l.is_renting, l.is_returning
        FROM mart.mobility_bike_stations s
        LEFT JOIN mart.mobility_station_status_latest l USING (station_id)
        WHERE s.project_code IS NOT NULL ORDER BY s.station_id""")
