"""The point index of a build: NIL by containment in the NIL polygons, municipio by
containment in the municipi polygons.

The 2020 NIL boundaries do not nest inside the 2016 municipi, so the municipio of a
point is not always the municipio of its NIL: a station in a NIL that straddles two
municipi belongs to the one it actually stands in. On the real portal polygons this
places all 281 stations of the reference spatial join in their reference municipio,
where going through the NIL gets 247 right.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from etl.geo import Geography


class CityGeography(Geography):
    """A :class:`Geography` whose municipio comes from the municipi polygons."""

    municipi: Geography | None = None

    def municipio_of(self, lon, lat) -> np.ndarray:
        """Municipio id per point, placed in the municipi polygons (not through the NIL)."""
        if self.municipi is None:
            return super().municipio_of(lon, lat)
        return self.municipi.nil_of(lon, lat)

    def assign(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        if self.municipi is None:
            return super().assign(lon, lat)
        return self.nil_of(lon, lat), self.municipio_of(lon, lat)


def point_index(con: duckdb.DuckDBPyConnection) -> Geography:
    """Index ``mart.geo_nil`` and ``mart.geo_municipi`` of the build being written."""
    nil = con.sql("SELECT nil_id, municipio_id, geometry FROM mart.geo_nil ORDER BY nil_id").pl()
    municipi = con.sql("SELECT municipio_id, geometry FROM mart.geo_municipi "
                       "ORDER BY municipio_id").pl()
    index = CityGeography.from_frame(nil)
    index.municipi = Geography.from_frame(municipi.select(
        pl.col("municipio_id").alias("nil_id"), "municipio_id", "geometry"))
    return index
