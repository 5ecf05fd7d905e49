"""The geography domain with real portal polygons: municipi are never schematic when the
NIL are real, every NIL gets a municipio, and points are placed by containment.

These run the domain's ``build_marts`` on a fresh DuckDB with only the two geography
staging tables, so each case costs milliseconds; the full build is in the end-to-end test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl.build import BuildContext
from etl.domains import geography
from etl.geo import Geography
from etl.validate import LandingError, read_landing

NIL = "nil/administrative-nil.geo.json"
MUNICIPI = "municipi/administrative-municipi.geo.json"
REFERENCE = "bikemi_stations/bikemi-stalls-with_nils.csv"


def build_geography(landing: Path, nil: Path, municipi: Path, synthetic: set[str]):
    """Stage two geography files and run the domain transform; return (nil, municipi)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA mart")
    for contract, path in zip(geography.CONTRACTS, (nil, municipi), strict=True):
        frame = read_landing(contract, path)
        con.register("_f", frame.to_arrow())
        con.execute(f"CREATE TABLE staging.{contract.name} AS SELECT * FROM _f")
        con.unregister("_f")
    manifest = {"files": {rel: {"synthetic": True, "source": "schematic demo geography"}
                          for rel in synthetic}}
    ctx = BuildContext(landing=landing, build_id="t", built_at=datetime.now(UTC),
                       manifest=manifest)
    geography.build_marts(con, ctx)
    return (con.sql("SELECT * FROM mart.geo_nil ORDER BY nil_id").pl(),
            con.sql("SELECT * FROM mart.geo_municipi ORDER BY municipio_id").pl())


@pytest.fixture(scope="module")
def schematic(tmp_path_factory) -> Path:
    from etl.demo import DemoContext

    out = tmp_path_factory.mktemp("schematic")
    geography.generate(DemoContext(out=out))
    return out / "geography"


@pytest.fixture(scope="module")
def real_marts(realdata, tmp_path_factory):
    return build_geography(tmp_path_factory.mktemp("l"), realdata / NIL, realdata / MUNICIPI,
                           synthetic=set())


def test_real_nil_and_municipi_are_flagged_real(real_marts):
    nil, municipi = real_marts
    assert nil.height == 88 and nil["nil_id"].to_list() == list(range(1, 89))
    assert municipi["municipio_id"].to_list() == list(range(1, 10))
    assert not nil["is_schematic"].any() and not municipi["is_schematic"].any()
    assert nil["municipio_id"].null_count() == 0
    assert set(nil["municipio_id"]) == set(range(1, 10))


def test_nil_municipio_is_the_one_covering_most_of_it(real_marts, realdata):
    """The 2020 NIL straddle the 2016 municipi; the biggest overlap decides."""
    from shapely.geometry import shape

    nil, municipi = real_marts
    polygons = {r["municipio_id"]: shape(json.loads(r["geometry"]))
                for r in municipi.iter_rows(named=True)}
    for row in nil.iter_rows(named=True):
        poly = shape(json.loads(row["geometry"]))
        shares = {m: poly.intersection(p).area for m, p in polygons.items()}
        assert row["municipio_id"] == max(shares, key=shares.get)


def test_points_placed_like_the_reference_join(real_marts, realdata):
    """Stations of the reference spatial join land in the same NIL and municipio."""
    nil, municipi = real_marts
    reference = pl.read_csv(realdata / REFERENCE)
    by_nil = Geography.from_frame(nil.select("nil_id", "municipio_id", "geometry"))
    by_municipio = Geography.from_frame(municipi.select(
        pl.col("municipio_id").alias("nil_id"), "municipio_id", "geometry"))
    nil_ids, _ = by_nil.assign(reference["longitudine"], reference["latitudine"])
    mun_ids, _ = by_municipio.assign(reference["longitudine"], reference["latitudine"])
    assert (nil_ids == reference["id_nil"].to_numpy()).all()
    assert (mun_ids == reference["municipio"].to_numpy()).all()


def test_points_outside_every_polygon_get_null(real_marts):
    nil, _ = real_marts
    geo = Geography.from_frame(nil.select("nil_id", "municipio_id", "geometry"))
    placed = geo.with_areas(pl.DataFrame({"lon": [12.4964, 9.19, None],
                                          "lat": [41.9028, 45.4642, 45.46]}))
    assert placed["nil_id"].to_list()[0] is None and placed["nil_id"][1] == 1
    assert placed["nil_id"][2] is None and placed["municipio_id"][0] is None


