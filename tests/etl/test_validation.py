"""Every validation rule of the landing contracts, each with a file that breaks it.

Accepted variants of real portal files (BOM, CRLF, ';', decimal comma, Latin-1)
must load with the same values as the plain UTF-8 file.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from etl.contracts import Column, Contract
from etl.validate import LandingError, check_foreign_keys, read_landing

SITES = Contract(
    name="t_sites", path="sites.csv", format="csv", description="test", source="test",
    columns=(
        Column("site_id", "int", unique=True, min=1),
        Column("name", "str"),
        Column("kind", "str", enum=("dormitory", "shelter")),
        Column("capacity", "int", min=0),
        Column("share", "float", min=0, max=1, nullable=True),
        Column("opened_on", "date", nullable=True),
        Column("accessible", "bool", nullable=True),
    ),
)
USAGE = Contract(
    name="t_usage", path="usage.csv", format="csv", description="test", source="test",
    key=("month", "site_id"),
    columns=(
        Column("month", "month"),
        Column("site_id", "int", fk="t_sites.site_id"),
        Column("users", "int", min=0),
        Column("observed_at", "datetime", nullable=True, required=False),
    ),
)
AREAS = Contract(
    name="t_areas", path="areas.geojson", format="geojson", description="test", source="test",
    geometry_types=("Polygon",), columns=(Column("ID", "int", unique=True),),
)

GOOD = ("site_id,name,kind,capacity,share,opened_on,accessible\n"
        "1,Casa Jannacci,dormitory,120,0.5,2019-03-01,si\n"
        "2,Città Studi,shelter,30,,,no\n")


def write(tmp_path: Path, text: str | bytes, name: str = "sites.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def error_of(contract: Contract, path: Path) -> LandingError:
    with pytest.raises(LandingError) as info:
        read_landing(contract, path)
    return info.value


def test_good_file_is_typed(tmp_path):
    frame = read_landing(SITES, write(tmp_path, GOOD))
    assert frame.schema["capacity"] == pl.Int64
    assert frame.schema["opened_on"] == pl.Date
    assert frame["accessible"].to_list() == [True, False]
    assert frame["name"][1] == "Città Studi"


@pytest.mark.parametrize("variant", ["bom", "crlf", "semicolon_decimal_comma", "latin1"])
def test_portal_variants_load_identically(tmp_path, variant):
    text = GOOD
    if variant == "semicolon_decimal_comma":
        text = text.replace(",", ";").replace("0.5", "0,5")
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    raw = text.encode("cp1252" if variant == "latin1" else "utf-8")
    if variant == "bom":
        raw = b"\xef\xbb\xbf" + raw
    frame = read_landing(SITES, write(tmp_path, raw))
    expected = read_landing(SITES, write(tmp_path, GOOD, "plain.csv"))
    assert frame.columns == expected.columns  # no BOM left in the first header
    assert frame.equals(expected)


def test_wrong_encoding_utf16(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.encode("utf-16")))
    assert "encoding" in str(err) and "sites.csv" in str(err)


def test_empty_file(tmp_path):
    assert "empty" in str(error_of(SITES, write(tmp_path, "")))
    assert "empty" in str(error_of(SITES, write(tmp_path, b"\xef\xbb\xbf\r\n")))


def test_header_only(tmp_path):
    assert "no data rows" in str(error_of(SITES, write(tmp_path, GOOD.splitlines()[0] + "\n")))


def test_missing_column_names_it(tmp_path):
    text = GOOD.replace(",capacity", "").replace(",120", "").replace(",30", "")
    err = error_of(SITES, write(tmp_path, text))
    assert err.row == 1 and "capacity" in str(err)


def test_wrong_type_names_row_and_column(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace("120", "centoventi")))
    assert (err.row, err.column) == (2, "capacity")
    assert "'centoventi' is not a whole number" in str(err)


def test_bad_date(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace("2019-03-01", "2019-13-45")))
    assert (err.row, err.column) == (2, "opened_on")


def test_negative_count(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace(",30,", ",-3,")))
    assert (err.row, err.column) == (3, "capacity") and "minimum" in str(err)


def test_value_above_maximum(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace("0.5", "7.5")))
    assert err.column == "share" and "maximum" in str(err)


def test_huge_number(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace("120", "9" * 40)))
    assert err.column == "capacity"


def test_enum(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace("shelter", "hotel")))
    assert (err.row, err.column) == (3, "kind") and "dormitory" in str(err)


def test_required_value_missing(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD.replace("Casa Jannacci", "")))
    assert (err.row, err.column) == (2, "name")


def test_duplicate_key_single_column(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD + "1,Copy,shelter,3,,,\n"))
    assert err.column == "site_id" and err.row == 4 and "duplicate" in str(err)


def test_duplicate_composite_key(tmp_path):
    text = "month,site_id,users\n2023-01,1,5\n2023-02,1,6\n2023-01,1,7\n"
    err = error_of(USAGE, write(tmp_path, text, "usage.csv"))
    assert err.row == 4 and "duplicate key" in str(err)


def test_ragged_row(tmp_path):
    err = error_of(SITES, write(tmp_path, GOOD + "3,Broken,shelter\n"))
    assert err.row == 4 and "fields" in str(err)


def test_datetime_offsets_are_converted_to_utc(tmp_path):
    text = ("month,site_id,users,observed_at\n2023-01,1,5,2023-01-01T10:00:00+01:00\n"
            "2023-02,1,6,2023-01-01T09:00:00Z\n2023-03,1,6,2023-01-01 09:00\n")
    frame = read_landing(USAGE, write(tmp_path, text, "usage.csv"))
    assert frame["observed_at"].n_unique() == 1


def test_orphan_foreign_key_error_names_row(tmp_path):
    sites = read_landing(SITES, write(tmp_path, GOOD))
    usage_path = write(tmp_path, "month,site_id,users\n2023-01,1,5\n2023-01,9,6\n", "usage.csv")
    usage = read_landing(USAGE, usage_path)
    with pytest.raises(LandingError) as info:
        check_foreign_keys(USAGE, usage_path, usage, {"t_sites.site_id": sites["site_id"]})
    assert (info.value.row, info.value.column) == (3, "site_id")


def test_orphan_foreign_key_report_policy_counts_orphans(tmp_path):
    report = Contract(**{**USAGE.__dict__, "columns": tuple(
        Column(c.name, c.dtype, fk=c.fk, fk_policy="report", nullable=c.nullable,
               required=c.required)
        for c in USAGE.columns)})
    usage_path = write(tmp_path, "month,site_id,users\n2023-01,1,5\n2023-02,9,6\n"
                       "2023-03,9,6\n", "usage.csv")
    usage = read_landing(report, usage_path)
    findings = check_foreign_keys(report, usage_path, usage,
                                  {"t_sites.site_id": pl.Series([1, 2])})
    assert findings[0]["rows"] == 2 and findings[0]["values"] == "9"


def feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


SQUARE = {"type": "Polygon", "coordinates": [[[9.1, 45.4], [9.2, 45.4], [9.2, 45.5],
                                              [9.1, 45.4]]]}


def test_geojson_good_and_bad(tmp_path):
    doc = {"type": "FeatureCollection", "features": [feature(SQUARE, ID=1)]}
    frame = read_landing(AREAS, write(tmp_path, json.dumps(doc), "areas.geojson"))
    assert json.loads(frame["geometry"][0])["type"] == "Polygon"

    point = {"type": "Point", "coordinates": [9.1, 45.4]}
    doc["features"].append(feature(point, ID=2))
    err = error_of(AREAS, write(tmp_path, json.dumps(doc), "areas.geojson"))
    assert (err.row, err.column) == (2, "geometry")

    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "EPSG:3003"}}, "features": [feature(SQUARE, ID=1)]}
    assert "WGS84" in str(error_of(AREAS, write(tmp_path, json.dumps(doc), "areas.geojson")))
    assert "invalid JSON" in str(error_of(AREAS, write(tmp_path, '{"type": "Feat',
                                                       "areas.geojson")))


def test_rule_counts_equal_the_rows_each_rule_flags():
    """The fast route's counts, a single-column key's in the table's one pass (no second
    DISTINCT scan): repeats beyond a key's first row, NULL keys as one value, orphans."""
    import duckdb

    from etl.validate import count_violations, rules
    key_one = Contract(name="t_one", path="one.csv", format="csv", description="t",
                       source="t", key=("code",), columns=(
                           Column("code", "str", nullable=True),
                           Column("site_id", "int", nullable=True, fk="t_sites.site_id"),
                           Column("ref", "str", nullable=True, unique=True,
                                  fk="t_refs.ref", fk_policy="report")))
    rows = [("a", 1, "x"), ("a", 9, "x"), (None, 9, None), (None, None, "y"), (None, 7, "q"),
            ("b", 2, None), ("c", 9, "z"), ("c", 9, "z")]
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (code VARCHAR, site_id BIGINT, ref VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        con.execute("CREATE TABLE sites AS SELECT * FROM (VALUES (1), (2), (NULL)) v(site_id)")
        con.execute("CREATE TABLE refs AS SELECT * FROM (VALUES ('x'), ('y')) v(ref)")
        checks = rules(key_one, ["code", "site_id", "ref"], "t",
                       {"t_sites.site_id": ("sites", "site_id"), "t_refs.ref": ("refs", "ref")},
                       raw=False)
        counts = dict(zip([(r.kind, r.column and r.column.name) for r in checks],
                          count_violations(con, "t", checks), strict=True))
        flagged = {(r.kind, r.column and r.column.name): con.execute(  # noqa: S608
            f"SELECT count(*) FILTER (WHERE __bad) FROM (SELECT ({r.where}) AS __bad FROM t)"
        ).fetchall()[0][0] for r in checks}
    # repeats beyond the first: 'a' once, NULL twice, 'c' once; orphans: 9 x4 and 7;
    # 'q' and 'z' x2; 'x' twice and 'z' twice (NULL refs are not duplicates)
    assert counts == {("key", None): 4, ("fk", "site_id"): 5, ("fk", "ref"): 3,
                      ("unique", "ref"): 2}
    assert flagged[("fk", "site_id")] == 5 and flagged[("fk", "ref")] == 3
    assert flagged[("key", None)] == 7  # every row of a repeated key (NULL included)
