"""The city's GBFS 3.0 feed through a real gunicorn: every file validates against the
official MobilityData schemas (the shared copy, and ``gbfs-validator`` offline), holds what
the warehouse holds (computed here independently from staging), and no cache keeps the
status longer than its ``ttl``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from etl.connectors.gbfs_schema import GbfsValidationError, validate

FILES = ("gbfs", "system_information", "vehicle_types", "station_information",
         "station_status")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
GBFS_3_0 = URIRef("https://github.com/MobilityData/gbfs/blob/v3.0/gbfs.md")


@pytest.fixture(scope="module")
def feed(http, hub) -> dict[str, dict]:
    out = {}
    for name in FILES:
        resp = http.get(f"{hub}/gbfs/{name}.json", timeout=60)
        assert resp.status_code == 200, (name, resp.text[:300])
        assert resp.headers["Content-Type"].startswith("application/json")
        out[name] = {"body": resp.json(), "cache": resp.headers["Cache-Control"]}
    return out


@pytest.fixture(scope="module")
def truth(warehouse) -> dict:
    """What the feed must say, computed from staging (not from the marts the app reads)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        bays = con.sql("""
            WITH latest AS (SELECT spot_id, arg_max(status, observed_at) AS status,
                                   max(observed_at) AS at
                            FROM staging.mobility_spot_status GROUP BY spot_id)
            SELECT p.area_id, count(*) AS bays,
                   count(*) FILTER (WHERE l.status = 'free') AS free,
                   count(*) FILTER (WHERE l.status = 'occupied') AS occupied,
                   bool_or(p.category = 'e-car') AS charging, max(l.at) AS at
            FROM staging.mobility_parking_spots p LEFT JOIN latest l USING (spot_id)
            GROUP BY p.area_id""").pl()
        stations = con.sql("""
            SELECT s.station_id, s.capacity,
                   (SELECT arg_max(num_vehicles_available, last_reported)
                    FROM staging.mobility_station_status t
                    WHERE t.station_id = s.station_id) AS vehicles
            FROM staging.mobility_station_information s
            JOIN staging.mobility_station_programme USING (station_id)""").pl()
        areas = con.execute("SELECT count(*) FROM staging.mobility_areas").fetchone()[0]
        built_at = con.execute("SELECT built_at FROM meta.build").fetchone()[0]
    return {"bays": {r["area_id"]: r for r in bays.iter_rows(named=True)},
            "stations": {r["station_id"]: r for r in stations.iter_rows(named=True)},
            "areas": areas, "built_at": built_at}


def test_every_file_has_the_gbfs_3_envelope_and_a_cache_within_ttl(feed):
    for name, got in feed.items():
        body = got["body"]
        assert body["version"] == "3.0", name
        assert isinstance(body["ttl"], int) and body["ttl"] >= 0, name
        assert RFC3339.match(body["last_updated"]), (name, body["last_updated"])
        max_age = int(re.search(r"max-age=(\d+)", got["cache"]).group(1))
        assert 0 < max_age <= body["ttl"], (name, got["cache"])
    assert feed["station_status"]["body"]["ttl"] <= 60  # status at most 60 s behind
    discovery = feed["gbfs"]["body"]["data"]["feeds"]
    assert {f["name"] for f in discovery} == set(FILES)
    assert all(f["url"].endswith(f"/gbfs/{f['name']}.json") for f in discovery)


def test_every_file_validates_against_the_official_schemas(feed, realdata):
    official = realdata / "gbfs"
    if not (official / "v3.0").is_dir():
        pytest.skip(f"official GBFS 3.0 schemas not present at {official / 'v3.0'}")
    for name, got in feed.items():
        assert validate(got["body"], name, name, schemas=official) == "3.0"
        assert validate(got["body"], name, name) == "3.0"  # the copy gbfs-validator bundles
    broken = json.loads(json.dumps(feed["station_status"]["body"]))
    broken["data"]["stations"][0]["num_vehicles_available"] = -1
    with pytest.raises(GbfsValidationError, match=r"stations\[0\]\.num_vehicles_available"):
        validate(broken, "station_status", "broken", schemas=official)


def _validator(folder: Path) -> dict:
    """``gbfs-validator`` (PyPI, offline: file:// URLs) over a saved copy of the feed."""
    report = folder / "report.json"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "gbfs-validator"), "-u", str(folder), "--docked",
         "-s", str(report), "-pr", "no", "--fail-on-error"],
        capture_output=True, text=True, timeout=120)
    return {"rc": proc.returncode, **json.loads(report.read_text("utf-8"))}


def _save(feed: dict, folder: Path) -> None:
    folder.mkdir()
    for name, got in feed.items():
        body = json.loads(json.dumps(got["body"]))
        if name == "gbfs":
            for f in body["data"]["feeds"]:
                f["url"] = (folder / f"{f['name']}.json").as_uri()
        (folder / f"{name}.json").write_text(json.dumps(body), "utf-8")