def test_real_nil_without_municipio_and_schematic_municipi_is_refused(realdata, schematic,
                                                                        tmp_path):
    with pytest.raises(LandingError, match=r"carry no MUNICIPIO .* \(--municipi FILE"):
        build_geography(tmp_path, realdata / NIL, schematic / "municipi.geojson",
                        synthetic={"geography/municipi.geojson"})


def test_schematic_nil_with_real_municipi_is_refused(realdata, schematic, tmp_path):
    with pytest.raises(LandingError, match="real municipi with the schematic demo NIL"):
        build_geography(tmp_path, schematic / "nil.geojson", realdata / MUNICIPI,
                        synthetic={"geography/nil.geojson"})


def test_municipi_dissolved_from_nil_that_name_their_municipio(realdata, real_marts,
                                                                schematic, tmp_path):
    """A NIL file with MUNICIPIO needs no municipi file: the NIL union replaces the
    schematic municipi, flagged real."""
    nil, _ = real_marts
    main = dict(zip(nil["nil_id"], nil["municipio_id"], strict=True))
    doc = json.loads((realdata / NIL).read_text("utf-8"))
    for feature in doc["features"]:
        feature["properties"]["MUNICIPIO"] = main[feature["properties"]["ID_NIL"]]
    path = tmp_path / "nil-with-municipio.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    nil2, municipi = build_geography(tmp_path, path, schematic / "municipi.geojson",
                                     synthetic={"geography/municipi.geojson"})
    assert municipi.height == 9 and not municipi["is_schematic"].any()
    assert municipi["source"].str.contains("union of the NIL").all()
    assert nil2["area_m2"].sum() == pytest.approx(municipi["area_m2"].sum(), rel=1e-3)


def test_schematic_demo_geography_stays_flagged_schematic(schematic, tmp_path):
    nil, municipi = build_geography(tmp_path, schematic / "nil.geojson",
                                    schematic / "municipi.geojson",
                                    synthetic={"geography/nil.geojson",
                                               "geography/municipi.geojson"})
    assert nil["is_schematic"].all() and municipi["is_schematic"].all()
    assert nil.height == 88 and nil["municipio_id"].null_count() == 0


def test_ds65_connector_output_lands_in_the_reference_nil(real_marts, realdata, tmp_path):
    """The portal station list, as the connector writes it, placed in the real NIL."""
    from etl.connectors.portal import import_bike_stations

    path, _, _ = import_bike_stations(tmp_path, str(realdata / "bikemi_stations/"
                                                    "bikemi_stalls.csv"))
    stations = pl.read_csv(path, schema_overrides={"station_id": pl.String})
    nil, _ = real_marts
    placed = Geography.from_frame(nil.select("nil_id", "municipio_id", "geometry")) \
        .with_areas(stations)
    reference = pl.read_csv(realdata / REFERENCE, schema_overrides={"numero_stazione": pl.String})
    both = placed.join(reference, left_on="station_id", right_on="numero_stazione")
    assert both.height == 281
    assert (both["nil_id"] == both["id_nil"]).all()


def test_point_index_places_municipio_by_municipi_containment(real_marts, realdata):
    """``point_index`` (for the build) gets the reference municipio for every station,
    including those in NIL that straddle two municipi."""
    from etl.domains.geography import point_index

    nil, municipi = real_marts
    con = duckdb.connect()
    con.execute("CREATE SCHEMA mart")
    for name, frame in (("geo_nil", nil), ("geo_municipi", municipi)):
        con.register("_f", frame.to_arrow())
        con.execute(f"CREATE TABLE mart.{name} AS SELECT * FROM _f")
        con.unregister("_f")
    reference = pl.read_csv(realdata / REFERENCE)
    placed = point_index(con).with_areas(reference, lon="longitudine", lat="latitudine")
    assert (placed["nil_id"] == placed["id_nil"]).all()
    assert (placed["municipio_id"] == placed["municipio"]).all()
    via_nil = Geography.from_frame(nil.select("nil_id", "municipio_id", "geometry")) \
        .with_areas(reference, lon="longitudine", lat="latitudine")
    assert (via_nil["municipio_id"] == via_nil["municipio"]).sum() == 247  # the old way
