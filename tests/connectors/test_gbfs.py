"""GBFS connector: official schemas and example feeds, the real BikeMi history, polling
a local feed (2.3 BikeMi-shaped, and the official 3.0 example) with ttl respected."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from etl.connectors import gbfs
from etl.connectors.cli import gbfs as gbfs_cli
from etl.connectors.errors import ConnectorError
from etl.connectors.gbfs_schema import GbfsValidationError, schema_root, validate
from etl.validate import LandingError

HISTORY = "bikemi_gbfs_status/bikemi_data.csv"
STATIONS = "bikemi_gbfs_status/bikemi_stations.csv"
ORPHANS = ["1921", "2020", "2234"]


def _fixtures(realdata: Path, version: str) -> list[Path]:
    return sorted((realdata / "gbfs/fixtures" / version).glob("*.json"))


@pytest.mark.parametrize("version", ["2.3", "3.0", "3.1-RC3"])
def test_official_example_feeds_validate(realdata, version):
    files = _fixtures(realdata, f"v{version}")
    assert len(files) >= 12
    for path in files:
        doc = json.loads(path.read_text("utf-8"))
        # the schemas bundled with gbfs-validator (run time) and the shared official copy
        assert validate(doc, path.stem, str(path)) == version
        assert validate(doc, path.stem, str(path), schemas=realdata / "gbfs") == version


def test_bundled_schemas_are_the_official_ones_for_the_feeds_we_read(realdata):
    for version in ("v2.3", "v3.0"):
        for feed in ("station_information", "station_status", "system_information"):
            bundled = json.loads((schema_root() / version / f"{feed}.json").read_text())
            official = json.loads((realdata / "gbfs" / version / f"{feed}.json").read_text())
            assert bundled == official, f"{version}/{feed}"


@pytest.mark.parametrize("corrupt, message", [
    (lambda d: d["data"]["stations"][0].update(num_bikes_available="three"),
     r"fails the official schema at data\.stations\[0\]\.num_bikes_available: 'three' is "
     r"not of type 'integer'"),
    (lambda d: d["data"]["stations"][1].pop("is_renting"),
     r"at data\.stations\[1\]: 'is_renting' is a required property"),
    (lambda d: d.update(ttl=-5), r"at ttl: -5 is less than the minimum of 0"),
    (lambda d: d.pop("version"), r"has no 'version' field"),
])
def test_corrupted_feed_fails_with_a_clear_message(realdata, corrupt, message):
    path = realdata / "gbfs/fixtures/v2.3/station_status.json"
    doc = json.loads(path.read_text("utf-8"))
    corrupt(doc)
    with pytest.raises(GbfsValidationError, match=message):
        validate(doc, "station_status", "corrupted.json")


def test_cli_validate_reports_one_error_line(realdata, tmp_path):
    good = realdata / "gbfs/fixtures/v3.0/station_information.json"
    doc = json.loads(good.read_text("utf-8"))
    doc["data"]["stations"][0]["lat"] = "north"
    bad = tmp_path / "station_information.json"
    bad.write_text(json.dumps(doc))
    runner = CliRunner()
    ok = runner.invoke(gbfs_cli, ["validate", str(good)])
    assert ok.exit_code == 0 and "valid GBFS 3.0 station_information" in ok.output
    result = runner.invoke(gbfs_cli, ["validate", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "data.stations[0].lat: 'north' is not of type 'number'" in lines[0]


# ------------------------------------------------------------------- normalisation


def test_v23_and_v30_status_land_under_30_names_in_utc(realdata):
    v23 = json.loads((realdata / "gbfs/fixtures/v2.3/station_status.json").read_text())
    v30 = json.loads((realdata / "gbfs/fixtures/v3.0/station_status.json").read_text())
    a = gbfs.station_status_frame(v23, "v23")
    b = gbfs.station_status_frame(v30, "v30")
    assert a.columns == b.columns == list(gbfs.STATUS_SCHEMA)
    assert str(a["last_reported"][0]) == "2025-07-02 06:21:03"  # 1751437263 POSIX
    assert a["num_vehicles_available"][0] == v23["data"]["stations"][0]["num_bikes_available"]
    assert str(b["last_reported"][0]) == "2019-07-04 13:33:03"  # RFC 3339, Z
    offset = {**v30, "data": {"stations": [{**v30["data"]["stations"][0],
                                            "last_reported": "2019-07-04T15:33:03+02:00"}]}}
    assert gbfs.station_status_frame(offset, "x")["last_reported"][0] == b["last_reported"][0]


def test_v30_localized_names_prefer_italian():
    doc = {"data": {"stations": [{"station_id": "1", "lat": 45.46, "lon": 9.19, "name": [
        {"text": "Cathedral", "language": "en"}, {"text": "Duomo", "language": "it"}]}]}}
    assert gbfs.station_information_frame(doc)["name"][0] == "Duomo"


def test_bad_timestamp_is_named():
    doc = {"last_updated": 0, "data": {"stations": [{
        "station_id": "1", "num_bikes_available": 1, "last_reported": "yesterday"}]}}
    with pytest.raises(ConnectorError, match="last_reported 'yesterday' is not a GBFS"):
        gbfs.station_status_frame(doc, "feed")


# ---------------------------------------------------------------- real BikeMi history


def test_real_history_ingests_with_the_three_orphans_reported(realdata, landing):
    lines: list[str] = []
    total = gbfs.import_files([realdata / HISTORY, realdata / STATIONS], landing,
                              echo=lines.append)
    assert (total.stations, total.statuses) == (318, 23651)
    assert total.orphan_ids == ORPHANS and total.orphan_rows > 0
    assert any(line.startswith("warning:") and "1921, 2020, 2234" in line for line in lines)
    status = pl.read_csv(landing / "mobility/station_status/2026-05.csv",
                         schema_overrides={"station_id": pl.String})
    assert status.height == 23651 and status["station_id"].n_unique() == 321
    assert status["last_reported"].n_unique() == 74
    assert set(ORPHANS) <= set(status["station_id"])  # kept, not dropped
    manifest = json.loads((landing / "manifest.json").read_text())["files"]
    assert manifest["mobility/station_status/2026-05.csv"]["synthetic"] is False
    assert "written as true" in manifest["mobility/station_status/2026-05.csv"]["note"]
    again = gbfs.import_files([realdata / HISTORY], landing, echo=lines.append)
    assert again.statuses == 0  # idempotent: one row per station and report time


def test_history_lands_in_the_mobility_contract(realdata, landing):
    from etl.domains.mobility.contracts import CONTRACTS
    from etl.validate import check_foreign_keys, read_landing

    gbfs.import_files([realdata / STATIONS, realdata / HISTORY], landing, echo=lambda _: None)
    contracts = {c.name: c for c in CONTRACTS}
    info = read_landing(contracts["mobility_station_information"],
                        landing / "mobility/station_information.csv")
    status = read_landing(contracts["mobility_station_status"],
                          landing / "mobility/station_status/2026-05.csv")
    findings = check_foreign_keys(contracts["mobility_station_status"], Path("s.csv"), status,
                                  {"mobility_station_information.station_id":
                                   info["station_id"]})
    assert findings[0]["values"] == ", ".join(ORPHANS)


def test_cli_import_exits_zero_and_warns(realdata, landing):
    result = CliRunner().invoke(gbfs_cli, ["import", str(realdata / STATIONS),
                                           str(realdata / HISTORY), "--out", str(landing)])
    assert result.exit_code == 0, result.output
    assert "imported 318 stations and 23651 new statuses" in result.output


@pytest.mark.parametrize("body, message", [
    ("timestamp,station_id,num_bikes_available,num_docks_available\n"
     "2026-05-03 06:14:02,6060,two,29\n", r"row 2, column 'num_bikes_available'"),
    ("timestamp,station_id,num_bikes_available,num_docks_available\n"
     "2026-05-03 06:14:02,6060,-1,29\n", r"row 2, column 'num_bikes_available'.*minimum"),
    ("timestamp,station_id,num_bikes_available,num_docks_available\n"
     "03/05/2026,6060,1,29\n", r"row 2, column 'timestamp'"),
    ("station_id,name,lat\n1,a,45\n", r"row 1: unrecognised GBFS CSV"),
    ("station_id,name,lat,lon,capacity\n1,a,45.4,9.1,20\n1,b,45.5,9.2,20\n",
     r"row 3, column 'station_id': duplicate"),
])
def test_bad_history_csv_names_row_and_column(tmp_path, body, message):
    path = tmp_path / "history.csv"
    path.write_text(body)
    with pytest.raises(LandingError, match=message):
        gbfs.import_files([path], tmp_path / "out", echo=lambda _: None)


def test_saved_json_snapshots_import(http_server, tmp_path, landing):
    files = []
    for name in ("station_information", "station_status", "gbfs"):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(http_server.bikemi3[name]))
        files.append(path)
    lines: list[str] = []
    total = gbfs.import_files(files, landing, echo=lines.append)
    assert total.stations == 318 and total.statuses > 300
    assert any("gbfs.json lists feeds" in line for line in lines)


def test_feed_of_another_city_is_refused_before_writing(realdata, landing):
    files = [realdata / "gbfs/fixtures/v3.0/station_information.json"]
    with pytest.raises(ConnectorError, match=r"station_information.json: station .*: lat "
                       r"48\.8\d+ is outside 45\.3\.\.45\.6"):
        gbfs.import_files(files, landing, echo=lambda _: None)
    assert not (landing / "mobility/station_information.csv").exists()


# -------------------------------------------------------------------------- polling


class _Clock:
    """Time that advances only when the poller sleeps: no real waiting in tests."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_bikemi_shaped_feed_respects_ttl_and_sends_client_id(http_server, landing):
    clock, lines = _Clock(), []
    report = gbfs.poll(f"{http_server.base}/bikemi/gbfs.json", landing, every=5, count=3,
                       headers=gbfs.request_headers("ponmetro-test"), echo=lines.append,
                       sleep=clock.sleep, clock=clock)
    assert report.snapshots == 3
    assert clock.sleeps == [30.0, 30.0]  # every=5 raised to the feed's ttl of 30 s
    sent = [h for p, h in http_server.requests if p.startswith("/bikemi/")]
    assert sent and all(h.get("Client-Identifier") == "ponmetro-test" for h in sent)
    # station_information (ttl 30) was refetched after each wait; statuses every time
    paths = [p for p, _ in http_server.requests if p.startswith("/bikemi/")]
    assert paths.count("/bikemi/station_status.json") >= 3
    info = pl.read_csv(landing / "mobility/station_information.csv")
    assert info.height == 318 and info["system_id"].unique().to_list() == ["bikemi"]
    # the same snapshot three times is stored once
    status = pl.read_csv(landing / "mobility/station_status/2026-05.csv",
                         schema_overrides={"station_id": pl.String})
    assert status.height == status.select("station_id", "last_reported").n_unique()
    assert report.total.orphan_ids == [i for i in ORPHANS if i in set(status["station_id"])]
    assert any(line.startswith("warning:") for line in lines) == bool(report.total.orphan_ids)


