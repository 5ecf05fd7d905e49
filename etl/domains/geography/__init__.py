"""Geography: the 9 municipi and 88 NIL with polygons and centroids."""

from __future__ import annotations

import duckdb
import polars as pl

from etl.contracts import Column, Contract
from etl.geo import centroid_and_area

SOURCE = "Comune di Milano open-data portal (ds964 NIL, municipi), or the schematic demo"

CONTRACTS = (
    Contract(
        name="geo_nil",
        path="geography/nil.geojson",
        format="geojson",
        geometry_types=("Polygon", "MultiPolygon"),
        description="NIL (Nuclei di Identità Locale) boundaries, portal dataset ds964 shape.",
        source=SOURCE,
        columns=(
            Column("ID_NIL", "int", "NIL number", unique=True, min=1, max=999),
            Column("NIL", "str", "NIL name (upper case in the portal file)"),
            Column("MUNICIPIO", "int", "Municipio number; absent in the portal file, "
                   "then derived by containment in the municipi polygons",
                   required=False, nullable=True, min=1, max=9),
            Column("Fonte", "str", "Source note", required=False, nullable=True),
        ),
        notes=("WGS84 lon/lat (EPSG:4326 or CRS84); other CRS declarations are rejected.",),
    ),
    Contract(
        name="geo_municipi",
        path="geography/municipi.geojson",
        format="geojson",
        geometry_types=("Polygon", "MultiPolygon"),
        description="Municipi boundaries (portal 'Municipi' dataset shape).",
        source=SOURCE,
        columns=(
            Column("MUNICIPIO", "int", "Municipio number", unique=True, min=1, max=9),
            Column("Fonte", "str", "Source note", required=False, nullable=True),
        ),
    ),
)


def generate(ctx) -> None:
    geo = ctx.geography
    ctx.write_json("geography/nil.geojson", geo.nil_feature_collection(),
                   source="schematic demo geography", rows=len(geo.cells))
    ctx.write_json("geography/municipi.geojson", geo.municipi_feature_collection(),
                   source="schematic demo geography", rows=9)


def _with_shape_facts(frame: pl.DataFrame) -> pl.DataFrame:
    facts = [centroid_and_area(g) for g in frame["geometry"]]
    return frame.with_columns(
        pl.Series("centroid_lon", [f[0] for f in facts]),
        pl.Series("centroid_lat", [f[1] for f in facts]),
        pl.Series("area_m2", [round(f[2]) for f in facts]).cast(pl.Int64),
    )


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    municipi = _with_shape_facts(con.sql(
        "SELECT MUNICIPIO AS municipio_id, 'Municipio ' || MUNICIPIO AS name, "
        "Fonte AS source, geometry FROM staging.geo_municipi ORDER BY 1").pl())
    nil = _with_shape_facts(con.sql(
        "SELECT ID_NIL AS nil_id, NIL AS name, MUNICIPIO AS municipio_id, Fonte AS source, "
        "geometry FROM staging.geo_nil ORDER BY 1").pl())
    if nil["municipio_id"].null_count():
        from etl.geo import Geography
        by_municipio = Geography.from_frame(municipi.rename({"municipio_id": "nil_id"})
                                            .with_columns(pl.col("nil_id").alias("municipio_id")))
        _, mun = by_municipio.assign(nil["centroid_lon"], nil["centroid_lat"])
        nil = nil.with_columns(pl.coalesce(pl.col("municipio_id"),
                                           pl.Series(mun).replace(-1, None)).alias("municipio_id"))
    for name, frame in (("municipi", municipi), ("nil", nil)):
        ctx.write_table(con, f"mart.{name}",
                        frame.with_columns(pl.lit(ctx.geography_is_schematic).alias("is_schematic")))
