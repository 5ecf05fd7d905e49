"""End to end: real geography and real stations fetched over HTTP into a demo landing
folder, one build, then the /mobility and /housing pages served by gunicorn draw the
real NIL shapes and the stations sit in the NIL of the reference spatial join."""

from __future__ import annotations

import json
import shutil

import duckdb
import polars as pl
import pytest
import requests
from click.testing import CliRunner

from etl.connectors.cli import portal
from tests.conftest import Server

REFERENCE = "bikemi_stations/bikemi-stalls-with_nils.csv"


@pytest.fixture(scope="module")
def mixed_warehouse(demo_landing, http_server, realdata, tmp_path_factory):
    """Demo landing + real NIL, municipi (resolved via package_show) and ds65 stations."""
    from etl.build import build

    landing = tmp_path_factory.mktemp("mixed") / "landing"
    shutil.copytree(demo_landing, landing)
    runner = CliRunner()
    for args in (["nil", "--portal", http_server.base],
                 ["municipi", "--portal", http_server.base],
                 ["stations",
                  f"{http_server.base}/realdata/bikemi_stations/bikemi-stalls.geo.json"]):
        result = runner.invoke(portal, [*args, "--out", str(landing)])
        assert result.exit_code == 0, result.output
    warehouse = landing.parent / "warehouse.duckdb"
    build(landing, warehouse, progress=False)
    return warehouse


def _sql(warehouse, query: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(query).pl()


def test_build_records_real_geography_and_keeps_the_demo_label(mixed_warehouse):
    build = _sql(mixed_warehouse, "SELECT * FROM meta.build").row(0, named=True)
    assert build["geography"] == "real" and build["is_demo"] is True
    nil = _sql(mixed_warehouse, "SELECT nil_id, is_schematic, municipio_id FROM mart.geo_nil")
    assert nil.height == 88 and not nil["is_schematic"].any()
    assert nil["municipio_id"].null_count() == 0
    sources = _sql(mixed_warehouse, "SELECT relpath, synthetic, source FROM meta.sources")
    real = dict(zip(sources["relpath"], ~sources["synthetic"], strict=True))
    assert real["geography/nil.geojson"] and real["geography/municipi.geojson"]
    assert real["mobility/station_information.csv"]
    assert not real["mobility/station_programme.csv"]  # demo, redrawn over real stations
    assert sources.filter(pl.col("relpath") == "geography/nil.geojson")["source"][0] \
        .endswith("Comune di Milano, CC BY 4.0")


def test_real_stations_land_in_the_reference_nil(mixed_warehouse, realdata):
    stations = _sql(mixed_warehouse, "SELECT station_id, nil_id FROM mart.mobility_bike_stations")
    reference = pl.read_csv(realdata / REFERENCE,
                            schema_overrides={"numero_stazione": pl.String})
    both = stations.join(reference, left_on="station_id", right_on="numero_stazione")
    assert both.height == 281  # every reference station is in the portal list
    assert (both["nil_id"] == both["id_nil"]).all()


def _find_polygons(node) -> dict | None:
    """The FeatureCollection a page hands to its map's NIL layer."""
    if isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else None
        if props and str(props.get("id", "")).endswith("-map-polygons"):
            return props.get("data")
        for value in node.values():
            found = _find_polygons(value)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find_polygons(value)
            if found:
                return found
    return None


def _page_layout(base: str, path: str) -> dict:
    """What the browser receives for a page: the Dash pages callback output."""
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"},
                        {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}
    response = requests.post(f"{base}/_dash-update-component", json=body, timeout=120)
    assert response.status_code == 200, response.text[:300]
    return response.json()


@pytest.fixture(scope="module")
def served(mixed_warehouse, tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    server = Server(mixed_warehouse, workers=1, log=log,
                    env={"PONMETRO_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))})
    server.start(timeout=180)  # a loaded 2-core box can take a while to import the app
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/mobility", "/housing"])
def test_maps_draw_the_real_nil_shapes(served, realdata, path):
    assert requests.get(served + path, timeout=60).status_code == 200
    polygons = _find_polygons(_page_layout(served, path))
    assert polygons is not None, f"{path}: no NIL layer in the page"
    real = json.loads((realdata / "nil/administrative-nil.geo.json").read_text("utf-8"))
    real_rings = sorted(json.dumps(f["geometry"]["coordinates"][0][:3])
                        for f in real["features"])
    drawn_rings = sorted(json.dumps(f["geometry"]["coordinates"][0][:3])
                         for f in polygons["features"])
    assert len(polygons["features"]) == 88
    assert drawn_rings == real_rings
