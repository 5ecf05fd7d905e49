"""The city's own real-time feed, GBFS 3.0: ``/gbfs/gbfs.json`` and the files it lists.

One system (``ponmetro-milano``) with two kinds of station, so a traveller's app finds
a free bay or a bike in one feed: the 33 shared-mobility areas (``area-<id>``: bays per
vehicle type, free bays from each bay's newest sensor status, charging where e-car
bays exist) and the bike-sharing stations the programme built or expanded
(``bike-<id>``: the operator's newest sample). One system needs no ``manifest.json``.

Freshness: the data come through the query layer, memoized on the warehouse identity
(a new build or ingest is served at the next request), and ``Cache-Control: max-age``
never exceeds a file's ``ttl``, so ``station_status`` is at most ``ttl`` (30 s) behind
the last ingested batch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request

from dashboards import warehouse
from dashboards.queries import freshness
from dashboards.queries import gbfs as q

bp = Blueprint("hub_gbfs", __name__)

VERSION = "3.0"
SYSTEM_ID = "ponmetro-milano"
LANGUAGES = ("it", "en")
#: Seconds a reader may keep each file (GBFS ``ttl``; also the HTTP ``max-age``).
TTL = {"gbfs": 300, "system_information": 3600, "vehicle_types": 3600,
       "station_information": 300, "station_status": 30}
FILES = tuple(TTL)
#: Vehicle types a bay of each sensor category accepts (``vehicle_docks_*``), and the
#: type a vehicle parked in it counts as (sensors see a vehicle, not its type).
BAY_ACCEPTS = {"bike": ("bike", "e-bike"), "scooter": ("scooter",), "car": ("car",),
               "e-car": ("e-car",)}
BAY_PARKED = {"bike": "bike", "scooter": "scooter", "car": "car", "e-car": "e-car"}
#: Docks of a bike-sharing station take both bikes; its sample counts vehicles without
#: their type, published as ``bike`` (the landing contract has no per-type split).
STATION_ACCEPTS = ("bike", "e-bike")
STATION_TYPE = "bike"
#: Nominal range of a motorised type when full (GBFS 3.0 requires it; the warehouse
#: has none): e-bike 60 km, e-scooter 30 km, electric car 300 km, other cars 600 km.
MAX_RANGE_M = {("bicycle", "electric_assist"): 60_000, ("scooter_standing", "electric"): 30_000,
               ("scooter_seated", "electric"): 60_000, ("moped", "electric"): 60_000,
               ("car", "electric"): 300_000}
DEFAULT_MAX_RANGE_M = 600_000
CONTACT_EMAIL = "opendata@comune.milano.it"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def _text(it: str, en: str | None = None) -> list[dict[str, str]]:
    """A GBFS 3.0 localized string in every language of the feed."""
    return [{"text": it, "language": "it"}, {"text": en or it, "language": "en"}]


def _rfc3339(moment: datetime | None) -> str:
    """UTC RFC 3339 with ``Z`` (warehouse times are naive UTC)."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def _built_at() -> datetime:
    return warehouse.build_info().built_at


def _envelope(name: str, data: dict, updated: datetime) -> dict:
    return {"last_updated": _rfc3339(updated), "ttl": TTL[name], "version": VERSION,
            "data": data}


def _url(name: str) -> str:
    return f"{request.url_root}gbfs/{name}.json"


def discovery() -> dict:
    return _envelope("gbfs", {"feeds": [{"name": n, "url": _url(n)} for n in FILES]},
                     _built_at())


def system_information() -> dict:
    return _envelope("system_information", {
        "system_id": SYSTEM_ID,
        "languages": list(LANGUAGES),
        "name": _text("Mobilità condivisa PON Metro Milano",
                      "PON Metro Milan shared mobility"),
        "short_name": _text("PON Metro Milano"),
        "operator": _text("Comune di Milano", "City of Milan"),
        "url": "https://www.comune.milano.it",
        "opening_hours": "24/7",
        "feed_contact_email": CONTACT_EMAIL,
        "email": CONTACT_EMAIL,
        "timezone": "Europe/Rome",
        "license_url": LICENCE_URL,
        "attribution_organization_name": _text("Comune di Milano", "City of Milan"),
    }, _built_at())


def vehicle_types() -> dict:
    types = []
    for r in q.vehicle_types().iter_rows(named=True):
        entry = {"vehicle_type_id": r["vehicle_type_id"], "form_factor": r["form_factor"],
                 "propulsion_type": r["propulsion_type"],
                 "name": _text(r["name_it"], r["name_en"])}
        if r["propulsion_type"] != "human":
            entry["max_range_meters"] = MAX_RANGE_M.get(
                (r["form_factor"], r["propulsion_type"]), DEFAULT_MAX_RANGE_M)
        types.append(entry)
    return _envelope("vehicle_types", {"vehicle_types": types}, _built_at())


