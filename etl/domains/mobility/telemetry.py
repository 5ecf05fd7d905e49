"""Synthetic telemetry for the demo: station status, bay sensor events, trips.

Each generator yields one month at a time as a Polars frame built from numpy
arrays (no per-row Python), so scale 100 (tens of millions of rows) runs in
bounded memory: the caller writes a partition and drops it before the next.
Daily and weekly rhythms follow Europe/Rome local time; timestamps are UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import shapely

from etl.domains.mobility.layout import to_km, to_lonlat

STATUS_STEP_S = 600  # GBFS snapshots every 10 minutes
SENSOR_STEP_S = 900  # bay state simulated on a 15-minute grid


def month_windows(first_day: date, last_day: date) -> Iterator[tuple[str, datetime, datetime]]:
    """(``YYYY-MM``, start, end) UTC windows covering first_day..last_day, end exclusive."""
    cur = datetime(first_day.year, first_day.month, first_day.day)
    stop = datetime(last_day.year, last_day.month, last_day.day) + timedelta(days=1)
    while cur < stop:
        nxt = datetime(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        yield f"{cur:%Y-%m}", cur, min(nxt, stop)
        cur = nxt


def _grid(start: datetime, end: datetime, step_s: int) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Epoch seconds of a UTC grid, with local (Europe/Rome) hour fraction and weekday."""
    t0 = int(start.replace(tzinfo=UTC).timestamp())
    t1 = int(end.replace(tzinfo=UTC).timestamp())
    secs = np.arange(t0, t1, step_s, dtype=np.int64)
    local = (pl.Series("t", secs * 1_000_000).cast(pl.Datetime("us", "UTC"))
             .dt.convert_time_zone("Europe/Rome"))
    hour = (local.dt.hour().to_numpy() + local.dt.minute().to_numpy() / 60).astype(float)
    weekday = local.dt.weekday().to_numpy()  # 1 = Monday
    return secs, hour, weekday


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _working_day(hour: np.ndarray) -> np.ndarray:
    """~1 between the morning and evening commutes, ~0 at night."""
    return _sigmoid((hour - 8.6) / 0.55) - _sigmoid((hour - 18.2) / 0.8)


def _timestamps(secs: np.ndarray) -> pl.Series:
    return pl.Series(secs * 1_000_000).cast(pl.Datetime("us"))


