"""City open-data portal (CKAN, dati.comune.milano.it) to landing files.

A source is a local file, a resource URL, or a dataset id resolved through the
portal's ``package_show`` (so the connector follows the portal when it re-uploads a
resource). Output: ``geography/nil.geojson`` and ``geography/municipi.geojson`` of the
geography contracts and ``mobility/station_information.csv`` from the bike-sharing
station list (ds65), marked real in the landing manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from etl.connectors import boundaries, demo_fill
from etl.connectors.ckan import MILANO_PORTAL, resource_url
from etl.connectors.fetch import DEFAULT_TIMEOUT, fetch_bytes
from etl.connectors.landing import Landing
from etl.connectors.located import read_located, with_lonlat
from etl.validate import LandingError

ATTRIBUTION = "Comune di Milano, CC BY 4.0"


@dataclass(frozen=True)
class PortalDataset:
    """Where a portal dataset lives and which of its resources to prefer."""

    dataset: str
    formats: tuple[str, ...]
    name_hint: str | None
    title: str


NIL = PortalDataset("ds964", ("GeoJSON", "JSON"), "nil", "NIL (Nuclei di Identità Locale)")
MUNICIPI = PortalDataset("ds379", ("GeoJSON", "JSON"), "municipi", "Municipi")
BIKE_STATIONS = PortalDataset("ds65", ("CSV", "GeoJSON"), None,
                              "BikeMi bike-sharing stations (aree sosta bike sharing)")


def locate(source: str | None, dataset: PortalDataset, portal: str = MILANO_PORTAL,
           timeout: float = DEFAULT_TIMEOUT) -> str:
    """The path or URL to read: ``source`` if given, else resolved via package_show."""
    if source:
        return str(source)
    return resource_url(portal, dataset.dataset, dataset.formats, dataset.name_hint,
                        timeout=timeout)


def _describe(dataset: PortalDataset, where: str) -> str:
    return f"{dataset.title}, portal dataset {dataset.dataset} ({where}); {ATTRIBUTION}"


def import_nil(landing: Path, source: str | None = None, *, portal: str = MILANO_PORTAL,
               timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Write real NIL polygons to ``geography/nil.geojson``."""
    where = locate(source, NIL, portal, timeout)
    features = boundaries.read_boundaries(fetch_bytes(where, timeout=timeout), where)
    document = boundaries.nil_landing(features, where, fonte=f"Comune di Milano {NIL.dataset}")
    return Landing(landing).write_json("geography/nil.geojson", document,
                                       source=_describe(NIL, where),
                                       rows=len(document["features"]))


def import_municipi(landing: Path, source: str | None = None, *, portal: str = MILANO_PORTAL,
                    timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Write real municipi polygons to ``geography/municipi.geojson``."""
    where = locate(source, MUNICIPI, portal, timeout)
    features = boundaries.read_boundaries(fetch_bytes(where, timeout=timeout), where)
    document = boundaries.municipi_landing(features, where,
                                           fonte=f"Comune di Milano {MUNICIPI.dataset}")
    return Landing(landing).write_json("geography/municipi.geojson", document,
                                       source=_describe(MUNICIPI, where),
                                       rows=len(document["features"]))


def _station_rows(where: str, data: bytes) -> pl.DataFrame:
    """ds65 records (CSV or GeoJSON points) as text columns plus lon/lat."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LandingError(where, f"invalid GeoJSON ({exc})") from exc
        crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "") \
            if isinstance(doc, dict) else ""
        if crs and not boundaries.CRS_OK.search(str(crs)):
            raise LandingError(where, f"GeoJSON: CRS {crs!r} is not WGS84 (EPSG:4326 / CRS84)")
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(features, list) or not features:
            raise LandingError(where, "GeoJSON: no features")
        rows = []
        for number, feature in enumerate(features, start=1):
            geometry = (feature or {}).get("geometry") or {}
            coords = geometry.get("coordinates")
            if geometry.get("type") != "Point" or not isinstance(coords, list) \
                    or len(coords) < 2:
                raise LandingError(where, "expected a Point geometry", row=number,
                                   column="geometry")
            props = {k: None if v is None else str(v)
                     for k, v in (feature.get("properties") or {}).items()}
            rows.append({**props, "lon": str(coords[0]), "lat": str(coords[1])})
        frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
        return with_lonlat(frame, where)
    return read_located(data, where)


