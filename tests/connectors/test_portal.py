"""City open-data portal connector on the real recorded portal files (ds964, municipi,
ds65, ds503, ds616), read from disk and downloaded from a local HTTP server."""

from __future__ import annotations

import json

import polars as pl
import pytest

from etl.connectors import portal
from etl.connectors.errors import ConnectorError
from etl.connectors.fetch import fetch_bytes, fetch_json
from etl.connectors.located import read_located
from etl.validate import LandingError

NIL = "nil/administrative-nil.geo.json"
MUNICIPI = "municipi/administrative-municipi.geo.json"


def _features(path):
    return json.loads(path.read_text("utf-8"))["features"]


def test_real_nil_lands_88_polygons_with_ids_1_to_88(realdata, landing):
    path = portal.import_nil(landing, str(realdata / NIL))
    features = _features(path)
    assert sorted(f["properties"]["ID_NIL"] for f in features) == list(range(1, 89))
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert all("MUNICIPIO" not in f["properties"] for f in features)  # not in the portal file
    entry = json.loads((landing / "manifest.json").read_text())["files"]["geography/nil.geojson"]
    assert entry["synthetic"] is False and "CC BY 4.0" in entry["source"]
    assert entry["rows"] == 88


def test_real_municipi_lands_9_polygons(realdata, landing):
    path = portal.import_municipi(landing, str(realdata / MUNICIPI))
    assert [f["properties"]["MUNICIPIO"] for f in _features(path)] == list(range(1, 10))


def test_download_by_url_and_by_package_show_give_the_same_file(realdata, http_server,
                                                                  tmp_path):
    by_file = portal.import_nil(tmp_path / "a", str(realdata / NIL)).read_bytes()
    by_url = portal.import_nil(tmp_path / "b", f"{http_server.base}/realdata/{NIL}")
    by_ckan = portal.import_nil(tmp_path / "c", None, portal=http_server.base)
    assert by_url.read_bytes() == by_file == by_ckan.read_bytes()
    assert any(p == "/api/3/action/package_show" for p, _ in http_server.requests)
    # package_show picked the GeoJSON resource, not the centroid-only CSV listed with it
    municipi = portal.import_municipi(tmp_path / "d", None, portal=http_server.base)
    assert len(_features(municipi)) == 9


def test_unknown_dataset_and_http_errors_are_one_line_messages(http_server, tmp_path):
    from etl.connectors.ckan import resource_url

    with pytest.raises(ConnectorError, match="package_show.id=ds999: CKAN error: Not found"):
        resource_url(http_server.base, "ds999", ("GeoJSON",))
    with pytest.raises(ConnectorError, match=r"ds65 on .* has no GeoJSON resource \(formats found: CSV\)"):
        resource_url(http_server.base, "ds65", ("GeoJSON",))
    with pytest.raises(ConnectorError, match="missing-portal/api/3/action/package_show.*not a CKAN API answer"):
        portal.import_nil(tmp_path, None, portal=f"{http_server.base}/missing-portal")
    with pytest.raises(ConnectorError, match="broken.json: invalid JSON at line 1"):
        fetch_json(f"{http_server.base}/broken.json")
    with pytest.raises(ConnectorError, match=r"HTTP 404"):
        portal.import_nil(tmp_path, f"{http_server.base}/realdata/nil/absent.geojson")
    with pytest.raises(ConnectorError, match="cannot connect"):
        fetch_bytes("http://127.0.0.1:9/nothing", timeout=2)
    with pytest.raises(ConnectorError, match="file not found"):
        portal.import_nil(tmp_path, str(tmp_path / "absent.geojson"))


def test_centroid_only_csv_is_refused_with_a_hint(realdata, landing):
    with pytest.raises(LandingError, match=r"row 1: .*centroids only\): use the GeoJSON resource"):
        portal.import_nil(landing, str(realdata / "nil/nil.csv"))