def station_status(stations: pl.DataFrame, rng: np.random.Generator, first_day: date,
                   last_day: date) -> Iterator[tuple[str, pl.DataFrame]]:
    """10-minute GBFS snapshots with commuter flows: the centre fills in the morning.

    ``stations`` may carry the programme's ``intervention``, ``opened_on`` and
    ``docks_added``: a new station reports only from its opening, an expanded one
    has ``docks_added`` fewer docks before it.
    """
    n = stations.height
    cap = stations["capacity"].to_numpy().astype(float)
    opened = _epoch_days(stations, "opened_on")
    intervention = (stations["intervention"].fill_null("").to_numpy()
                    if "intervention" in stations.columns else np.full(n, ""))
    opens_at = np.where(intervention == "new", opened, np.iinfo(np.int64).min)
    grows_at = np.where(intervention == "expanded", opened, np.iinfo(np.int64).min)
    added = (stations["docks_added"].fill_null(0).to_numpy()
             if "docks_added" in stations.columns else np.zeros(n))
    dist = stations["dist_km"].to_numpy()
    role = np.clip((2.2 - dist) / 1.4, -1.0, 1.0)  # +1 centre (destination), -1 periphery
    base = np.clip(rng.normal(0.45, 0.12, n), 0.15, 0.8)
    chronic = rng.random(n)
    base = np.where(chronic < 0.08, 0.03, np.where(chronic > 0.95, 0.97, base))
    amp = rng.uniform(0.25, 0.45, n)
    periods = rng.uniform(3, 40, (n, 3)) * 3600
    phases = rng.uniform(0, 2 * np.pi, (n, 3))
    weights = rng.uniform(0.03, 0.08, (n, 3))
    ids = stations["station_id"].to_numpy()
    for label, start, end in month_windows(first_day, last_day):
        secs, hour, weekday = _grid(start, end, STATUS_STEP_S)
        weekend = weekday >= 6
        commute = _working_day(hour) * np.where(weekend, 0.25, 1.0)
        leisure = np.where(weekend, np.exp(-(((hour - 15.5) / 3.0) ** 2)), 0.0)
        fill = (base[:, None] + (role * amp)[:, None] * commute[None, :]
                - 0.12 * leisure[None, :])
        drift = np.zeros_like(fill)
        for k in range(3):
            drift += weights[:, k, None] * np.sin(2 * np.pi * secs[None, :] / periods[:, k, None]
                                                  + phases[:, k, None])
        fill = np.clip(fill + drift + rng.normal(0, 0.03, fill.shape), 0.0, 1.0)
        broken = rng.integers(0, 3, n)[:, None] * (rng.random(n) < 0.4)[:, None]
        before = secs[None, :] < grows_at[:, None]
        usable = cap[:, None] - np.where(before, added[:, None], 0) - broken
        vehicles = np.round(fill * usable).astype(np.int64)
        docks = (usable - vehicles).astype(np.int64)
        # a few maintenance stops per month: station neither renting nor returning
        renting = np.ones(fill.shape, dtype=bool)
        stops = np.flatnonzero(rng.random(n) < 0.15)
        begin = rng.integers(0, secs.size, stops.size)
        length = rng.integers(6, 48, stops.size)
        steps = np.arange(secs.size)
        renting[stops] = ~((steps[None, :] >= begin[:, None])
                           & (steps[None, :] < (begin + length)[:, None]))
        lag = rng.integers(0, 120, fill.shape)  # stations report a little before the poll
        live = (secs[None, :] >= opens_at[:, None]).ravel()
        frame = pl.DataFrame({
            "station_id": np.repeat(ids, secs.size),
            "last_reported": _timestamps((secs[None, :] - lag).ravel()),
            "num_vehicles_available": vehicles.ravel(),
            "num_docks_available": docks.ravel(),
            "is_installed": np.ones(vehicles.size, dtype=bool),
            "is_renting": renting.ravel(),
            "is_returning": renting.ravel(),
        }).filter(pl.Series(live))
        yield label, frame.sort("last_reported", "station_id", maintain_order=True)


#: Probability a bay is occupied: (night, working day, evening) levels per category.
_BAY_LEVELS = {"bike": (0.25, 0.65, 0.35), "scooter": (0.45, 0.55, 0.6),
               "car": (0.7, 0.5, 0.75), "e-car": (0.55, 0.7, 0.5)}
#: Mean stay in a bay, in 15-minute steps.
_BAY_STAY = {"bike": 3.0, "scooter": 4.0, "car": 10.0, "e-car": 8.0}