def test_poll_without_client_id_fails_clearly(http_server, landing):
    with pytest.raises(ConnectorError, match=r"bikemi/gbfs.json: HTTP 403"):
        gbfs.poll(f"{http_server.base}/bikemi/gbfs.json", landing, count=1,
                  echo=lambda _: None)


def test_poll_v30_feed_lands_like_the_v23_one(http_server, tmp_path):
    clock = _Clock()
    headers = gbfs.request_headers("ponmetro-test")
    report = gbfs.poll(f"{http_server.base}/bikemi3/gbfs.json", tmp_path / "v3", every=0,
                       count=2, headers=headers, echo=lambda _: None, sleep=clock.sleep,
                       clock=clock, keep_raw=True)
    assert report.snapshots == 2 and clock.sleeps == [30.0]
    assert len(list((tmp_path / "v3/raw/gbfs").rglob("station_status-*.json"))) == 2
    gbfs.poll(f"{http_server.base}/bikemi/gbfs.json", tmp_path / "v2", count=1,
              headers=headers, echo=lambda _: None)
    for name in ("station_information.csv", "station_status/2026-05.csv"):
        v3 = (tmp_path / "v3/mobility" / name).read_text()
        v2 = (tmp_path / "v2/mobility" / name).read_text()
        assert v3 == v2, name


