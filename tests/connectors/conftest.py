"""Fixtures for the connector tests: the real recorded files, served over local HTTP.

The server binds 127.0.0.1 only and serves straight from ``../shared/realdata`` (the
files are never copied into the project). It also answers like the services the
connectors talk to: a CKAN ``package_show`` whose resources point back at it, GBFS
feeds whose ``gbfs.json`` URLs are rewritten to it, and a BikeMi-shaped 2.3 feed built
from the real flattened station list and its last recorded snapshot.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import polars as pl
import pytest

from tests.conftest import REALDATA

PORTAL_DATASETS = {
    "ds964": [("NIL GeoJSON (EPSG:4326)", "GeoJSON", "nil/administrative-nil.geo.json"),
              ("NIL CSV", "CSV", "nil/nil.csv")],
    "ds379": [("Municipi CSV", "CSV", "municipi/municipi.csv"),
              ("Municipi GeoJSON", "GeoJSON", "municipi/administrative-municipi.geo.json")],
    "ds65": [("Stazioni BikeMi", "CSV", "bikemi_stations/bikemi_stalls.csv")],
}


def bikemi_feed(realdata: Path, base: str, ttl: int) -> dict[str, dict]:
    """A GBFS 2.3 system shaped like BikeMi's, from the real flattened files."""
    stations = pl.read_csv(realdata / "bikemi_gbfs_status/bikemi_stations.csv",
                           schema_overrides={"station_id": pl.String})
    history = pl.read_csv(realdata / "bikemi_gbfs_status/bikemi_data.csv",
                          schema_overrides={"station_id": pl.String})
    last = history.filter(pl.col("timestamp") == history["timestamp"].max())
    epoch = int(datetime.fromisoformat(last["timestamp"][0] + "+00:00").timestamp())
    head = {"last_updated": epoch, "ttl": ttl, "version": "2.3"}
    return {
        "gbfs": {**head, "data": {"it": {"feeds": [
            {"name": n, "url": f"{base}/bikemi/{n}.json"}
            for n in ("system_information", "station_information", "station_status")]}}},
        "system_information": {**head, "data": {
            "system_id": "bikemi", "language": "it", "name": "BikeMi",
            "timezone": "Europe/Rome"}},
        "station_information": {**head, "data": {"stations": [
            {"station_id": r["station_id"], "name": r["name"], "lat": r["lat"],
             "lon": r["lon"], "capacity": r["capacity"]}
            for r in stations.iter_rows(named=True)]}},
        "station_status": {**head, "data": {"stations": [
            {"station_id": r["station_id"], "num_bikes_available": r["num_bikes_available"],
             "num_docks_available": r["num_docks_available"], "is_installed": True,
             "is_renting": True, "is_returning": True, "last_reported": epoch}
            for r in last.iter_rows(named=True)]}},
    }


def as_v30(feed: dict[str, dict], base: str) -> dict[str, dict]:
    """The same system published as GBFS 3.0 (RFC 3339 times, localized names)."""
    def rfc3339(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    epoch = feed["gbfs"]["last_updated"]
    head = {"last_updated": rfc3339(epoch), "ttl": feed["gbfs"]["ttl"], "version": "3.0"}
    return {
        "gbfs": {**head, "data": {"feeds": [
            {"name": f["name"], "url": f["url"].replace("/bikemi/", "/bikemi3/")}
            for f in feed["gbfs"]["data"]["it"]["feeds"]]}},
        "system_information": {**head, "data": {
            "system_id": "bikemi", "languages": ["it"],
            "name": [{"text": "BikeMi", "language": "it"}], "opening_hours": "24/7",
            "feed_contact_email": "opendata@example.org", "timezone": "Europe/Rome"}},
        "station_information": {**head, "data": {"stations": [
            {**s, "name": [{"text": s["name"], "language": "it"}]}
            for s in feed["station_information"]["data"]["stations"]]}},
        "station_status": {**head, "data": {"stations": [
            {"station_id": s["station_id"], "num_vehicles_available": s["num_bikes_available"],
             "num_docks_available": s["num_docks_available"], "is_installed": True,
             "is_renting": True, "is_returning": True,
             "last_reported": rfc3339(s["last_reported"])}
            for s in feed["station_status"]["data"]["stations"]]}},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, body: bytes, status: int = 200, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        self.server.requests.append((url.path, dict(self.headers)))
        parts = url.path.strip("/").split("/", 1)
        base = self.server.base
        if url.path == "/api/3/action/package_show":
            dataset = parse_qs(url.query).get("id", [""])[0]
            if dataset not in PORTAL_DATASETS:
                body = {"success": False, "error": {"__type": "Not Found Error",
                                                    "message": "Not found"}}
                return self._send(json.dumps(body).encode(), 404)
            resources = [{"name": n, "format": f, "url": f"{base}/realdata/{p}"}
                         for n, f, p in PORTAL_DATASETS[dataset]]
            body = {"success": True, "result": {"name": dataset, "resources": resources}}
            return self._send(json.dumps(body).encode())
        if parts[0] == "realdata" and len(parts) == 2:
            path = (REALDATA / parts[1]).resolve()
            if REALDATA.resolve() in path.parents and path.is_file():
                return self._send(path.read_bytes(), kind="application/octet-stream")
        if parts[0] == "gbfs" and len(parts) == 2:  # official example feeds, URLs rewritten
            version, _, name = parts[1].partition("/")
            path = REALDATA / "gbfs/fixtures" / version / name
            if path.is_file():
                doc = json.loads(path.read_text("utf-8"))
                if name == "gbfs.json":
                    feeds = doc["data"]["feeds"] if "feeds" in doc["data"] else \
                        next(iter(doc["data"].values()))["feeds"]
                    for feed in feeds:
                        feed["url"] = f"{base}/gbfs/{version}/{feed['name']}.json"
                return self._send(json.dumps(doc).encode())
        if parts[0] in self.server.systems and len(parts) == 2:
            feed = self.server.systems[parts[0]].get(parts[1].removesuffix(".json"))
            if feed is not None:
                if self.headers.get("Client-Identifier") is None:
                    return self._send(b'{"error": "Client-Identifier header required"}', 403)
                return self._send(json.dumps(feed).encode())
        if url.path == "/broken.json":
            return self._send(b"{not json", kind="application/json")
        self._send(b"not found", 404, "text/plain")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list
    base: str
    bikemi: dict
    bikemi3: dict
    systems: dict[str, dict[str, dict]]


@pytest.fixture(scope="session")
def http_server(realdata):
    """Base URL of a local HTTP server (127.0.0.1) for the real recorded files."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    server.bikemi = bikemi_feed(realdata, server.base, ttl=30)
    server.bikemi3 = as_v30(server.bikemi, server.base)
    server.systems = {"bikemi": server.bikemi, "bikemi3": server.bikemi3}  # tests may add
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def landing(tmp_path) -> Path:
    return tmp_path / "landing"