def spot_status(spots: pl.DataFrame, rng: np.random.Generator, first_day: date,
                last_day: date) -> Iterator[tuple[str, pl.DataFrame]]:
    """Bay sensor events (status changes only), from a two-state chain per bay.

    Arrival and departure rates are set so the chain's equilibrium follows the
    hour-of-day occupancy of each category; sensors occasionally go offline
    (``unknown``) and bays are closed for works now and then (``closed``).
    Each monthly file opens with every bay's current state, so it stands alone.
    """
    n = spots.height
    cats = spots["category"].to_numpy()
    levels = np.array([_BAY_LEVELS[c] for c in cats])
    leave = 1.0 / np.array([_BAY_STAY[c] for c in cats])
    bay_bias = rng.normal(0, 0.08, n)
    state = rng.random(n) < 0.5
    ids = spots["spot_id"].to_numpy()
    codes = np.array(["free", "occupied", "closed", "unknown"])
    for label, start, end in month_windows(first_day, last_day):
        secs, hour, weekday = _grid(start, end, SENSOR_STEP_S)
        t = secs.size
        day = _working_day(hour)
        evening = _sigmoid((hour - 18.5) / 0.7) * _sigmoid((23.0 - hour) / 0.7)
        night = np.clip(1 - day - evening, 0, 1)
        weekend = (weekday >= 6)[None, :]
        p = (levels[:, 0, None] * night + levels[:, 1, None] * day
             + levels[:, 2, None] * evening)
        p = np.clip(p + bay_bias[:, None] + np.where(weekend, -0.08, 0.0), 0.05, 0.95)
        arrive = np.minimum(leave[:, None] * p / (1 - p), 0.95)
        u = rng.random((n, t))
        occ = np.empty((n, t), dtype=bool)
        for k in range(t):
            state = np.where(state, u[:, k] >= leave, u[:, k] < arrive[:, k])
            occ[:, k] = state
        status = occ.astype(np.int8)
        # offline sensors (unknown) and works (closed), a few blocks per month
        steps = np.arange(t)
        for code, prob, lo, hi in ((3, 0.10, 8, 24), (2, 0.03, 48, 96)):
            hit = np.flatnonzero(rng.random(n) < prob)
            b = rng.integers(0, t, hit.size)
            ln = rng.integers(lo, hi, hit.size)
            mask = (steps[None, :] >= b[:, None]) & (steps[None, :] < (b + ln)[:, None])
            status[hit] = np.where(mask, code, status[hit])
        change = np.ones((n, t), dtype=bool)
        change[:, 1:] = status[:, 1:] != status[:, :-1]
        bay, step = np.nonzero(change)
        jitter = np.where(step == 0, 0, rng.integers(0, SENSOR_STEP_S, step.size))
        frame = pl.DataFrame({
            "spot_id": ids[bay],
            "observed_at": _timestamps(secs[step] + jitter),
            "status": codes[status[bay, step]],
        })
        yield label, frame.sort("observed_at", "spot_id", maintain_order=True)


#: (vehicle type, share of trips, speed km/h, docked at stations?)
_MODES = (("bike", 0.42, 11.0, True), ("e-bike", 0.26, 15.0, True),
          ("scooter", 0.20, 13.0, False), ("car", 0.07, 20.0, False),
          ("e-car", 0.05, 20.0, False))
#: Relative trips by local hour, working days and weekends.
_HOURLY_WEEKDAY = np.array([0.3, 0.15, 0.1, 0.1, 0.2, 0.6, 2.0, 5.0, 8.0, 5.5, 3.5, 3.5,
                            4.0, 4.0, 3.5, 3.8, 4.8, 6.5, 7.5, 5.5, 3.5, 2.2, 1.5, 0.8])
_HOURLY_WEEKEND = np.array([0.8, 0.6, 0.4, 0.2, 0.15, 0.2, 0.5, 1.0, 1.8, 2.8, 3.8, 4.5,
                            4.6, 4.4, 4.3, 4.6, 4.9, 5.0, 4.6, 3.8, 2.8, 2.0, 1.6, 1.1])