def test_poll_official_v30_example_validates_then_refuses_paris(http_server, landing):
    with pytest.raises(ConnectorError, match="outside .* accepted by mobility_station_info"):
        gbfs.poll(f"{http_server.base}/gbfs/v3.0/gbfs.json", landing, count=1,
                  echo=lambda _: None)
    fetched = [p for p, _ in http_server.requests if p.startswith("/gbfs/v3.0/")]
    assert "/gbfs/v3.0/system_information.json" in fetched


def test_poll_refuses_a_schema_invalid_feed(http_server, landing):
    """A feed that answers 200 with JSON breaking the GBFS schema is refused, naming the
    file and the field, and no status snapshot lands."""
    bad = copy.deepcopy(http_server.bikemi)
    for feed in bad["gbfs"]["data"]["it"]["feeds"]:
        feed["url"] = feed["url"].replace("/bikemi/", "/bikemi-bad/")
    bad["station_status"]["data"]["stations"][1]["num_bikes_available"] = "many"
    http_server.systems["bikemi-bad"] = bad
    try:
        with pytest.raises(ConnectorError, match=r"bikemi-bad/station_status\.json.*"
                           r"data\.stations\[1\]\.num_bikes_available: 'many' is not of type "
                           r"'integer'"):
            gbfs.poll(f"{http_server.base}/bikemi-bad/gbfs.json", landing, count=1,
                      headers=gbfs.request_headers("ponmetro-test"), echo=lambda _: None)
    finally:
        del http_server.systems["bikemi-bad"]
    assert not list(landing.glob("mobility/station_status/*.csv"))


def test_poll_refuses_a_missing_feed(http_server, landing):
    with pytest.raises(ConnectorError, match=r"v9\.9/gbfs\.json: HTTP 404"):
        gbfs.poll(f"{http_server.base}/gbfs/v9.9/gbfs.json", landing, count=1,
                  echo=lambda _: None)


def test_header_option_must_be_name_value():
    assert gbfs.request_headers(None, ["X-Api-Key: s3cret"]) == {"X-Api-Key": "s3cret"}
    with pytest.raises(ConnectorError, match="not NAME:VALUE"):
        gbfs.request_headers(None, ["oops"])
