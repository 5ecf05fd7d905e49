"""Point-in-polygon assignment of located records to NIL and municipio.

The warehouse never trusts a NIL code carried by a source: every located row is
placed by containment in the geography of the current build, so swapping the
schematic demo geography for the real portal polygons re-places everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely
from shapely.geometry import shape


@dataclass
class Geography:
    """NIL polygons with their municipio, indexed for fast containment queries."""

    nil_ids: np.ndarray
    municipio_ids: np.ndarray
    polygons: np.ndarray  # shapely geometries, aligned with nil_ids

    @classmethod
    def from_frame(cls, nil: pl.DataFrame) -> Geography:
        """Build from a frame with ``nil_id``, ``municipio_id`` and GeoJSON ``geometry``."""
        polygons = np.array([shape(json.loads(g)) for g in nil["geometry"]], dtype=object)
        return cls(nil["nil_id"].to_numpy(), nil["municipio_id"].to_numpy(), polygons)

    def __post_init__(self) -> None:
        self._tree = shapely.STRtree(self.polygons)

    def assign(self, lon: np.ndarray | pl.Series, lat: np.ndarray | pl.Series
               ) -> tuple[np.ndarray, np.ndarray]:
        """Return (nil_id, municipio_id) per point; -1 where a point is in no NIL."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        nil = np.full(lon.shape, -1, dtype=np.int64)
        mun = np.full(lon.shape, -1, dtype=np.int64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        points = shapely.points(lon[ok], lat[ok])
        point_idx, poly_idx = self._tree.query(points, predicate="intersects")
        # a point on a shared border belongs to the first polygon found
        first = np.unique(point_idx, return_index=True)[1]
        rows = np.flatnonzero(ok)[point_idx[first]]
        nil[rows] = self.nil_ids[poly_idx[first]]
        mun[rows] = self.municipio_ids[poly_idx[first]]
        return nil, mun

    def with_areas(self, frame: pl.DataFrame, lon: str = "lon", lat: str = "lat") -> pl.DataFrame:
        """Add ``nil_id`` and ``municipio_id`` columns (null outside the city)."""
        nil, mun = self.assign(frame[lon].to_numpy(), frame[lat].to_numpy())
        return frame.with_columns(
            pl.Series("nil_id", nil).replace(-1, None).cast(pl.Int64),
            pl.Series("municipio_id", mun).replace(-1, None).cast(pl.Int64),
        )


def centroid_and_area(geometry_json: str) -> tuple[float, float, float]:
    """Centroid lon/lat and an approximate area in m2 of a WGS84 polygon."""
    geom = shape(json.loads(geometry_json))
    c = geom.centroid
    k_lat = 111_320.0
    k_lon = k_lat * np.cos(np.radians(c.y))
    return c.x, c.y, float(geom.area * k_lat * k_lon)
