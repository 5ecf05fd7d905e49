"""Synthetic ERP extract: a few thousand units in ~150 complexes, calibrated to PON Metro.

Calibration (programme text): MI4.1.1.c recovers exactly 80 vacant units in 18
complexes (works 2018-2023, most completed and then assigned); MI4.1.1.a
renovates the "Living in the village" farmhouse at via De Lemene 51/55/59 in
QT8. The rest of the stock has realistic vacancy and re-letting 2016-2023.
Files are written like the real extract: ';', decimal commas, Latin-1.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from etl.calendar import DATA

SOURCE = "synthetic demo of the MM SpA ERP extract"
#: lettings in the demo start with the data years; the extract is taken at their end
LETTINGS_START, EXTRACT_DATE = DATA.start, DATA.end
RECOVERY_PROJECT = "MI4.1.1.c"
RECOVERY_UNITS, RECOVERY_COMPLEXES = 80, 18
FARMHOUSE_PROJECT = "MI4.1.1.a"
FARMHOUSE_ADDRESS = "via De Lemene 51/55/59"
FARMHOUSE_UNITS = 14
STREETS = (
    "via Giuseppe Mazzini", "via dei Mille", "via Giuseppe Garibaldi", "via Aldo Moro",
    "via della Resistenza", "via Cesare Battisti", "via Nazario Sauro", "via dei Tigli",
    "via delle Betulle", "via dei Pioppi", "via Guglielmo Marconi", "via Antonio Gramsci",
    "via Giacomo Matteotti", "via Fratelli Rosselli", "via Piero Gobetti", "via don Minzoni",
    "via dei Gelsi", "via delle Acacie", "via Enrico Fermi", "via Alessandro Volta",
    "via Luigi Galvani", "via Ugo Foscolo", "via Giosuè Carducci", "via Giacomo Leopardi",
    "via Torquato Tasso", "via Ludovico Ariosto", "via Vittorio Alfieri", "via Carlo Goldoni",
    "via Pietro Mascagni", "via Gioachino Rossini", "via Gaetano Donizetti",
    "via Vincenzo Bellini", "piazza della Libertà", "via dell'Artigianato",
    "via del Lavoro", "via della Cooperazione", "via Fratelli Cervi", "via Sandro Pertini",
    "via Ada Negri", "via Grazia Deledda",
)


def _month_offset(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before, if negative) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _random_day(rng: np.random.Generator, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=int(rng.integers(0, span + 1))) if span > 0 else start


def _periphery_weights(geo) -> np.ndarray:
    """Cells farther from the centre hold more public housing, as in Milan."""
    lon0, lat0 = 9.19, 45.464
    dist = np.array([np.hypot((c.polygon.centroid.x - lon0) * 0.70,
                              c.polygon.centroid.y - lat0) for c in geo.cells])
    weights = (dist / dist.max()) ** 1.5 + 0.05
    return weights / weights.sum()


def _complexes(ctx, rng) -> pl.DataFrame:
    geo = ctx.geography
    n = 150 * ctx.scale
    cell_idx = rng.choice(len(geo.cells), size=n, p=_periphery_weights(geo))
    rows = []
    for i, ci in enumerate(cell_idx, start=1):
        cell = geo.cells[int(ci)]
        lon, lat = geo.random_point(rng, name=cell.name)
        street = STREETS[int(rng.integers(len(STREETS)))]
        number = int(rng.integers(1, 180))
        rows.append({"complex_id": 1000 + i, "name": f"{cell.name} - {street} {number}",
                     "address": f"{street} {number}", "lon": lon, "lat": lat,
                     "project_code": None})
    lon, lat = geo.random_point(rng, name="QT8")
    rows.append({"complex_id": 1000 + n + 1, "name": "Cascina De Lemene - Abitare nel villaggio",
                 "address": FARMHOUSE_ADDRESS, "lon": lon, "lat": lat,
                 "project_code": FARMHOUSE_PROJECT})
    return pl.DataFrame(rows, schema={"complex_id": pl.Int64, "name": pl.String,
                                      "address": pl.String, "lon": pl.Float64,
                                      "lat": pl.Float64, "project_code": pl.String})


def _unit_shape(rng, floors: int) -> dict:
    rooms = int(rng.choice([1, 2, 3, 4, 5], p=[0.12, 0.38, 0.32, 0.14, 0.04]))
    area = round(float(18 + rooms * 16 + rng.normal(0, 6)), 1)
    floor = int(rng.integers(0, floors + 1))
    return {"floor": floor, "floor_area_m2": max(area, 22.0), "rooms": rooms,
            "accessible": bool(floor == 0 or rng.random() < 0.12)}


def generate(ctx) -> None:
    """Write complexes, units, renovations and assignments under ``housing/``."""
    rng = ctx.rng("housing")
    complexes = _complexes(ctx, rng)
    ordinary = complexes.filter(pl.col("project_code").is_null())
    farmhouse_id = int(complexes.filter(pl.col("project_code") == FARMHOUSE_PROJECT)
                       ["complex_id"][0])

    sizes = {int(c): int(np.clip(rng.lognormal(2.9, 0.6), 6, 120))
             for c in ordinary["complex_id"]}
    # 18 peripheral complexes of decent size host the 80 recovered units
    eligible = [c for c, s in sizes.items() if s >= 12]
    recovery_complexes = sorted(int(c) for c in rng.choice(eligible, RECOVERY_COMPLEXES,
                                                           replace=False))
    split = rng.multinomial(RECOVERY_UNITS - 2 * RECOVERY_COMPLEXES,
                            [1 / RECOVERY_COMPLEXES] * RECOVERY_COMPLEXES) + 2
    recovery_quota = dict(zip(recovery_complexes, (int(s) for s in split), strict=True))

    units, works, assignments = [], [], []
    unit_id = 100_000
    work_id = 1
    for complex_id in [*sizes, farmhouse_id]:
        floors = 1 if complex_id == farmhouse_id else int(rng.integers(3, 11))
        size = FARMHOUSE_UNITS if complex_id == farmhouse_id else sizes[complex_id]
        quota = recovery_quota.get(complex_id, 0)
        for k in range(size):
            unit_id += 1
            shape = _unit_shape(rng, floors)
            if complex_id == farmhouse_id:
                record, unit_works, unit_assign = _farmhouse_unit(rng, unit_id, work_id)
            elif k < quota:
                record, unit_works, unit_assign = _recovered_unit(rng, unit_id, work_id)
            else:
                record, unit_works, unit_assign = _ordinary_unit(rng, unit_id)
            work_id += len(unit_works)
            units.append({"unit_id": unit_id, "complex_id": complex_id, **shape, **record})
            works += unit_works
            assignments += unit_assign

    complexes = complexes.with_columns(
        pl.when(pl.col("complex_id").is_in(recovery_complexes)).then(pl.lit(RECOVERY_PROJECT))
        .otherwise(pl.col("project_code")).alias("project_code"))
    unit_frame = pl.DataFrame(units, schema={
        "unit_id": pl.Int64, "complex_id": pl.Int64, "floor": pl.Int64,
        "floor_area_m2": pl.Float64, "rooms": pl.Int64, "accessible": pl.Boolean,
        "status": pl.String, "vacant_since": pl.Date, "project_code": pl.String,
    }).select("unit_id", "complex_id", "floor", "floor_area_m2", "rooms", "status",
              "accessible", "vacant_since", "project_code")
    work_frame = pl.DataFrame(works, schema={
        "work_id": pl.Int64, "unit_id": pl.Int64, "project_code": pl.String,
        "start_date": pl.Date, "end_date": pl.Date, "cost_eur": pl.Float64,
        "stage": pl.String})
    assign_frame = pl.DataFrame(assignments, schema={
        "unit_id": pl.Int64, "assigned_on": pl.Date, "vacant_from": pl.Date,
    }).sort("assigned_on", "unit_id")

    for relpath, frame in (("housing/complexes.csv", complexes),
                           ("housing/units.csv", unit_frame),
                           ("housing/renovations.csv", work_frame),
                           ("housing/assignments.csv", assign_frame)):
        _write_erp_csv(ctx, relpath, frame)


def _write_erp_csv(ctx, relpath: str, frame: pl.DataFrame) -> None:
    """Write as the ERP manager does: ';', decimal commas, 'si'/'no', Latin-1 text."""
    frame = frame.with_columns(pl.col(pl.Boolean).replace_strict(
        {True: "si", False: "no"}, return_dtype=pl.String))
    path = ctx.write_csv(relpath, frame, source=SOURCE, separator=";")
    text = frame.write_csv(separator=";", decimal_comma=True, date_format="%Y-%m-%d")
    path.write_bytes(text.encode("cp1252"))


def _ordinary_unit(rng, unit_id: int) -> tuple[dict, list, list]:
    """A unit outside the programme: let, vacant or in ordinary maintenance."""
    status = str(rng.choice(["occupied", "vacant", "under_renovation"], p=[0.87, 0.10, 0.03]))
    assigns = []
    vacant_since = None
    if status != "occupied":
        months_empty = int(np.clip(rng.lognormal(3.0, 0.8), 1, 150))
        vacant_since = _month_offset(EXTRACT_DATE, -months_empty) + timedelta(
            days=int(rng.integers(0, 28)))
    # re-lettings during the programme years (turnover ~4% a year)
    if rng.random() < 0.30:
        latest = (vacant_since - timedelta(days=200)) if vacant_since else EXTRACT_DATE
        if latest > LETTINGS_START:
            assigned_on = _random_day(rng, LETTINGS_START, latest)
            gap = int(np.clip(rng.lognormal(2.2, 0.7), 1, 60))
            assigns.append({"unit_id": unit_id, "assigned_on": assigned_on,
                            "vacant_from": _month_offset(assigned_on, -gap)
                            if rng.random() < 0.9 else None})
    return ({"status": status, "vacant_since": vacant_since, "project_code": None},
            [], assigns)


def _recovered_unit(rng, unit_id: int, work_id: int) -> tuple[dict, list, list]:
    """A vacant unit recovered by MI4.1.1.c: works 2018-2023, then (mostly) assigned."""
    vacant_since = _random_day(rng, date(2013, 1, 1), date(2017, 12, 31))
    start = _random_day(rng, date(2018, 3, 1), date(2023, 4, 30))
    end = start + timedelta(days=int(rng.integers(150, 480)))
    cost = round(float(rng.normal(38_000, 9_000)), 2)
    if end > EXTRACT_DATE - timedelta(days=30):
        work = {"end_date": None, "stage": "works"}
        record = {"status": "under_renovation", "vacant_since": vacant_since}
        assigns = []
    else:
        work = {"end_date": end, "stage": "completed"}
        assigned_on = end + timedelta(days=int(rng.integers(30, 240)))
        if assigned_on <= EXTRACT_DATE and rng.random() < 0.9:
            record = {"status": "occupied", "vacant_since": None}
            assigns = [{"unit_id": unit_id, "assigned_on": assigned_on,
                        "vacant_from": vacant_since}]
        else:
            record = {"status": "renovated", "vacant_since": vacant_since}
            assigns = []
    works = [{"work_id": work_id, "unit_id": unit_id, "project_code": RECOVERY_PROJECT,
              "start_date": start, "cost_eur": max(cost, 12_000.0), **work}]
    return {**record, "project_code": RECOVERY_PROJECT}, works, assigns


def _farmhouse_unit(rng, unit_id: int, work_id: int) -> tuple[dict, list, list]:
    """A flat of the De Lemene farmhouse (MI4.1.1.a): works 2020-2023, first lettings."""
    vacant_since = date(2009, 1, 1)
    start = date(2020, 9, 14)
    end = date(2023, 6, 30)
    assigned_on = _random_day(rng, date(2023, 9, 1), date(2024, 3, 31))
    works = [{"work_id": work_id, "unit_id": unit_id, "project_code": FARMHOUSE_PROJECT,
              "start_date": start, "end_date": end,
              "cost_eur": round(float(rng.normal(95_000, 12_000)), 2), "stage": "completed"}]
    if assigned_on <= EXTRACT_DATE:
        return ({"status": "occupied", "vacant_since": None, "project_code": FARMHOUSE_PROJECT},
                works, [{"unit_id": unit_id, "assigned_on": assigned_on,
                         "vacant_from": vacant_since}])
    return ({"status": "renovated", "vacant_since": vacant_since,
             "project_code": FARMHOUSE_PROJECT}, works, [])
