"""Located datasets as features: what OGC API - Features and the GeoJSON download share.

A dataset is *located* when the catalogue gives it point columns (lon/lat) or a
GeoJSON geometry column; exactly those datasets are the OGC collections. A
feature is one row: its id is the dataset's one-column key, its geometry comes
from the geometry column or the point columns, and its properties are the other
published columns (the same rule, :func:`dashboards.writers.to_feature`, makes the download).

Point datasets are filtered by bbox in SQL; geometry datasets (boundaries, routes:
tens to a few hundred rows) are filtered with shapely after the attribute and
time filters, so no spatial extension is needed in the read-only warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from shapely.geometry import box, shape

from dashboards.cache import memoize
from dashboards.queries import catalog
from dashboards.queries.datastore import (
    QueryError,
    _projection,
    _run,
    order_clause,
    quote,
    where_clause,
)
from dashboards.writers import to_feature

#: Largest page of features (OGC ``limit``); the default page is 10 features.
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class Interval:
    """A closed time interval in UTC (naive datetimes); None = open end."""

    start: datetime | None
    end: datetime | None


def collections() -> tuple[catalog.Dataset, ...]:
    """The published located datasets, sorted by id."""
    return tuple(ds for ds in catalog.datasets() if ds.located and id_column(ds))


def get(collection_id: str) -> catalog.Dataset | None:
    ds = catalog.get(collection_id)
    return ds if ds is not None and ds.located and id_column(ds) else None


def id_column(ds: catalog.Dataset) -> str | None:
    """The feature id: the dataset's key when it is one column."""
    return ds.order_by[0] if len(ds.order_by) == 1 and ds.column(ds.order_by[0]) else None


def time_column(ds: catalog.Dataset) -> catalog.Column | None:
    """The feature's instant for ``datetime``: the first date or timestamp column."""
    for col in ds.columns:
        if col.family in ("date", "datetime"):
            return col
    return None


def property_columns(ds: catalog.Dataset) -> list[catalog.Column]:
    """Columns that become feature properties (everything but the geometry column)."""
    return [c for c in ds.columns if c.name != ds.geometry_column]


def filterable_columns(ds: catalog.Dataset) -> list[catalog.Column]:
    """Properties usable as ``?name=value`` filters (not lists or structs)."""
    return [c for c in property_columns(ds) if not c.is_complex]


def _feature(ds: catalog.Dataset, row: dict[str, Any]) -> dict[str, Any]:
    feature = to_feature(row, geometry=ds.geometry_column, lon=ds.lon_column,
                         lat=ds.lat_column)
    return {"type": "Feature", "id": feature["properties"][id_column(ds)], **feature}


# ----------------------------------------------------------------- parameters