def trips(stations: pl.DataFrame, rng: np.random.Generator, first_day: date,
          last_day: date, per_day: int) -> Iterator[tuple[str, pl.DataFrame]]:
    """Trips of every vehicle type; docked bikes run between stations, others float."""
    st_lon, st_lat = stations["lon"].to_numpy(), stations["lat"].to_numpy()
    st_x, st_y = to_km(st_lon, st_lat)
    st_ids = stations["station_id"].to_numpy()
    st_weight = 1.0 / (0.6 + stations["dist_km"].to_numpy())
    st_weight /= st_weight.sum()
    tree = shapely.STRtree(shapely.points(st_x, st_y))
    shares = np.array([m[1] for m in _MODES])
    serial = 0
    for label, start, end in month_windows(first_day, last_day):
        days = (end - start).days
        day_start, _, weekday = _grid(start, end, 86_400)
        total = int(per_day * days * rng.uniform(0.9, 1.1))
        day = rng.integers(0, days, total)
        weekend = weekday[day] >= 6
        keep = ~weekend | (rng.random(total) < 0.75)
        day, weekend = day[keep], weekend[keep]
        m = day.size
        hour = np.where(weekend,
                        rng.choice(24, m, p=_HOURLY_WEEKEND / _HOURLY_WEEKEND.sum()),
                        rng.choice(24, m, p=_HOURLY_WEEKDAY / _HOURLY_WEEKDAY.sum()))
        # local hour -> UTC: Rome is UTC+1 in winter, UTC+2 in summer
        offset = _rome_offset_hours(day_start)[day]
        t_start = day_start[day] + (hour - offset) * 3600 + rng.integers(0, 3600, m)
        mode = rng.choice(len(_MODES), m, p=shares)
        docked = np.array([mi[3] for mi in _MODES])[mode]
        speed = np.array([mi[2] for mi in _MODES])[mode]
        # free-floating starts: denser in the centre
        radius = np.abs(rng.normal(0, 2.6, m))
        angle = rng.uniform(0, 2 * np.pi, m)
        sx, sy = radius * np.sin(angle), radius * np.cos(angle)
        s_idx = rng.choice(st_x.size, m, p=st_weight)
        sx = np.where(docked, st_x[s_idx], sx)
        sy = np.where(docked, st_y[s_idx], sy)
        length = np.clip(rng.lognormal(np.log(1.8), 0.6, m) * np.where(speed > 18, 2.2, 1.0),
                         0.3, 25.0)
        heading = rng.uniform(0, 2 * np.pi, m)
        ex, ey = sx + length * np.sin(heading), sy + length * np.cos(heading)
        ex, ey = np.clip(ex, -9.5, 9.5), np.clip(ey, -9.5, 9.5)
        e_idx = tree.query_nearest(shapely.points(ex, ey), all_matches=False)[1]
        ex = np.where(docked, st_x[e_idx], ex)
        ey = np.where(docked, st_y[e_idx], ey)
        distance_m = np.round(np.maximum(np.hypot(ex - sx, ey - sy) * 1.3, 0.15) * 1000)
        duration_s = (distance_m / 1000 / speed * 3600 * rng.uniform(0.85, 1.4, m)
                      + rng.integers(30, 240, m)).astype(np.int64)
        slon, slat = to_lonlat(sx, sy)
        elon, elat = to_lonlat(ex, ey)
        frame = pl.DataFrame({
            "trip_id": np.arange(serial, serial + m),
            "vehicle_type_id": np.array([mi[0] for mi in _MODES])[mode],
            "start_time": _timestamps(t_start),
            "end_time": _timestamps(t_start + duration_s),
            "start_lon": slon, "start_lat": slat, "end_lon": elon, "end_lat": elat,
            "distance_m": distance_m,
            "start_station_id": st_ids[s_idx].astype(str),
            "end_station_id": st_ids[e_idx].astype(str),
            "docked": docked,
        }).sort("start_time", maintain_order=True).with_columns(
            pl.format("T{}", pl.col("trip_id").cast(pl.String).str.zfill(9)).alias("trip_id"),
            pl.when("docked").then(pl.col("start_station_id")).alias("start_station_id"),
            pl.when("docked").then(pl.col("end_station_id")).alias("end_station_id"),
        ).drop("docked")
        serial += m
        yield label, frame


def _epoch_days(frame: pl.DataFrame, column: str) -> np.ndarray:
    """Epoch seconds of a date column at 00:00 UTC (the minimum int where absent/null)."""
    if column not in frame.columns:
        return np.full(frame.height, np.iinfo(np.int64).min)
    secs = frame[column].cast(pl.Datetime("us")).cast(pl.Int64) // 1_000_000
    return secs.fill_null(np.iinfo(np.int64).min).to_numpy()


def _rome_offset_hours(secs: np.ndarray) -> np.ndarray:
    """UTC offset of Europe/Rome (1 or 2 hours) at each epoch second."""
    local = (pl.Series(secs * 1_000_000).cast(pl.Datetime("us", "UTC"))
             .dt.convert_time_zone("Europe/Rome"))
    return (local.dt.replace_time_zone(None).cast(pl.Int64) // 1_000_000 - secs) // 3600
