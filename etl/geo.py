"""Point-in-polygon assignment of located records to NIL and municipio.

The warehouse never trusts a NIL code carried by a source: every located row is
placed by containment in the geography of the current build, so swapping the
schematic demo geography for the real portal polygons re-places everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
import shapely
from shapely.geometry import shape

#: cells of the placement grid along each axis at the first level, and how many times
#: a cell that a border crosses is halved; the finest grid is BASE_CELLS * 2**LEVELS
#: cells a side (2,048: about 8 m on the Milan bounds), small enough that few points
#: fall in a cell some border crosses (measured in bench/placement.py)
BASE_CELLS = 16
LEVELS = 7
MIXED = -2  # a grid cell that a border crosses: its points take the exact path
#: a geography builds its grid once it has this many points to place; fewer are placed
#: faster by the exact path alone than by building a grid (same answers either way)
GRID_AFTER = 50_000


@dataclass
class PlacementGrid:
    """A raster over the polygons' bounds: each cell holds the polygon whose interior
    wholly contains it, -1 if it touches no polygon, or MIXED.

    A cell is classified on its box widened by ``pad`` (far more than the rounding of
    binning), so a point binned into a cell, even one on a cell edge, is inside that
    widened box: inside exactly one polygon's interior (no border, no tie), or in none.
    """

    x0: float
    y0: float
    x1: float
    y1: float
    cells: np.ndarray  # (ny, nx) int32

    @classmethod
    def build(cls, polygons: np.ndarray, tree: shapely.STRtree) -> PlacementGrid:
        x0, y0, x1, y1 = shapely.total_bounds(polygons)
        pad = 1e-9 * max(x1 - x0, y1 - y0, 1e-9)
        x1, y1 = max(x1, x0 + pad), max(y1, y0 + pad)  # a grid of some width
        side = BASE_CELLS * 2**LEVELS
        cells = np.full((side, side), MIXED, dtype=np.int32)
        shapely.prepare(polygons)
        # candidate cells of the current level: (row, col), each 2**depth fine cells a side
        rows, cols = np.divmod(np.arange(BASE_CELLS**2), BASE_CELLS)
        for depth in range(LEVELS, -1, -1):
            size = 2**depth
            n = side // size
            dx, dy = (x1 - x0) / n, (y1 - y0) / n
            boxes = shapely.box(x0 + cols * dx - pad, y0 + rows * dy - pad,
                                x0 + (cols + 1) * dx + pad, y0 + (rows + 1) * dy + pad)
            box_i, poly_i = tree.query(boxes)  # bounding-box candidates
            hit = shapely.intersects(polygons[poly_i], boxes[box_i])
            box_i, poly_i = box_i[hit], poly_i[hit]
            touching = np.bincount(box_i, minlength=len(boxes))
            inside = np.full(len(boxes), False)
            one = touching[box_i] == 1
            inside[box_i[one]] = shapely.contains_properly(polygons[poly_i[one]],
                                                           boxes[box_i[one]])
            owner = np.full(len(boxes), -1, dtype=np.int32)
            owner[box_i[one]] = poly_i[one]
            settled = (touching == 0) | inside
            level = np.full((n, n), MIXED, dtype=np.int32)
            level[rows[settled], cols[settled]] = owner[settled]
            level = level.repeat(size, axis=0).repeat(size, axis=1)
            np.copyto(cells, level, where=level != MIXED)
            if depth == 0:
                break
            # split the cells a border crosses into 2 x 2 for the next level
            r, c = rows[~settled] * 2, cols[~settled] * 2
            rows = np.concatenate([r, r, r + 1, r + 1])
            cols = np.concatenate([c, c + 1, c, c + 1])
        return cls(x0, y0, x1, y1, cells)

    def lookup(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Cell value per finite point: polygon index, -1 (outside) or MIXED."""
        out = np.full(lon.shape, -1, dtype=np.int32)
        inb = (lon >= self.x0) & (lon <= self.x1) & (lat >= self.y0) & (lat <= self.y1)
        ny, nx = self.cells.shape
        # lon >= x0 makes the difference >= 0, so the cast floors; x1 itself is clipped
        col = np.minimum(((lon[inb] - self.x0) * (nx / (self.x1 - self.x0))).astype(np.int64),
                         nx - 1)
        row = np.minimum(((lat[inb] - self.y0) * (ny / (self.y1 - self.y0))).astype(np.int64),
                         ny - 1)
        out[inb] = self.cells[row, col]
        return out


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
        self.placed_points = 0  # points placed, and those that needed the exact path
        self.exact_points = 0

    @cached_property
    def grid(self) -> PlacementGrid:
        """Built on first use (a fraction of a second), once per geography."""
        return PlacementGrid.build(self.polygons, self._tree)

    def exact_polygon_of(self, lon, lat) -> np.ndarray:
        """Index of the polygon containing each point (-1: none) by querying the tree."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        found = np.full(lon.shape, -1, dtype=np.int64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        points = shapely.points(lon[ok], lat[ok])
        point_idx, poly_idx = self._tree.query(points, predicate="intersects")
        # a point on a shared border belongs to the first polygon found
        first = np.unique(point_idx, return_index=True)[1]
        found[np.flatnonzero(ok)[point_idx[first]]] = poly_idx[first]
        return found

    def polygon_of(self, lon, lat) -> np.ndarray:
        """As :meth:`exact_polygon_of`, through the grid (once GRID_AFTER points have come):
        only points in cells a border crosses are queried, the same answers for less."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        found = np.full(lon.shape, -1, dtype=np.int64)
        self.placed_points += len(lon)
        if self.placed_points < GRID_AFTER and "grid" not in self.__dict__:
            self.exact_points += len(lon)
            return self.exact_polygon_of(lon, lat)
        ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if not len(self.polygons):
            return found
        cell = self.grid.lookup(lon[ok], lat[ok])
        found[ok] = cell
        mixed = ok[cell == MIXED]
        found[mixed] = self.exact_polygon_of(lon[mixed], lat[mixed])
        self.exact_points += len(mixed)
        return found

    def nil_of(self, lon, lat) -> np.ndarray:
        """NIL id per point; -1 where a point is in no NIL."""
        return _ids(self.nil_ids, self.polygon_of(lon, lat))

    def municipio_of(self, lon, lat) -> np.ndarray:
        """Municipio id per point (that of its NIL here); -1 outside the city."""
        return _ids(self.municipio_ids, self.polygon_of(lon, lat))

    def assign(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Return (nil_id, municipio_id) per point; -1 where a point is in no NIL."""
        found = self.polygon_of(lon, lat)
        return _ids(self.nil_ids, found), _ids(self.municipio_ids, found)

    def with_areas(self, frame: pl.DataFrame, lon: str = "lon", lat: str = "lat") -> pl.DataFrame:
        """Add ``nil_id`` and ``municipio_id`` columns (null outside the city)."""
        nil, mun = self.assign(frame[lon].to_numpy(), frame[lat].to_numpy())
        return frame.with_columns(
            pl.Series("nil_id", nil).replace(-1, None).cast(pl.Int64),
            pl.Series("municipio_id", mun).replace(-1, None).cast(pl.Int64),
        )


def _ids(ids: np.ndarray, found: np.ndarray) -> np.ndarray:
    out = np.full(found.shape, -1, dtype=np.int64)
    placed = found >= 0
    out[placed] = ids[found[placed]]
    return out


def centroid_and_area(geometry_json: str) -> tuple[float, float, float]:
    """Centroid lon/lat and an approximate area in m2 of a WGS84 polygon."""
    geom = shape(json.loads(geometry_json))
    c = geom.centroid
    k_lat = 111_320.0
    k_lon = k_lat * np.cos(np.radians(c.y))
    return c.x, c.y, float(geom.area * k_lat * k_lon)
