"""Geography: the 9 municipi and 88 NIL with polygons and centroids.

The landing geography is either the schematic demo map or the real portal polygons
(``ponmetro portal nil|municipi``, or ``ponmetro build --geography/--municipi``). The
two are never mixed: real NIL need real municipi, taken from the municipi file or,
when the NIL file names each NIL's municipio, dissolved from the NIL themselves.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl
import shapely
from shapely.geometry import mapping, shape

from etl.catalog import Col, Dataset
from etl.contracts import Column, Contract
from etl.domains.geography.index import point_index  # noqa: F401 (used by the build)
from etl.geo import centroid_and_area
from etl.marts import Mart, create
from etl.validate import LandingError

NIL_PATH = "geography/nil.geojson"
MUNICIPI_PATH = "geography/municipi.geojson"
SOURCE = "Comune di Milano open-data portal (ds964 NIL, municipi), or the schematic demo"

CONTRACTS = (
    Contract(
        name="geo_nil",
        path=NIL_PATH,
        format="geojson",
        geometry_types=("Polygon", "MultiPolygon"),
        description="NIL (Nuclei di Identità Locale) boundaries, portal dataset ds964 shape.",
        source=SOURCE,
        columns=(
            Column("ID_NIL", "int", "NIL number", unique=True, min=1, max=999),
            Column("NIL", "str", "NIL name (upper case in the portal file)"),
            Column("MUNICIPIO", "int", "Municipio number; absent in the portal file, "
                   "then the municipio covering most of the NIL's area",
                   required=False, nullable=True, min=1, max=9),
            Column("Fonte", "str", "Source note", required=False, nullable=True),
        ),
        notes=("WGS84 lon/lat (EPSG:4326 or CRS84); other CRS declarations are rejected.",),
    ),
    Contract(
        name="geo_municipi",
        path=MUNICIPI_PATH,
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
    ctx.write_json(NIL_PATH, geo.nil_feature_collection(),
                   source="schematic demo geography", rows=len(geo.cells))
    ctx.write_json(MUNICIPI_PATH, geo.municipi_feature_collection(),
                   source="schematic demo geography", rows=9)


def _with_shape_facts(frame: pl.DataFrame) -> pl.DataFrame:
    facts = [centroid_and_area(g) for g in frame["geometry"]]
    return frame.with_columns(
        pl.Series("centroid_lon", [f[0] for f in facts], dtype=pl.Float64),
        pl.Series("centroid_lat", [f[1] for f in facts], dtype=pl.Float64),
        pl.Series("area_m2", [round(f[2]) for f in facts], dtype=pl.Int64),
    )


def _main_municipio(nil_geometries: pl.Series, municipi: pl.DataFrame) -> list[int | None]:
    """The municipio holding the largest share of each NIL's area.

    The 2020 NIL boundaries do not nest inside the 2016 municipi: some NIL straddle two.
    A NIL's ``municipio_id`` is the municipio covering most of it; points themselves are
    placed by containment, so a record's municipio is only as exact as this choice.
    """
    polygons = [shape(json.loads(g)) for g in municipi["geometry"]]
    ids = municipi["municipio_id"].to_list()
    tree = shapely.STRtree(polygons)
    out: list[int | None] = []
    for text in nil_geometries:
        nil = shape(json.loads(text))
        best, best_area = None, 0.0
        for index in tree.query(nil, predicate="intersects"):
            area = nil.intersection(polygons[int(index)]).area
            if area > best_area:
                best, best_area = ids[int(index)], area
        out.append(best)
    return out


def _dissolve(nil: pl.DataFrame) -> pl.DataFrame:
    """Municipi polygons as the union of their NIL (when the NIL file names its municipio)."""
    rows = []
    for (mun,), group in nil.group_by(["municipio_id"], maintain_order=True):
        union = shapely.union_all([shape(json.loads(g)) for g in group["geometry"]])
        rows.append({"municipio_id": mun, "name": f"Municipio {mun}",
                     "source": "union of the NIL polygons of this municipio",
                     "geometry": json.dumps(mapping(union), separators=(",", ":"))})
    return pl.DataFrame(rows).sort("municipio_id")


def _source(ctx, relpath: str) -> str:
    """Provenance for rows whose file has no ``Fonte``: the manifest entry, else the portal."""
    entry = ctx.manifest.get("files", {}).get(relpath, {})
    return str(entry.get("source") or "Comune di Milano open-data portal, CC BY 4.0")


def _geography_error(ctx, message: str) -> LandingError:
    nil_file = ctx.landing / "geography/nil.geojson"
    return LandingError(nil_file, message)


MARTS = (
    Mart("geo_nil", "NIL polygons with municipio (the one covering most of the NIL when the "
         "file names none), centroid and area.", """
        SELECT nil_id, name, municipio_id, source, geometry, centroid_lon, centroid_lat,
               area_m2, is_schematic
        FROM _nil ORDER BY nil_id""",
        dataset=Dataset(
            id="nil", theme="REGI", frequency="IRREG",
            title_it="Nuclei di Identità Locale (NIL)",
            title_en="Local identity units (NIL)",
            description_it="Gli 88 NIL di Milano con confine, centroide, superficie e municipio.",
            description_en="Milan's 88 local identity units with boundary, centroid, area and "
                           "municipio.",
            keywords=("nil", "quartieri", "confini", "geografia"),
            columns=("nil_id", "name", "municipio_id",
                     Col("source", "Fonte del confine", "Boundary source"),
                     "centroid_lon", "centroid_lat", "area_m2", "geometry",
                     Col("is_schematic", "Vero se il confine è schematico (dati demo)",
                         "True when the boundary is schematic (demo data)")),
            order_by=("nil_id",), geometry="geometry")),
    Mart("geo_municipi", "Municipi polygons (from the municipi file, or dissolved from the NIL) "
         "with centroid and area.", """
        SELECT municipio_id, name, source, geometry, centroid_lon, centroid_lat, area_m2,
               is_schematic
        FROM _municipi ORDER BY municipio_id""",
        dataset=Dataset(
            id="municipi", theme="REGI",
            frequency="IRREG",
            title_it="Municipi", title_en="Municipi (city districts)",
            description_it="I 9 municipi di Milano con confine, centroide e superficie.",
            description_en="Milan's 9 municipi (districts) with boundary, centroid and area.",
            keywords=("municipi", "confini", "geografia"),
            columns=("municipio_id", "name",
                     Col("source", "Fonte del confine", "Boundary source"),
                     "centroid_lon", "centroid_lat", "area_m2", "geometry",
                     Col("is_schematic", "Vero se il confine è schematico (dati demo)",
                         "True when the boundary is schematic (demo data)")),
            order_by=("municipio_id",), geometry="geometry")),
)


def build_marts(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Validate the pairing of NIL and municipi, compute polygon facts, build ``MARTS``."""
    nil_schematic = ctx.is_synthetic(NIL_PATH)
    municipi_schematic = ctx.is_synthetic(MUNICIPI_PATH)
    municipi = con.sql(
        "SELECT MUNICIPIO AS municipio_id, 'Municipio ' || MUNICIPIO AS name, "
        "coalesce(Fonte, $source) AS source, geometry FROM staging.geo_municipi ORDER BY 1",
        params={"source": _source(ctx, MUNICIPI_PATH)}).pl()
    nil = con.sql(
        "SELECT ID_NIL AS nil_id, NIL AS name, MUNICIPIO AS municipio_id, "
        "coalesce(Fonte, $source) AS source, geometry FROM staging.geo_nil ORDER BY 1",
        params={"source": _source(ctx, NIL_PATH)}).pl()
    names_municipio = nil["municipio_id"].null_count() == 0
    if nil_schematic and not municipi_schematic:
        raise _geography_error(ctx, "real municipi with the schematic demo NIL: give the real "
                               "NIL GeoJSON too (--geography FILE)")
    if not nil_schematic and municipi_schematic:
        if not names_municipio:
            raise _geography_error(ctx, "the real NIL polygons carry no MUNICIPIO and the "
                                   "municipi in the landing folder are schematic: give the "
                                   "real municipi too (--municipi FILE, or `ponmetro portal "
                                   "municipi`)")
        municipi = _dissolve(nil)
        municipi_schematic = False
    if not names_municipio:
        derived = pl.Series("derived", _main_municipio(nil["geometry"], municipi),
                            dtype=pl.Int64)
        nil = nil.with_columns(pl.coalesce(pl.col("municipio_id"), derived)
                               .alias("municipio_id"))
    # The polygon work (shapely) above has no SQL form; its results are the marts' input.
    con.register("_municipi", _with_shape_facts(municipi).with_columns(
        pl.lit(municipi_schematic).alias("is_schematic")).to_arrow())
    con.register("_nil", _with_shape_facts(nil).with_columns(
        pl.lit(nil_schematic).alias("is_schematic")).to_arrow())
    try:
        create(con, ctx, MARTS)
    finally:
        con.unregister("_municipi")
        con.unregister("_nil")
