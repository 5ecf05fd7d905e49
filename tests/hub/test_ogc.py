"""OGC API - Features under /ogc: real clients (OWSLib, GDAL's OAPIF driver) on gunicorn.

Counts, ids, properties and geometries are compared with the GeoJSON downloads,
which read the same published tables.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import requests
from owslib.ogcapi.features import Features
from shapely.geometry import box, shape

LOCATED = ("bike-stations", "cycle-routes", "housing-complexes", "mobility-areas",
           "municipi", "nil", "projects", "social-sites")
MILAN = (9.15, 45.45, 9.20, 45.50)


@pytest.fixture(scope="module")
def ogc(hub) -> Features:
    return Features(f"{hub}/ogc/")


def download(http, hub, dataset_id: str, query: str = "") -> list[dict]:
    resp = http.get(f"{hub}/download/{dataset_id}.geojson{query}", timeout=120)
    assert resp.status_code == 200
    return resp.json()["features"]


def key(ds_meta: dict) -> str:
    return ds_meta["order_by"][0]


def test_collections_are_the_located_published_datasets(ogc, published):
    ids = sorted(c["id"] for c in ogc.collections()["collections"])
    located = sorted(d for d, m in published.items()
                     if m["geometry_column"] or (m["lon_column"] and m["lat_column"]))
    assert ids == located == sorted(LOCATED)
    conformance = ogc.conformance()["conformsTo"]
    for cls in ("core", "geojson", "html", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{cls}" in conformance


@pytest.mark.parametrize("collection", LOCATED)
def test_counts_and_geometries_agree_with_the_download(ogc, http, hub, published, collection):
    page = ogc.collection_items(collection, limit=10000)
    expected = download(http, hub, collection)
    assert page["numberMatched"] == page["numberReturned"] == len(expected)
    fid = key(published[collection])
    by_id = {f["properties"][fid]: f for f in expected}
    for feature in page["features"]:
        twin = by_id[feature["id"]]
        assert feature["geometry"] == twin["geometry"]
        assert feature["properties"] == twin["properties"]
        # nothing beyond the published dictionary
        names = {c["column_name"] for c in published[collection]["columns"]}
        assert set(feature["properties"]) <= names


def test_owslib_pages_through_next_links(ogc, http, hub):
    expected = [f["properties"]["station_id"] for f in download(http, hub, "bike-stations")]
    seen, offset = [], 0
    while True:
        page = ogc.collection_items("bike-stations", limit=70, offset=offset)
        seen += [f["id"] for f in page["features"]]
        rels = {link["rel"]: link["href"] for link in page["links"]}
        assert ("prev" in rels) == (offset > 0)
        if "next" not in rels:
            break
        assert "offset=" in rels["next"] and "limit=70" in rels["next"]
        offset += 70
    assert seen == expected and len(seen) > 70
    # following the server's own next link gives the same second page
    first = ogc.collection_items("bike-stations", limit=70)
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = http.get(nxt, timeout=60).json()
    assert [f["id"] for f in second["features"]] == expected[70:140]


@pytest.mark.parametrize("collection", ["bike-stations", "nil", "cycle-routes"])
def test_owslib_bbox_filter(ogc, http, hub, published, collection):
    area = box(*MILAN)
    fid = key(published[collection])
    expected = {f["properties"][fid] for f in download(http, hub, collection)
                if f["geometry"] and shape(f["geometry"]).intersects(area)}
    page = ogc.collection_items(collection, bbox=list(MILAN), limit=10000)
    assert {f["id"] for f in page["features"]} == expected
    assert page["numberMatched"] == len(expected)
    assert 0 < len(expected) < len(download(http, hub, collection)) or collection == "cycle-routes"


def test_attribute_and_datetime_filters_match_download_filters(http, hub):
    by_attr = http.get(f"{hub}/ogc/collections/projects/items",
                       params={"municipio_id": 3, "limit": 1000}, timeout=60).json()
    assert by_attr["numberMatched"] == len(download(http, hub, "projects", "?municipio_id=3"))
    assert all(f["properties"]["municipio_id"] == 3 for f in by_attr["features"])
    timed = http.get(f"{hub}/ogc/collections/projects/items",
                     params={"datetime": "2018-01-01/2019-12-31", "limit": 1000},
                     timeout=60).json()
    expected = download(http, hub, "projects",
                        "?start_date__gte=2018-01-01&start_date__lte=2019-12-31")
    assert timed["numberMatched"] == len(expected) > 0
    open_end = http.get(f"{hub}/ogc/collections/projects/items",
                        params={"datetime": "2018-01-01T00:00:00Z/..", "limit": 1000},
                        timeout=60).json()
    assert open_end["numberMatched"] == len(download(http, hub, "projects",
                                                     "?start_date__gte=2018-01-01"))


def test_one_feature_and_unknowns(http, hub):
    resp = http.get(f"{hub}/ogc/collections/nil/items/1", timeout=30)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/geo+json"
    assert resp.json()["id"] == 1 and resp.json()["geometry"]["type"] in ("Polygon",
                                                                            "MultiPolygon")
    for path in ("/ogc/collections/nil/items/999999", "/ogc/collections/nil/items/abc",
                 "/ogc/collections/trips-daily", "/ogc/collections/nope/items"):
        resp = http.get(f"{hub}{path}", timeout=30)
        assert resp.status_code == 404, path
        assert resp.json()["code"] == "NotFound"


@pytest.mark.parametrize("query, field", [
    ("bbox=1,2,3", "bbox"), ("bbox=a,b,c,d", "bbox"), ("bbox=9,46,10,45", "bbox"),
    ("bbox=200,45,201,46", "bbox"), ("bbox=nan,45,9,46", "bbox"), ("bbox=inf,1,2,3", "bbox"),
    ("bbox=10,45,9,46", "bbox"), ("bbox=" + ",".join(["1"] * 500), "bbox"),
    ("limit=0", "limit"), ("limit=-5", "limit"), ("limit=10001", "limit"),
    ("limit=1e3", "limit"), ("limit=%00", "limit"), ("limit=99999999999999999999", "limit"),
    ("offset=-1", "offset"), ("datetime=yesterday", "datetime"),
    ("datetime=2020-13-40", "datetime"), ("datetime=../..", "datetime"),
    ("datetime=2021-01-01/2020-01-01", "datetime"), ("datetime=9999-12-31T25:00:00Z", "datetime"),
    ("datetime=" + "2" * 500, "datetime"), ("municipio_id=three", "filters"),
    ("nope=1", "nope"), ("f=xml", "f"),
])
def test_hostile_parameters_are_400_with_a_clear_message(http, hub, query, field):
    resp = http.get(f"{hub}/ogc/collections/projects/items?{query}", timeout=30)
    assert resp.status_code == 400, (query, resp.text[:200])
    body = resp.json()
    assert body["code"] == "InvalidParameterValue"
    assert field in body["description"] and "Traceback" not in body["description"]


def test_datetime_on_a_collection_without_time_is_refused(http, hub):
    resp = http.get(f"{hub}/ogc/collections/nil/items?datetime=2020-01-01", timeout=30)
    assert resp.status_code == 400 and "datetime" in resp.json()["description"]


@pytest.mark.parametrize("path", ["/ogc/", "/ogc/conformance", "/ogc/collections",
                                  "/ogc/collections/nil", "/ogc/collections/nil/items",
                                  "/ogc/collections/nil/items/1"])
def test_html_and_json_by_f_and_by_accept(http, hub, path):
    as_html = http.get(f"{hub}{path}", headers={"Accept": "text/html,*/*;q=0.8"}, timeout=30)
    assert as_html.status_code == 200 and as_html.headers["Content-Type"].startswith("text/html")
    assert '<html lang="it">' in as_html.text and "<h1>" in as_html.text
    assert "http://" not in as_html.text.split("<body>")[0].replace(hub, "")  # no CDN
    english = http.get(f"{hub}{path}?f=html&lang=en", timeout=30)
    assert '<html lang="en">' in english.text
    as_json = http.get(f"{hub}{path}", headers={"Accept": "application/json"}, timeout=30)
    assert as_json.headers["Content-Type"] in ("application/json", "application/geo+json")
    json.loads(as_json.text)
    forced = http.get(f"{hub}{path}?f=json", headers={"Accept": "text/html"}, timeout=30)
    assert forced.headers["Content-Type"] in ("application/json", "application/geo+json")
    assert "Accept" in as_json.headers.get("Vary", "")


def test_landing_page_links_and_openapi30_definition(http, hub):
    from openapi_spec_validator import validate

    landing = http.get(f"{hub}/ogc/", timeout=30).json()
    rels = {link["rel"]: link for link in landing["links"]}
    for rel in ("self", "alternate", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels
    api = http.get(rels["service-desc"]["href"], timeout=60)
    assert api.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json()
    assert doc["openapi"].startswith("3.0")
    validate(doc)
    assert f"/collections/{LOCATED[0]}/items" in doc["paths"]


def ogrinfo() -> str:
    path = shutil.which("ogrinfo")
    if path is None:
        pytest.fail("GDAL's ogrinfo is missing: run `make test-deps` (apt-get install gdal-bin)")
    return path


def test_gdal_oapif_driver_reads_every_collection(hub):
    out = subprocess.run([ogrinfo(), "-ro", "-q", f"OAPIF:{hub}/ogc/"], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    for collection in LOCATED:
        assert f": {collection} (" in out


@pytest.mark.parametrize("collection", ["bike-stations", "nil"])
def test_gdal_counts_and_bbox_agree_with_the_download(http, hub, published, collection):
    full = download(http, hub, collection)
    summary = subprocess.run([ogrinfo(), "-ro", "-so", f"OAPIF:{hub}/ogc/", collection],
                             capture_output=True, text=True, timeout=300, check=True).stdout
    assert f"Feature Count: {len(full)}" in summary
    area = box(*MILAN)
    inside = [f for f in full if shape(f["geometry"]).intersects(area)]
    features = subprocess.run(
        [ogrinfo(), "-ro", "-al", "-q", f"OAPIF:{hub}/ogc/", collection,
         "-spat", *map(str, MILAN)], capture_output=True, text=True, timeout=300,
        check=True).stdout
    assert features.count("OGRFeature(") == len(inside) > 0


def test_missing_warehouse_is_a_503_exception(tmp_path):
    from tests.conftest import Server

    server = Server(tmp_path / "absent.duckdb", workers=1).start()
    try:
        for path in ("/ogc/collections", "/ogc/collections/nil/items"):
            resp = requests.get(f"{server.url}{path}", timeout=30)
            assert resp.status_code == 503
            assert resp.json()["code"] == "ServiceUnavailable"
            assert "absent" not in resp.text  # no file path leaks
    finally:
        server.stop()
