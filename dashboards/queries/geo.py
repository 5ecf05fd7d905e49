"""Municipi and NIL: names for filters and polygons for maps."""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from dashboards.cache import memoize
from dashboards.queries.common import fetch


@memoize
def municipi() -> pl.DataFrame:
    return fetch("SELECT municipio_id, name, centroid_lon, centroid_lat FROM mart.geo_municipi "
                 "ORDER BY municipio_id")


@memoize
def nil_names(municipio_id: int | None = None) -> pl.DataFrame:
    """NIL ids and names, optionally of one municipio (for the NIL filter)."""
    return fetch("SELECT nil_id, name, municipio_id FROM mart.geo_nil "
                 "WHERE ? IS NULL OR municipio_id = ? ORDER BY name",
                 [municipio_id, municipio_id])


@memoize
def nil_ids() -> tuple[int, ...]:
    return tuple(fetch("SELECT nil_id FROM mart.geo_nil ORDER BY 1")["nil_id"].to_list())


@memoize
def nil_features(municipio_id: int | None = None) -> dict[str, Any]:
    """NIL polygons as a GeoJSON FeatureCollection (properties: nil_id, name, municipio)."""
    frame = fetch("SELECT nil_id, name, municipio_id, geometry FROM mart.geo_nil "
                  "WHERE ? IS NULL OR municipio_id = ? ORDER BY nil_id",
                  [municipio_id, municipio_id])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": orjson.loads(row["geometry"]),
         "properties": {"nil_id": row["nil_id"], "name": row["name"],
                        "municipio_id": row["municipio_id"]}}
        for row in frame.iter_rows(named=True)]}


@memoize
def city_bounds() -> list[list[float]]:
    """[[south, west], [north, east]] of all NIL centroids, padded: the maps' extent."""
    row = fetch("SELECT min(centroid_lat) AS s, min(centroid_lon) AS w, "
                "max(centroid_lat) AS n, max(centroid_lon) AS e FROM mart.geo_nil").row(0)
    pad = 0.01
    return [[row[0] - pad, row[1] - pad], [row[2] + pad, row[3] + pad]]