def _mutated(realdata, tmp_path, change) -> str:
    doc = json.loads((realdata / NIL).read_text("utf-8"))
    change(doc)
    path = tmp_path / "nil.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _swap(doc):
    ring = doc["features"][4]["geometry"]["coordinates"][0]
    doc["features"][4]["geometry"]["coordinates"][0] = [[y, x] for x, y in ring]


@pytest.mark.parametrize("change, message", [
    (lambda d: d["crs"]["properties"].update(name="EPSG:32632"), "is not WGS84"),
    (_swap, r"row 5, column 'geometry'.*swapped"),
    (lambda d: d["features"][9]["properties"].update(ID_NIL=3), r"duplicate ID_NIL 3"),
    (lambda d: d["features"][2]["properties"].update(ID_NIL="tre"), r"row 3.*'tre'"),
    (lambda d: d["features"][0]["properties"].pop("NIL"), r"row 1, column 'NIL'"),
    (lambda d: d["features"][0].update(geometry={"type": "Point",
                                                  "coordinates": [9.19, 45.46]}),
     "not a polygon"),
    (lambda d: d["features"].clear(), "no features"),
])
def test_bad_boundary_files_name_the_feature(realdata, tmp_path, change, message):
    with pytest.raises(LandingError, match=message):
        portal.import_nil(tmp_path / "out", _mutated(realdata, tmp_path, change))


def test_bowtie_polygon_is_refused(realdata, tmp_path):
    def bowtie(doc):
        doc["features"][0]["geometry"]["coordinates"] = [[
            [9.18, 45.46], [9.19, 45.47], [9.19, 45.46], [9.18, 45.47], [9.18, 45.46]]]
    with pytest.raises(LandingError, match="row 1.*invalid polygon: Self-intersection"):
        portal.import_nil(tmp_path / "out", _mutated(realdata, tmp_path, bowtie))


def test_boundaries_as_csv_with_a_wkt_column(realdata, tmp_path):
    from shapely.geometry import shape

    rows = [{"MUNICIPIO": f["properties"]["MUNICIPIO"], "WKT": shape(f["geometry"]).wkt}
            for f in _features(realdata / MUNICIPI)]
    path = tmp_path / "municipi.csv"
    pl.DataFrame(rows).write_csv(path, separator=";", line_terminator="\r\n")
    out = portal.import_municipi(tmp_path / "out", str(path))
    assert len(_features(out)) == 9


# ----------------------------------------------------------------- located records


def test_portal_csv_of_located_records(realdata):
    path = realdata / "portal_misc/ds503_aree_edifici_degradati_abbandonati_0_final.csv"
    frame = read_located(path.read_bytes(), str(path))
    assert frame.height == 174
    assert frame["lon"].is_between(9.0, 9.3).all() and frame["lat"].is_between(45.38, 45.55).all()
    # the "(lat, lon)" Location column says the same as LONG_X_4326/LAT_Y_4326
    only_location = frame.drop("LONG_X_4326", "LAT_Y_4326", "lon", "lat")
    again = read_located(only_location.write_csv(separator=";").encode(), "location-only")
    assert (again["lon"] - frame["lon"]).abs().max() < 1e-9
    assert (again["lat"] - frame["lat"]).abs().max() < 1e-9


def test_located_csv_with_geo_x_columns_and_us_dates(realdata):
    path = realdata / ("municipal_property/ds616_aste-di-vendita-immobili-pubblici-nel-"
                       "comune-di-mi_uizd-wnps_final.csv")
    frame = read_located(path.read_bytes(), str(path))
    assert frame.height == 14 and frame["lon"].is_not_null().all()