def _areas() -> dict[str, dict]:
    """Area id -> its name, place, last report and per-category bay counts."""
    areas: dict[str, dict] = {}
    for r in q.area_bays().iter_rows(named=True):
        area = areas.setdefault(r["area_id"], {**r, "categories": []})
        area["categories"].append(r)
    return areas


def station_information() -> dict:
    stations = []
    for area_id, a in _areas().items():
        stations.append({
            "station_id": f"area-{area_id}", "name": _text(a["name"]),
            "short_name": _text(area_id), "lat": a["lat"], "lon": a["lon"],
            "parking_type": "street_parking",
            "capacity": sum(c["bays"] for c in a["categories"]),
            "vehicle_docks_capacity": [
                {"vehicle_type_ids": list(BAY_ACCEPTS[c["category"]]), "count": c["bays"]}
                for c in a["categories"]],
            "is_charging_station": any(c["category"] == "e-car" for c in a["categories"]),
        })
    for r in q.programme_stations().iter_rows(named=True):
        entry = {"station_id": f"bike-{r['station_id']}", "name": _text(r["name"]),
                 "lat": r["lat"], "lon": r["lon"], "is_charging_station": False}
        if r["capacity"] is not None:
            entry["capacity"] = r["capacity"]
            entry["vehicle_docks_capacity"] = [{"vehicle_type_ids": list(STATION_ACCEPTS),
                                                "count": r["capacity"]}]
        stations.append(entry)
    return _envelope("station_information", {"stations": stations}, _built_at())


def station_status() -> dict:
    built = _built_at()
    batch = freshness.last_batch()
    # the feed's data changed when the newest batch landed, whatever time it observed
    newest = max(built, batch["ingested_at"]) if batch else built
    stations = []
    for area_id, a in _areas().items():
        parked: dict[str, int] = {}
        for c in a["categories"]:
            kind = BAY_PARKED[c["category"]]
            parked[kind] = parked.get(kind, 0) + c["occupied"]
        reported = a["last_reported"] or built
        newest = max(newest, reported)
        stations.append({
            "station_id": f"area-{area_id}",
            "num_vehicles_available": sum(parked.values()),
            "vehicle_types_available": [{"vehicle_type_id": k, "count": n}
                                        for k, n in parked.items()],
            "num_docks_available": sum(c["free"] for c in a["categories"]),
            "num_docks_disabled": sum(c["out_of_service"] for c in a["categories"]),
            "vehicle_docks_available": [
                {"vehicle_type_ids": list(BAY_ACCEPTS[c["category"]]), "count": c["free"]}
                for c in a["categories"]],
            "is_installed": True, "is_renting": True, "is_returning": True,
            "last_reported": _rfc3339(reported),
        })
    for r in q.programme_stations().iter_rows(named=True):
        reported = r["last_reported"] or built
        newest = max(newest, reported)
        vehicles = int(r["num_vehicles_available"] or 0)
        entry = {
            "station_id": f"bike-{r['station_id']}",
            "num_vehicles_available": vehicles,
            "vehicle_types_available": [{"vehicle_type_id": STATION_TYPE, "count": vehicles}],
            "is_installed": True,
            "is_renting": bool(r["is_renting"]) if r["is_renting"] is not None else False,
            "is_returning": bool(r["is_returning"]) if r["is_returning"] is not None else False,
            "last_reported": _rfc3339(reported),
        }
        if r["num_docks_available"] is not None:
            entry["num_docks_available"] = int(r["num_docks_available"])
        stations.append(entry)
    return _envelope("station_status", {"stations": stations}, newest)


RENDER = {"gbfs": discovery, "system_information": system_information,
          "vehicle_types": vehicle_types, "station_information": station_information,
          "station_status": station_status}


def document(name: str) -> dict:
    """One GBFS file as a dict (``name`` without ``.json``); KeyError when unknown."""
    return RENDER[name]()


@bp.get("/gbfs/<name>.json")
def feed(name: str) -> Response:
    if name not in RENDER:
        abort(404)
    try:
        body = json.dumps(document(name), ensure_ascii=False, separators=(",", ":"))
    except warehouse.WarehouseUnavailable:
        return Response('{"error": "data temporarily unavailable"}\n', status=503,
                        mimetype="application/json", headers={"Retry-After": "30"})
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={TTL[name]}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