def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minx,miny,maxx,maxy`` (or with z: 6 numbers) in WGS84 longitude/latitude."""
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise QueryError("bbox", "must be 4 numbers: minLon,minLat,maxLon,maxLat "
                                 "(WGS84 degrees)")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise QueryError("bbox", f"'{text[:60]}' is not a list of numbers") from None
    if not all(abs(n) < float("inf") for n in numbers):
        raise QueryError("bbox", "numbers must be finite")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise QueryError("bbox", "longitudes must be between -180 and 180")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise QueryError("bbox", "latitudes must be between -90 and 90")
    if miny > maxy:
        raise QueryError("bbox", "the minimum latitude is above the maximum latitude")
    if minx > maxx:
        raise QueryError("bbox", "boxes crossing the antimeridian are not supported "
                                 "(minimum longitude above the maximum)")
    return minx, miny, maxx, maxy


def _instant(text: str, *, end: bool) -> datetime:
    """An RFC 3339 date-time, or a date (its first or last instant), as naive UTC."""
    if len(text) > 40:
        raise ValueError
    if "T" not in text.upper() and " " not in text:
        day = date.fromisoformat(text)
        return datetime.combine(day, time.max if end else time.min)
    moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def parse_datetime(text: str) -> Interval:
    """``instant``, ``start/end``, ``../end`` or ``start/..`` (RFC 3339, OGC API Part 1)."""
    try:
        if "/" in text:
            first, _, second = text.partition("/")
            start = None if first in ("..", "") else _instant(first, end=False)
            stop = None if second in ("..", "") else _instant(second, end=True)
            if start is None and stop is None:
                raise QueryError("datetime", "an interval needs at least one bound")
            if start and stop and start > stop:
                raise QueryError("datetime", "the interval starts after it ends")
            return Interval(start, stop)
        return Interval(_instant(text, end=False), _instant(text, end=True))
    except QueryError:
        raise
    except (ValueError, OverflowError):
        raise QueryError("datetime", f"'{text[:60]}' is not an RFC 3339 date-time, date or "
                                     "interval such as 2020-01-01/2021-12-31 or "
                                     "2020-01-01T00:00:00Z/..") from None


def parse_limit(text: str | None) -> int:
    if text in (None, ""):
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise QueryError("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def parse_offset(text: str | None) -> int:
    if text in (None, ""):
        return 0
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise QueryError("offset", "must be an integer >= 0")
    return int(text)


# ----------------------------------------------------------------- queries

def _select(ds: catalog.Dataset, filters: dict[str, Any], interval: Interval | None,
            bbox: tuple[float, float, float, float] | None) -> tuple[str, list[Any]]:
    where, params = where_clause(ds, filters or None)
    extra: list[str] = []
    if interval is not None:
        col = time_column(ds)
        if col is None:
            raise QueryError("datetime", f"collection '{ds.id}' has no time property")
        ident = f"CAST({quote(col.name)} AS TIMESTAMP)"
        if interval.start is not None:
            extra.append(f"{ident} >= ?")
            params.append(interval.start)
        if interval.end is not None:
            extra.append(f"{ident} <= ?")
            params.append(interval.end)
    if bbox is not None and not ds.geometry_column:
        lon, lat = quote(ds.lon_column), quote(ds.lat_column)
        extra.append(f"{lon} BETWEEN ? AND ? AND {lat} BETWEEN ? AND ?")
        params += [bbox[0], bbox[2], bbox[1], bbox[3]]
    if extra:
        where = (where + " AND " if where else " WHERE ") + " AND ".join(extra)
    return where, params


def items(ds: catalog.Dataset, *, filters: dict[str, Any] | None = None,
          interval: Interval | None = None,
          bbox: tuple[float, float, float, float] | None = None,
          limit: int = DEFAULT_LIMIT, offset: int = 0) -> tuple[list[dict], int]:
    """One page of features in key order and the number of features matched."""
    where, params = _select(ds, filters or {}, interval, bbox)
    columns = _projection(list(ds.columns), "json")
    base = f"SELECT {columns} FROM {ds.table}{where}{order_clause(ds, None)}"  # noqa: S608 (allow-listed)
    if bbox is not None and ds.geometry_column:
        names, rows = _run(base, params)
        area = box(*bbox)
        gpos = names.index(ds.geometry_column)
        rows = [r for r in rows if r[gpos] and shape(json.loads(r[gpos])).intersects(area)]
        matched, rows = len(rows), rows[offset:offset + limit]
    else:
        names, rows = _run(base + " LIMIT ? OFFSET ?", [*params, limit, offset])
        matched = _run(f"SELECT count(*) FROM {ds.table}{where}", params)[1][0][0]  # noqa: S608
    return [_feature(ds, dict(zip(names, r, strict=True))) for r in rows], matched


def item(ds: catalog.Dataset, fid: str) -> dict[str, Any] | None:
    """The feature with this id, or None (an id of the wrong type is simply not found)."""
    try:
        found, _ = items(ds, filters={id_column(ds): fid}, limit=1)
    except QueryError:
        return None
    return found[0] if found else None


@memoize
def extent(collection_id: str) -> dict[str, Any]:
    """Spatial extent (bbox of every geometry) and, with a time column, temporal extent."""
    ds = get(collection_id)
    out: dict[str, Any] = {}
    if ds is None:
        return out
    if ds.geometry_column:
        _, rows = _run(f"SELECT {quote(ds.geometry_column)} FROM {ds.table} "  # noqa: S608
                       f"WHERE {quote(ds.geometry_column)} IS NOT NULL", [])
        bounds = [shape(json.loads(r[0])).bounds for r in rows]
        if bounds:
            out["bbox"] = [min(b[0] for b in bounds), min(b[1] for b in bounds),
                           max(b[2] for b in bounds), max(b[3] for b in bounds)]
    else:
        lon, lat = quote(ds.lon_column), quote(ds.lat_column)
        row = _run(f"SELECT min({lon}), min({lat}), max({lon}), max({lat}) "  # noqa: S608
                   f"FROM {ds.table}", [])[1][0]
        if row[0] is not None:
            out["bbox"] = [float(v) for v in row]
    col = time_column(ds)
    if col is not None:
        ident = f"CAST({quote(col.name)} AS TIMESTAMP)"
        row = _run(f"SELECT min({ident}), max({ident}) FROM {ds.table}", [])[1][0]  # noqa: S608
        out["interval"] = [None if v is None else v.isoformat() + "Z" for v in row]
    return out
