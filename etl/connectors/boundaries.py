"""Portal boundary files (NIL ds964, Municipi) into the geography landing contracts.

The portal publishes boundaries as GeoJSON (EPSG:4326 or CRS84 declared) and as CSV.
Its CSV exports carry only centroids; a CSV is accepted when it has a geometry column
(WKT or GeoJSON text, as some exports and re-publications add). Every polygon is
checked: WGS84 range, inside Milan, valid rings; the first bad feature is named.
"""

from __future__ import annotations

import json
import re

import polars as pl
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from etl.connectors.located import MILAN_BBOX, read_portal_csv
from etl.validate import LandingError

GEOMETRY_COLUMNS = ("geometry", "the_geom", "geom", "wkt", "geo_shape", "Geo Shape", "shape")
CRS_OK = re.compile(r"(EPSG:+4326|CRS84)$")
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}


def _check_geometry(geom: BaseGeometry, source: str, row: int) -> BaseGeometry:
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise LandingError(source, f"geometry type {geom.geom_type!r} is not a polygon",
                           row=row, column="geometry")
    x0, y0, x1, y1 = geom.bounds
    if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
        raise LandingError(source, f"coordinates ({x0:.0f}, {y0:.0f}) are not WGS84 lon/lat "
                           "(projected? use the EPSG:4326 resource)", row=row, column="geometry")
    bx0, by0, bx1, by1 = MILAN_BBOX
    cx, cy = geom.centroid.x, geom.centroid.y
    if not (bx0 <= cx <= bx1 and by0 <= cy <= by1):
        hint = " (latitude and longitude swapped?)" if bx0 <= cy <= bx1 and by0 <= cx <= by1 \
            else ""
        raise LandingError(source, f"polygon centred at ({cx:.4f}, {cy:.4f}) is not in "
                           f"Milan{hint}", row=row, column="geometry")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise LandingError(source, f"invalid polygon: {reason}", row=row, column="geometry")
    return geom


def _from_geojson(doc: object, source: str) -> list[tuple[dict, BaseGeometry]]:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise LandingError(source, "GeoJSON: expected a FeatureCollection")
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "")
    if crs and not CRS_OK.search(str(crs)):
        raise LandingError(source, f"GeoJSON: CRS {crs!r} is not WGS84 (EPSG:4326 / CRS84)")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise LandingError(source, "GeoJSON: no features")
    out = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise LandingError(source, "feature without geometry", row=number,
                               column="geometry")
        try:
            geom = shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            raise LandingError(source, f"unreadable geometry ({exc})", row=number,
                               column="geometry") from exc
        out.append((dict(feature.get("properties") or {}),
                    _check_geometry(geom, source, number)))
    return out


def _from_csv(data: bytes, source: str) -> list[tuple[dict, BaseGeometry]]:
    frame = read_portal_csv(data, source)
    lowered = {c.lower(): c for c in frame.columns}
    column = next((lowered[g.lower()] for g in GEOMETRY_COLUMNS if g.lower() in lowered), None)
    if column is None:
        raise LandingError(source, "this CSV has no geometry column (the portal CSV export "
                           "holds centroids only): use the GeoJSON resource", row=1)
    out = []
    for index, row in enumerate(frame.iter_rows(named=True)):
        text = (row[column] or "").strip()
        try:
            geom = shape(json.loads(text)) if text.startswith("{") else shapely.from_wkt(text)
        except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
            raise LandingError(source, "geometry is neither WKT nor GeoJSON", row=index + 2,
                               column=column) from exc
        props = {k: v for k, v in row.items() if k != column}
        out.append((props, _check_geometry(geom, source, index + 2)))
    return out


def read_boundaries(data: bytes, source: str) -> list[tuple[dict, BaseGeometry]]:
    """Features of a GeoJSON or CSV boundary file as (properties, shapely geometry)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"{":
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise LandingError(source, "encoding: GeoJSON must be UTF-8") from exc
        except json.JSONDecodeError as exc:
            raise LandingError(source, f"invalid JSON at line {exc.lineno} column "
                               f"{exc.colno}: {exc.msg}") from exc
        return _from_geojson(doc, source)
    return _from_csv(data, source)


def _int_property(props: dict, names: tuple[str, ...], source: str, row: int) -> int | None:
    for name in names:
        for key, value in props.items():
            if key.lower() == name.lower() and value not in (None, ""):
                try:
                    number = float(str(value).replace(",", "."))
                except ValueError as exc:
                    raise LandingError(source, f"{value!r} is not a whole number", row=row,
                                       column=key) from exc
                if number != int(number):
                    raise LandingError(source, f"{value!r} is not a whole number", row=row,
                                       column=key)
                return int(number)
    return None


def _text_property(props: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        for key, value in props.items():
            if key.lower() == name.lower() and value not in (None, ""):
                return str(value).strip()
    return None


def _collection(features: list[tuple[dict, BaseGeometry]]) -> dict:
    return {"type": "FeatureCollection", "crs": CRS84, "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)}
        for props, geom in features]}


def _require_unique(ids: list[int], source: str, column: str) -> None:
    seen: dict[int, int] = {}
    for row, value in enumerate(ids, start=1):
        if value in seen:
            raise LandingError(source, f"duplicate {column} {value} (also feature "
                               f"{seen[value]})", row=row, column=column)
        seen[value] = row


def nil_landing(features: list[tuple[dict, BaseGeometry]], source: str, fonte: str) -> dict:
    """The ``geo_nil`` landing document: ID_NIL, NIL, MUNICIPIO (when known), Fonte."""
    out = []
    for row, (props, geom) in enumerate(features, start=1):
        nil_id = _int_property(props, ("ID_NIL",), source, row)
        name = _text_property(props, ("NIL", "NOME_NIL"))
        if nil_id is None:
            raise LandingError(source, "missing NIL number", row=row, column="ID_NIL")
        if name is None:
            raise LandingError(source, "missing NIL name", row=row, column="NIL")
        municipio = _int_property(props, ("MUNICIPIO",), source, row)
        clean = {"ID_NIL": nil_id, "NIL": name,
                 "Fonte": f"{fonte} ({_text_property(props, ('Fonte',))})"
                 if _text_property(props, ("Fonte",)) else fonte}
        if municipio is not None:
            clean["MUNICIPIO"] = municipio
        valid_from = _text_property(props, ("Valido_dal",))
        if valid_from:
            clean["Valido_dal"] = valid_from
        out.append((clean, geom))
    _require_unique([p["ID_NIL"] for p, _ in out], source, "ID_NIL")
    return _collection(sorted(out, key=lambda f: f[0]["ID_NIL"]))


def municipi_landing(features: list[tuple[dict, BaseGeometry]], source: str,
                     fonte: str) -> dict:
    """The ``geo_municipi`` landing document: MUNICIPIO 1-9 and Fonte."""
    out = []
    for row, (props, geom) in enumerate(features, start=1):
        number = _int_property(props, ("MUNICIPIO", "MUNICIPI", "ID_MUNICIPIO"), source, row)
        if number is None or not 1 <= number <= 9:
            raise LandingError(source, f"municipio number {number!r} is not 1-9", row=row,
                               column="MUNICIPIO")
        out.append(({"MUNICIPIO": number, "Fonte": fonte}, geom))
    _require_unique([p["MUNICIPIO"] for p, _ in out], source, "MUNICIPIO")
    return _collection(sorted(out, key=lambda f: f[0]["MUNICIPIO"]))


def frame_of(document: dict) -> pl.DataFrame:
    """Properties of a landing collection as a frame (for summaries and tests)."""
    return pl.DataFrame([f["properties"] for f in document["features"]])