def test_gbfs_validator_finds_no_error_and_catches_a_broken_feed(feed, tmp_path):
    if shutil.which("gbfs-validator", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("gbfs-validator not installed (make test-deps)")
    _save(feed, tmp_path / "ok")
    report = _validator(tmp_path / "ok")
    assert report["rc"] == 0 and report["summary"]["errorsCount"] == 0, report
    checked = {f["file"] for f in report["files"] if f.get("exists")}
    assert {f"{n}.json" for n in FILES} <= checked
    broken = {k: json.loads(json.dumps(v)) for k, v in feed.items()}
    broken["station_information"]["body"]["data"]["stations"][0].pop("lat")
    _save(broken, tmp_path / "broken")
    report = _validator(tmp_path / "broken")
    assert report["rc"] == 1 and report["summary"]["errorsCount"] >= 1


def test_stations_are_the_33_areas_and_the_programme_bike_stations(feed, truth):
    info = {s["station_id"]: s for s in feed["station_information"]["body"]["data"]["stations"]}
    status = {s["station_id"]: s for s in feed["station_status"]["body"]["data"]["stations"]}
    assert info.keys() == status.keys()
    areas = {k.removeprefix("area-") for k in info if k.startswith("area-")}
    bikes = {k.removeprefix("bike-") for k in info if k.startswith("bike-")}
    assert len(areas) == truth["areas"] == 33 and areas == truth["bays"].keys()
    assert bikes == truth["stations"].keys() and len(bikes) > 0
    for area_id, want in truth["bays"].items():
        station, now = info[f"area-{area_id}"], status[f"area-{area_id}"]
        assert [n["language"] for n in station["name"]] == ["it", "en"]
        assert station["capacity"] == want["bays"]
        assert sum(d["count"] for d in station["vehicle_docks_capacity"]) == want["bays"]
        assert station["is_charging_station"] == want["charging"]
        assert now["num_docks_available"] == want["free"], area_id
        assert now["num_vehicles_available"] == want["occupied"], area_id
        assert sum(d["count"] for d in now["vehicle_docks_available"]) == want["free"]
        assert sum(v["count"] for v in now["vehicle_types_available"]) == want["occupied"]
        assert now["last_reported"] == want["at"].isoformat(timespec="seconds") + "Z"
    for station_id, want in truth["stations"].items():
        assert info[f"bike-{station_id}"]["capacity"] == want["capacity"]
        assert status[f"bike-{station_id}"]["num_vehicles_available"] == (want["vehicles"] or 0)
    assert any(s["is_charging_station"] for s in info.values())
    assert not all(s["is_charging_station"] for s in info.values())


def test_vehicle_types_cover_every_type_the_stations_use(feed):
    types = {t["vehicle_type_id"]: t for t in feed["vehicle_types"]["body"]["data"]["vehicle_types"]}
    used = {i for s in feed["station_information"]["body"]["data"]["stations"]
            for d in s.get("vehicle_docks_capacity", []) for i in d["vehicle_type_ids"]}
    used |= {v["vehicle_type_id"] for s in feed["station_status"]["body"]["data"]["stations"]
             for v in s["vehicle_types_available"]}
    assert used <= types.keys()
    for t in types.values():
        assert {n["language"] for n in t["name"]} == {"it", "en"}
        assert (t["propulsion_type"] == "human") == ("max_range_meters" not in t)


def test_last_updated_is_the_newest_data_or_the_build(feed, truth):
    newest = max(max(r["at"] for r in truth["bays"].values()), truth["built_at"])
    stamp = feed["station_status"]["body"]["last_updated"]
    assert datetime.fromisoformat(stamp.replace("Z", "")) == newest.replace(microsecond=0)
    system = feed["system_information"]["body"]["data"]
    assert system["timezone"] == "Europe/Rome" and system["languages"] == ["it", "en"]


def test_unknown_files_404(http, hub):
    for path in ("/gbfs/manifest.json", "/gbfs/vehicle_status.json", "/gbfs/..%2fhealthz.json",
                 "/gbfs/gbfs.json.bak", "/gbfs/GBFS.json"):
        assert http.get(hub + path, timeout=30).status_code == 404, path


def test_feed_is_a_dcat_data_service_conforming_to_gbfs_3(http, hub):
    g = Graph().parse(data=http.get(f"{hub}/catalog.ttl", timeout=120).text, format="turtle")
    services = [s for s in g.subjects(RDF.type, DCAT.DataService)
                if str(g.value(s, DCAT.endpointURL)) == f"{hub}/gbfs/gbfs.json"]
    assert len(services) == 1
    service = services[0]
    assert (service, DCTERMS.conformsTo, GBFS_3_0) in g
    assert (URIRef(f"{hub}/catalog"), DCAT.service, service) in g
    served = {str(o) for o in g.objects(service, DCAT.servesDataset)}
    assert served == {f"{hub}/data/mobility-areas#dataset", f"{hub}/data/bike-stations#dataset"}
