"""Coordinates of portal CSV records: LONG_X_4326/LAT_Y_4326 or the "(lat, lon)" Location.

Every geocoded dataset on dati.comune.milano.it ends with the same suffix columns
(``MUNICIPIO;ID_NIL;NIL;LONG_X_4326;LAT_Y_4326;Location``), where ``Location`` holds
the point in *latitude-first* order. Older or re-exported files use ``GEO_X/GEO_Y`` or
plain ``lon/lat``. This module finds whichever is present and returns WGS84 lon/lat,
refusing values that are not coordinates instead of silently placing them elsewhere.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from etl.validate import LandingError, read_csv_text

#: (longitude column, latitude column) pairs, matched case-insensitively, in order.
COORDINATE_PAIRS = (
    ("LONG_X_4326", "LAT_Y_4326"),
    ("LONG_X_4326_CENTROID", "LAT_Y_4326_CENTROID"),
    ("GEO_X", "GEO_Y"),
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("longitudine", "latitudine"),
)
LOCATION_COLUMNS = ("Location", "LOCATION", "location", "Geo Point", "geo_point_2d")
#: Generous box around the Comune di Milano (lon_min, lat_min, lon_max, lat_max).
MILAN_BBOX = (8.9, 45.3, 9.5, 45.65)
_NUMBER = r"-?\d+(?:[.,]\d+)?"


def read_portal_csv(data: bytes, source: str) -> pl.DataFrame:
    """Read portal CSV bytes (';' or ',', CRLF, UTF-8 or Latin-1) as text columns."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
        tmp.write(data)
        tmp.flush()
        try:
            return read_csv_text(Path(tmp.name))
        except LandingError as exc:
            raise LandingError(source, exc.detail, exc.row, exc.column) from exc


def _column(frame: pl.DataFrame, name: str) -> str | None:
    lowered = {c.lower(): c for c in frame.columns}
    return lowered.get(name.lower())


def _to_float(frame: pl.DataFrame, column: str, source: str) -> pl.Series:
    text = frame[column].cast(pl.String).str.strip_chars().str.strip_chars('"')
    text = pl.select(pl.when(text == "").then(None).otherwise(text).alias(column)).to_series()
    values = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    bad = (text.is_not_null() & values.is_null()).arg_true()
    if not bad.is_empty():
        i = int(bad[0])
        raise LandingError(source, f"{text[i]!r} is not a coordinate", row=i + 2, column=column)
    return values


def _from_location(frame: pl.DataFrame, column: str, source: str) -> tuple[pl.Series, pl.Series]:
    text = frame[column].cast(pl.String).str.strip_chars()
    parts = text.str.extract_groups(rf"^\(?\s*({_NUMBER})\s*[,;]\s*({_NUMBER})\s*\)?$")
    lat_text, lon_text = parts.struct.field("1"), parts.struct.field("2")
    present = text.fill_null("") != ""
    bad = (present & lat_text.is_null()).arg_true()
    if not bad.is_empty():
        i = int(bad[0])
        raise LandingError(source, f"{text[i]!r} is not a '(lat, lon)' point", row=i + 2,
                           column=column)
    return (lon_text.str.replace(",", ".").cast(pl.Float64),
            lat_text.str.replace(",", ".").cast(pl.Float64))


def with_lonlat(frame: pl.DataFrame, source: str,
                bbox: tuple[float, float, float, float] | None = MILAN_BBOX) -> pl.DataFrame:
    """Add Float64 ``lon``/``lat`` from the coordinate columns found (null when absent).

    With ``bbox``, a point whose swapped coordinates fall inside the box while its
    own do not is an axis-order mistake and is refused, naming the row.
    """
    lon = lat = None
    used: list[str] = []
    for x_name, y_name in COORDINATE_PAIRS:
        x_col, y_col = _column(frame, x_name), _column(frame, y_name)
        if x_col and y_col:
            lon, lat = _to_float(frame, x_col, source), _to_float(frame, y_col, source)
            used = [x_col, y_col]
            break
    for name in LOCATION_COLUMNS:
        loc_col = _column(frame, name)
        if loc_col:
            loc_lon, loc_lat = _from_location(frame, loc_col, source)
            lon = loc_lon if lon is None else lon.fill_null(loc_lon)
            lat = loc_lat if lat is None else lat.fill_null(loc_lat)
            used.append(loc_col)
            break
    if lon is None or lat is None:
        raise LandingError(source, "no coordinate columns (expected LONG_X_4326/LAT_Y_4326, "
                           "a '(lat, lon)' Location column, GEO_X/GEO_Y or lon/lat)", row=1)
    column = ",".join(used)
    out_of_range = ((lon.abs() > 180) | (lat.abs() > 90)).fill_null(False).arg_true()
    if not out_of_range.is_empty():
        i = int(out_of_range[0])
        raise LandingError(source, f"({lon[i]}, {lat[i]}) is not WGS84 lon/lat (projected "
                           "coordinates? export the EPSG:4326 resource)", row=i + 2,
                           column=column)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        swapped = (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
        wrong = (~inside & swapped).fill_null(False).arg_true()
        if not wrong.is_empty():
            i = int(wrong[0])
            raise LandingError(source, f"longitude {lon[i]} and latitude {lat[i]} are swapped",
                               row=i + 2, column=column)
    return frame.with_columns(lon.alias("lon"), lat.alias("lat"))


def read_located(data: bytes, source: str,
                 bbox: tuple[float, float, float, float] | None = MILAN_BBOX) -> pl.DataFrame:
    """Any portal CSV of located records, with ``lon``/``lat`` added."""
    return with_lonlat(read_portal_csv(data, source), source, bbox)


def _index(geojson: Path, id_property: str, municipio_property: str | None):
    import json

    from etl.geo import Geography

    doc = json.loads(Path(geojson).read_text("utf-8"))
    rows = []
    for feature in doc["features"]:
        props = feature.get("properties") or {}
        municipio = props.get(municipio_property) if municipio_property else None
        rows.append({"nil_id": int(props[id_property]),
                     "municipio_id": int(municipio) if municipio not in (None, "") else -1,
                     "geometry": json.dumps(feature["geometry"])})
    return Geography.from_frame(pl.DataFrame(rows))


def place(frame: pl.DataFrame, nil_geojson: Path, municipi_geojson: Path | None = None
          ) -> pl.DataFrame:
    """Add ``nil_id``/``municipio_id`` by containment: NIL from a NIL GeoJSON, municipio
    from a municipi GeoJSON when given (else from the NIL file's MUNICIPIO property)."""
    placed = _index(nil_geojson, "ID_NIL", "MUNICIPIO").with_areas(frame)
    if municipi_geojson is not None:
        _, municipio = _index(municipi_geojson, "MUNICIPIO", "MUNICIPIO").assign(
            frame["lon"].to_numpy(), frame["lat"].to_numpy())
        placed = placed.with_columns(
            pl.Series("municipio_id", municipio).replace(-1, None).cast(pl.Int64))
    return placed
