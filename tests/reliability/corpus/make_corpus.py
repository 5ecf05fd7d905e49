"""Regenerate the fixed corpus of bad landing files (``python make_corpus.py``).

The corpus is committed: this script only documents how each file was made, so a
reviewer can see the one defect every file carries. Each file is a small valid
landing file with exactly one thing wrong; ``cases.json`` says which landing file
it replaces (or, for partitions, joins) and which words its error must contain.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
AXES_HEADER = ("axis_id,name_it,name_en,fund,thematic_objective,category_of_region,"
               "calculation_basis,allocation_eur,cofinancing_rate,source,verified")
AXES_ROWS = [
    "1,Agenda digitale,Digital agenda,FESR,OT2,more_developed,public,10000000,0.5,corpus,true",
    "2,Mobilità sostenibile,Sustainable mobility,FESR,OT4,more_developed,public,20000000,0.5,"
    "corpus,true",
    "3,Servizi per l'inclusione,Inclusion services,FSE,OT9,more_developed,public,15000000,0.5,"
    "corpus,true",
    "4,Infrastrutture sociali,Social infrastructure,FESR,OT9,more_developed,public,25000000,0.5,"
    "corpus,false",
    "5,Assistenza tecnica,Technical assistance,FESR,,more_developed,public,1000000,0.5,corpus,"
    "false",
]
STATION_HEADER = "station_id,name,lat,lon,capacity"
STATUS_HEADER = ("station_id,last_reported,num_vehicles_available,num_docks_available,"
                 "is_installed,is_renting,is_returning")
STATUS_ROW = "corpus-1,2099-12-01T10:00:00Z,3,7,true,true,true"
AXES, STATIONS = "programme/axes.csv", "mobility/station_information.csv"
STATUS, NIL = "mobility/station_status/2099-12.csv", "geography/nil.geojson"

SQUARE = [[[9.18, 45.46], [9.19, 45.46], [9.19, 45.47], [9.18, 45.47], [9.18, 45.46]]]


def axes(*rows: str, header: str = AXES_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def replace_cell(row: str, index: int, value: str) -> str:
    cells = row.split(",")
    cells[index] = value
    return ",".join(cells)


def feature(nil_id: object = 1, geometry: object = None, **props: object) -> dict:
    return {"type": "Feature",
            "properties": {"ID_NIL": nil_id, "NIL": f"Corpus {nil_id}", "MUNICIPIO": 1,
                           **props},
            "geometry": geometry if geometry is not None else
            {"type": "Polygon", "coordinates": SQUARE}}


def collection(*features: dict, **extra: object) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": list(features)})


def cases() -> list[tuple[str, str, bytes, list[str]]]:
    """(file name, landing target, content, words the error must contain)."""
    a = AXES_ROWS
    text: list[tuple[str, str, str, list[str]]] = [
        ("empty.csv", AXES, "", ["file is empty"]),
        ("bom-only.csv", AXES, "\ufeff \n", ["file is empty"]),
        ("header-only.csv", AXES, AXES_HEADER + "\n", ["no data rows"]),
        ("missing-column.csv", AXES, axes(*[",".join(r.split(",")[:3] + r.split(",")[4:])
                                            for r in a], header=AXES_HEADER.replace(
                                                "fund,", "")), ["missing column", "fund"]),
        ("duplicate-header.csv", AXES, axes(*[r + ",x" for r in a],
                                            header=AXES_HEADER + ",fund"),
         ["row 1", "duplicate column names"]),
        ("pipe-separator.csv", AXES, axes(*[r.replace(",", "|") for r in a],
                                          header=AXES_HEADER.replace(",", "|")),
         ["row 1", "missing column"]),
        ("ragged-row.csv", AXES, axes(a[0], a[1] + ",extra", *a[2:]),
         ["row 3", "expected 11 fields, found 12"]),
        ("truncated.csv", AXES, axes(*a[:4], a[4][:25]).rstrip("\n"),
         ["row 6", "expected 11 fields"]),
        ("unbalanced-quote.csv", AXES, axes(a[0], replace_cell(a[1], 1, '"Mobilità'),
                                            *a[2:]), ["axes.csv"]),
        ("int-as-word.csv", AXES, axes(replace_cell(a[0], 0, "uno"), *a[1:]),
         ["row 2", "column 'axis_id'", "'uno' is not a whole number"]),
        ("float-garbage.csv", AXES, axes(a[0], replace_cell(a[1], 7, "1.2.3e"), *a[2:]),
         ["row 3", "column 'allocation_eur'", "is not a number"]),
        ("bool-garbage.csv", AXES, axes(*a[:3], replace_cell(a[3], 10, "forse"), a[4]),
         ["row 5", "column 'verified'", "true/false"]),
        ("enum-unknown.csv", AXES, axes(replace_cell(a[0], 3, "FEASR"), *a[1:]),
         ["row 2", "column 'fund'", "is not one of FESR, FSE"]),
        ("below-minimum.csv", AXES, axes(a[0], a[1], replace_cell(a[2], 8, "-0.5"), *a[3:]),
         ["row 4", "column 'cofinancing_rate'", "below the minimum"]),
        ("above-maximum.csv", AXES, axes(a[0], a[1], replace_cell(a[2], 8, "1.5"), *a[3:]),
         ["row 4", "column 'cofinancing_rate'", "above the maximum"]),
        ("huge-number.csv", AXES, axes(replace_cell(a[0], 7, "9" * 400), *a[1:]),
         ["row 2", "column 'allocation_eur'"]),
        ("infinity.csv", AXES, axes(replace_cell(a[0], 7, "inf"), *a[1:]),
         ["row 2", "column 'allocation_eur'"]),
        ("nan.csv", AXES, axes(replace_cell(a[0], 7, "NaN"), *a[1:]),
         ["row 2", "column 'allocation_eur'"]),
        ("empty-required.csv", AXES, axes(a[0], replace_cell(a[1], 1, ""), *a[2:]),
         ["row 3", "column 'name_it'", "empty value in a required column"]),
        ("duplicate-key.csv", AXES, axes(*a, a[1]), ["row 7", "column 'axis_id'", "duplicate"]),
        ("huge-line.csv", AXES, axes(*a, "x" * 300_000),
         ["row 7", "field larger than field limit"]),
        ("orphan-action-axis.csv", "programme/actions.csv",
         "action_code,axis_id,name_it,name_en,source,verified\n"
         "9.9.9,7,Azione orfana,Orphan action,corpus,true\n",
         ["row 2", "column 'axis_id'", "has no match in programme_axes.axis_id"]),
        ("latitude-out-of-city.csv", STATIONS,
         f"{STATION_HEADER}\ncorpus-1,Stazione,45.46,9.19,20\ncorpus-2,Polo Nord,90,9.19,20\n",
         ["row 3", "column 'lat'", "above the maximum"]),
        ("decimal-comma-unquoted.csv", STATIONS,
         f"{STATION_HEADER}\ncorpus-1,Stazione,45,46,9,19,20\n",
         ["row 2", "expected 5 fields, found 7"]),
        ("orphan-station.csv", "mobility/station_programme.csv",
         "station_id,intervention,project_code,docks_added,opened_on\n"
         "ZZZ-not-a-station,new,MI2.2.3.a,10,2019-03-20\n",
         ["row 2", "column 'station_id'", "has no match"]),
        ("gbfs-negative-vehicles.csv", STATUS,
         f"{STATUS_HEADER}\n{replace_cell(STATUS_ROW, 2, '-3')}\n",
         ["row 2", "column 'num_vehicles_available'", "below the minimum"]),
        ("gbfs-bad-timestamp.csv", STATUS,
         f"{STATUS_HEADER}\n{replace_cell(STATUS_ROW, 1, 'ieri alle 10')}\n",
         ["row 2", "column 'last_reported'", "is not a timestamp"]),
        ("gbfs-duplicate-snapshot.csv", STATUS, f"{STATUS_HEADER}\n{STATUS_ROW}\n{STATUS_ROW}\n",
         ["row 3", "duplicate key"]),
        ("gbfs-epoch-seconds.csv", STATUS,
         f"{STATUS_HEADER}\n{replace_cell(STATUS_ROW, 1, '4100000000')}\n",
         ["row 2", "column 'last_reported'", "is not a timestamp"]),
        ("bad-date.csv", "housing/assignments.csv",
         "unit_id,assigned_on,vacant_from\n1,31/02/2023,\n",
         ["row 2", "column 'assigned_on'", "is not a date"]),
        ("not-json.geojson", NIL, "{\"type\": \"FeatureCollection\", \"features\": [",
         ["invalid JSON at line 1"]),
        ("truncated.geojson", NIL, collection(feature(1), feature(2))[:-40],
         ["invalid JSON"]),
        ("bare-feature.geojson", NIL, json.dumps(feature(1)), ["expected a FeatureCollection"]),
        ("wrong-crs.geojson", NIL, collection(feature(1), crs={
            "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}}),
         ["must be WGS84", "32632"]),
        ("no-features.geojson", NIL, collection(), ["no features"]),
        ("point-geometry.geojson", NIL, collection(feature(1), feature(
            2, {"type": "Point", "coordinates": [9.19, 45.46]})),
         ["row 2", "column 'geometry'", "'Point' is not one of"]),
        ("null-geometry.geojson", NIL, collection(feature(1), {
            "type": "Feature", "properties": {"ID_NIL": 2, "NIL": "x"}, "geometry": None}),
         ["row 2", "column 'geometry'", "None is not one of"]),
        ("empty-coordinates.geojson", NIL, collection(feature(
            1, {"type": "Polygon", "coordinates": []})),
         ["row 1", "column 'geometry'", "no coordinates"]),
        ("duplicate-nil.geojson", NIL, collection(feature(1), feature(1)),
         ["column 'ID_NIL'", "duplicate value 1"]),
        ("nil-id-as-text.geojson", NIL, collection(feature("uno")),
         ["row 1", "column 'ID_NIL'", "is not a whole number"]),
    ]
    out = [(name, target, content.encode("utf-8"), expect)
           for name, target, content, expect in text]
    out += [
        ("utf16.csv", AXES, axes(*a).encode("utf-16"), ["encoding", "UTF-16"]),
        ("binary.csv", AXES, bytes(range(256)) * 4, ["encoding"]),
        ("undefined-cp1252-byte.csv", AXES,
         (axes(*a) + "6,Asse\x81,x,FESR,OT9,more_developed,public,1,0.5,c,true\n")
         .encode("utf-8").replace(b"\xc2\x81", b"\x81"),
         ["encoding: neither UTF-8 nor Latin-1"]),
        ("invalid-utf8-past-64k.csv", "housing/assignments.csv",
         b"unit_id;assigned_on;vacant_from\n" + b"1;2016-01-02;\n" * 6000
         + b"1;2016-01-\x810;\n", ["row 6002", "encoding: invalid UTF-8 byte"]),
        ("nul-bytes.csv", AXES, axes(*a).replace("Digital", "Dig\0ital").encode(),
         ["encoding"]),
        ("latin1.geojson", NIL, collection(feature(1, NIL="Città")).encode("latin-1")
         .replace(b"\\u00e0", "\u00e0".encode("latin-1")), ["must be UTF-8"]),
    ]
    return out


GBFS = [
    # (file, feed, content, words the error must contain)
    ("gbfs-not-json.json", "station_status", b"<html>502 Bad Gateway</html>",
     ["invalid JSON"]),
    ("gbfs-no-version.json", "station_status",
     json.dumps({"last_updated": 1700000000, "ttl": 60, "data": {"stations": []}}).encode(),
     ["no 'version' field"]),
    ("gbfs-status-wrong-types.json", "station_status", json.dumps({
        "last_updated": "2023-11-01T10:00:00Z", "ttl": 60, "version": "3.0",
        "data": {"stations": [{"station_id": "1", "num_vehicles_available": "many",
                               "is_installed": True, "is_renting": True,
                               "is_returning": True,
                               "last_reported": "2023-11-01T10:00:00Z"}]}}).encode(),
     ["fails the official schema", "num_vehicles_available"]),
    ("gbfs-information-no-data.json", "station_information", json.dumps({
        "last_updated": "2023-11-01T10:00:00Z", "ttl": 60, "version": "3.0"}).encode(),
     ["fails the official schema", "data"]),
]


def main() -> None:
    manifest = []
    for name, target, content, expect in cases():
        (HERE / name).write_bytes(content)
        manifest.append({"file": name, "target": target, "expect": expect})
    for name, feed, content, expect in GBFS:
        (HERE / name).write_bytes(content)
        manifest.append({"file": name, "gbfs_feed": feed, "expect": expect})
    (HERE / "cases.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                     "utf-8")


if __name__ == "__main__":
    main()