def _required(frame: pl.DataFrame, where: str, *names: str) -> str:
    lowered = {c.lower(): c for c in frame.columns}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    raise LandingError(where, f"missing column {names[0]} (found: {', '.join(frame.columns)})",
                       row=1)


def bike_stations_frame(where: str, data: bytes) -> tuple[pl.DataFrame, int]:
    """Active ds65 stations in the ``mobility_station_information`` shape, and how many
    inactive ones were left out.

    The portal numbers stations ``001``..; that number is the station id here and
    prefixes the name as in the operator's GBFS feed (e.g. ``12 - Piazza Esempio``).
    """
    frame = _station_rows(where, data)
    numero = _required(frame, where, "numero", "numero_stazione")
    nome = _required(frame, where, "nome", "nome_stazione")
    stalli = _required(frame, where, "stalli", "capacity")
    stato = next((c for c in frame.columns if c.lower() == "stato"), None)
    frame = frame.with_row_index("_row", offset=2)
    missing = frame.filter(pl.col(numero).str.strip_chars().fill_null("") == "")
    if missing.height:
        raise LandingError(where, "empty station number", row=int(missing["_row"][0]),
                           column=numero)
    unplaced = frame.filter(pl.col("lon").is_null() | pl.col("lat").is_null())
    if unplaced.height:
        raise LandingError(where, "station without coordinates", row=int(unplaced["_row"][0]))
    capacity = frame[stalli].str.strip_chars().str.strip_chars('"').cast(pl.Int64, strict=False)
    bad = (frame[stalli].fill_null("").str.strip_chars() != "") & capacity.is_null()
    if bad.any():
        i = int(bad.arg_true()[0])
        raise LandingError(where, f"{frame[stalli][i]!r} is not a number of docks",
                           row=int(frame["_row"][i]), column=stalli)
    frame = frame.with_columns(capacity.alias("_capacity"))
    active = frame
    if stato:
        active = frame.filter(pl.col(stato).fill_null("attiva").str.to_lowercase()
                              .str.strip_chars() == "attiva")
    number = pl.col(numero).str.strip_chars().str.strip_chars('"')
    out = active.select(
        number.alias("station_id"),
        pl.concat_str([number.str.strip_chars_start("0").replace("", "0"),
                       pl.col(nome).str.strip_chars()], separator=" - ").alias("name"),
        pl.col("lat"), pl.col("lon"), pl.col("_capacity").alias("capacity"),
        pl.lit(f"comune-milano-{BIKE_STATIONS.dataset}").alias("system_id"),
    )
    dup = out["station_id"].is_duplicated()
    if dup.any():
        i = int(dup.arg_true()[-1])
        raise LandingError(where, f"duplicate station number {out['station_id'][i]!r}",
                           column=numero)
    return out.sort("station_id"), frame.height - active.height


def import_bike_stations(landing: Path, source: str | None = None, *,
                         portal: str = MILANO_PORTAL, timeout: float = DEFAULT_TIMEOUT
                         ) -> tuple[Path, int, int]:
    """Write ds65 stations to ``mobility/station_information.csv``.

    Returns the path, the stations written and the inactive ones left out. The portal
    list has no live status: status partitions come from the GBFS connector; in a demo
    folder, demo telemetry is redrawn over the real stations (labelled synthetic).
    """
    where = locate(source, BIKE_STATIONS, portal, timeout)
    frame, inactive = bike_stations_frame(where, fetch_bytes(where, timeout=timeout))
    from etl.connectors.gbfs import GbfsLanding

    target = GbfsLanding(landing)
    target.upsert_stations(frame, _describe(BIKE_STATIONS, where), replace=True)
    demo_fill.statuses_if_missing(target.landing, frame)
    return Path(landing) / "mobility/station_information.csv", frame.height, inactive