def test_located_csv_in_latin1_with_crlf():
    text = ("NOME;INDIRIZZO;LONG_X_4326;LAT_Y_4326\r\n"
            "Casa dell'Accoglienza;Via Ortles 69;9,2001;45,4399\r\n"
            "Città Studi;Piazza Leonardo;9.2270;45.4780\r\n")
    frame = read_located(text.encode("cp1252"), "latin1.csv")
    assert frame["NOME"][1] == "Città Studi"
    assert frame["lon"].to_list() == [9.2001, 9.227]


@pytest.mark.parametrize("body, message", [
    ("A;Location\nx;(9.19, 45.46)\n", r"row 2, column 'Location'.*swapped"),
    ("A;Location\nx;(45.46 9.19)\n", r"row 2, column 'Location'.*not a '\(lat, lon\)'"),
    ("A;LONG_X_4326;LAT_Y_4326\nx;9.1;45.4\ny;nord;45.4\n", r"row 3, column 'LONG_X_4326'"),
    ("A;LONG_X_4326;LAT_Y_4326\nx;514000;5034000\n", "projected coordinates"),
    ("A;B\nx;y\n", "no coordinate columns"),
    ("A;LONG_X_4326;LAT_Y_4326\nx;9.1\n", r"row 2.*expected 3 fields"),
])
def test_bad_located_csv_names_row_and_column(body, message):
    with pytest.raises(LandingError, match=message):
        read_located(body.encode(), "bad.csv")


# ---------------------------------------------------------------- bike stations ds65


def test_ds65_csv_and_geojson_land_as_station_information(realdata, tmp_path):
    csv_path, rows, inactive = portal.import_bike_stations(
        tmp_path / "a", str(realdata / "bikemi_stations/bikemi_stalls.csv"))
    _, geo_rows, _ = portal.import_bike_stations(
        tmp_path / "b", str(realdata / "bikemi_stations/bikemi-stalls.geo.json"))
    assert (rows, inactive, geo_rows) == (322, 0, 319)
    frame = pl.read_csv(csv_path, schema_overrides={"station_id": pl.String})
    duomo = frame.filter(pl.col("station_id") == "001").row(0, named=True)
    assert duomo["name"] == "1 - Duomo" and duomo["capacity"] == 24
    assert abs(duomo["lon"] - 9.18914146264192) < 1e-12


def test_ds65_with_quoted_numbers_as_newer_exports(realdata, tmp_path):
    raw = (realdata / "bikemi_stations/bikemi_stalls.csv").read_text("utf-8").splitlines()
    header, rows = raw[0], raw[1:]
    quoted = [";".join(f'"{v}"' if i in (0, 2, 5) else v for i, v in
                       enumerate(r.split(";", 14))) for r in rows]
    path = tmp_path / "ds65.csv"
    path.write_text("\r\n".join([header, *quoted]) + "\r\n", encoding="utf-8")
    _, rows_written, _ = portal.import_bike_stations(tmp_path / "out", str(path))
    assert rows_written == 322


def test_ds65_download_through_package_show(http_server, tmp_path):
    _, rows, _ = portal.import_bike_stations(tmp_path, None, portal=http_server.base)
    assert rows == 322


def test_located_command_places_records_like_the_portal_geocoder(realdata, tmp_path):
    """ds503 carries the portal's own ID_NIL/MUNICIPIO: containment agrees on every row."""
    from click.testing import CliRunner

    from etl.connectors.cli import portal as portal_cli

    source = realdata / "portal_misc/ds503_aree_edifici_degradati_abbandonati_0_final.csv"
    out = tmp_path / "placed.csv"
    result = CliRunner().invoke(portal_cli, [
        "located", str(source), "--to", str(out), "--geography", str(realdata / NIL),
        "--municipi", str(realdata / MUNICIPI)])
    assert result.exit_code == 0, result.output
    assert "wrote 174 records (174 with coordinates)" in result.output
    placed = pl.read_csv(out, infer_schema=False)
    assert (placed["ID_NIL"] == placed["nil_id"]).all()
    assert (placed["MUNICIPIO"] == placed["municipio_id"]).all()
