"""Housing (ERP): programme calibration, vacancy consistency, the real extract format, bad files."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl.build import BuildContext
from etl.domains.housing import CONTRACTS
from etl.domains.housing.marts import check_consistency
from etl.validate import LandingError, check_foreign_keys, read_landing

C = {c.name: c for c in CONTRACTS}


@pytest.fixture(scope="module")
def con(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def rows(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


# ------------------------------------------------------------------ calibration


def test_recovery_project_is_80_units_in_18_complexes(con):
    assert rows(con, "SELECT count(*), count(DISTINCT complex_id) FROM mart.housing_units "
                     "WHERE project_code = 'MI4.1.1.c'") == [(80, 18)]
    assert rows(con, "SELECT count(*) FROM mart.housing_complexes "
                     "WHERE project_code = 'MI4.1.1.c'") == [(18,)]
    works = rows(con, "SELECT count(*), min(year(start_date)), max(year(start_date)), "
                      "bool_and(cost_eur > 0), count(*) FILTER (stage = 'completed') "
                      "FROM mart.housing_renovations WHERE project_code = 'MI4.1.1.c'")[0]
    assert works[0] == 80 and works[1] >= 2018 and works[2] <= 2023 and works[3]
    assert works[4] > 40  # most works are completed


def test_completed_recovered_units_are_mostly_assigned_after_the_works(con):
    late = rows(con, """
        SELECT count(*) FROM mart.housing_renovations r JOIN staging.housing_assignments a USING (unit_id)
        WHERE r.project_code = 'MI4.1.1.c' AND a.assigned_on < r.end_date""")
    assert late == [(0,)]
    status = dict(rows(con, "SELECT u.status, count(*) FROM mart.housing_units u "
                            "WHERE project_code = 'MI4.1.1.c' GROUP BY 1"))
    assert status.get("occupied", 0) > status.get("renovated", 0)
    assert set(status) <= {"occupied", "renovated", "under_renovation"}


def test_living_in_the_village_farmhouse_is_in_qt8(con):
    found = rows(con, """
        SELECT c.project_code, n.name, c.units FROM mart.housing_complexes c
        JOIN mart.geo_nil n USING (nil_id) WHERE c.address = 'via De Lemene 51/55/59'""")
    assert len(found) == 1
    code, nil_name, units = found[0]
    assert code == "MI4.1.1.a" and nil_name.upper() == "QT8" and units > 0


def test_stock_size_and_periphery(con):
    complexes, units = rows(con, "SELECT count(DISTINCT complex_id), count(*) "
                                 "FROM mart.housing_units")[0]
    assert 140 <= complexes <= 170 and 2000 <= units <= 6000
    centre = rows(con, "SELECT count(*) FILTER (municipio_id = 1) / count(*) "
                       "FROM mart.housing_complexes")[0][0]
    assert centre < 0.05


def test_every_complex_is_placed_by_containment(con, warehouse):
    from etl.geo import Geography

    geo = Geography.from_frame(con.sql("SELECT nil_id, municipio_id, geometry "
                                       "FROM mart.geo_nil").pl())
    mart = con.sql("SELECT lon, lat, nil_id, municipio_id FROM mart.housing_complexes").pl()
    again = geo.with_areas(mart.drop("nil_id", "municipio_id"))
    assert again["nil_id"].to_list() == mart["nil_id"].to_list()
    assert mart["nil_id"].null_count() == 0


# ------------------------------------------------------------- vacancy consistency


def test_vacant_since_is_given_exactly_for_units_without_tenant(con):
    assert rows(con, """
        SELECT count(*) FROM mart.housing_units
        WHERE (status = 'occupied') = (vacant_since IS NOT NULL)""") == [(0,)]
    assert rows(con, "SELECT max(vacant_since) <= DATE '2023-12-31' "
                     "FROM mart.housing_units") == [(True,)]


def test_last_month_vacancy_matches_the_unit_statuses(con):
    mart = dict(rows(con, "SELECT municipio_id, vacant_units FROM mart.housing_vacancy_monthly "
                          "WHERE month = DATE '2023-12-01'"))
    units = dict(rows(con, "SELECT municipio_id, count(*) FROM mart.housing_units "
                           "WHERE status <> 'occupied' GROUP BY 1"))
    assert mart == {m: units.get(m, 0) for m in mart}


def test_vacancy_series_is_complete_and_assignments_add_up(con):
    months, municipi, assigned = rows(con, """
        SELECT count(DISTINCT month), count(DISTINCT municipio_id), sum(assigned_units)
        FROM mart.housing_vacancy_monthly""")[0]
    assert months == 96 and municipi == 9
    assert assigned == rows(con, "SELECT count(*) FROM staging.housing_assignments")[0][0]
    busy = rows(con, "SELECT count(*) FROM (SELECT month FROM mart.housing_vacancy_monthly "
                     "GROUP BY month HAVING sum(assigned_units) > 0)")[0][0]
    assert busy >= 90  # assignments happen nearly every month 2016-2023


def test_units_by_nil_covers_every_nil_and_adds_up(con):
    assert rows(con, "SELECT count(*) FROM mart.housing_units_by_nil") == [(88 * 4,)]
    assert rows(con, "SELECT sum(units) FROM mart.housing_units_by_nil") == \
        rows(con, "SELECT count(*) FROM mart.housing_units")


# ------------------------------------------------------------ the real file format


def test_demo_extract_is_written_like_the_erp_export(demo_landing):
    raw = (demo_landing / "housing" / "complexes.csv").read_bytes()
    assert raw.split(b"\n", 1)[0].count(b";") == 5
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Latin-1 accented names, as exported
    frame = read_landing(C["housing_complexes"], demo_landing / "housing" / "complexes.csv")
    assert frame["lon"].dtype == pl.Float64 and frame["name"].str.contains("à").any()


# --------------------------------------------------------------------- bad files


def write(tmp_path: Path, name: str, text: str, encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


UNITS_HEADER = ("unit_id;complex_id;floor;floor_area_m2;rooms;status;accessible;vacant_since;"
                "project_code\n")


def ctx_for(landing: Path) -> BuildContext:
    return BuildContext(landing=landing, build_id="t", built_at=datetime.now(UTC), manifest={})



def test_status_outside_the_enum_is_named(tmp_path):
    path = write(tmp_path, "units.csv", UNITS_HEADER + "1;1001;2;55,5;2;occupied;si;;\n"
                 "2;1001;2;55,5;2;sfitto;no;2020-01-01;\n")
    with pytest.raises(LandingError) as err:
        read_landing(C["housing_units"], path)
    assert (err.value.row, err.value.column) == (3, "status")
    assert "'sfitto' is not one of occupied" in str(err.value)


def test_huge_and_negative_values_are_refused(tmp_path):
    path = write(tmp_path, "units.csv", UNITS_HEADER + "1;1001;2;9999999;2;vacant;si;2020-01-01;\n")
    with pytest.raises(LandingError, match="above the maximum") as err:
        read_landing(C["housing_units"], path)
    assert err.value.column == "floor_area_m2"


def test_orphan_complex_is_named(tmp_path):
    path = write(tmp_path, "units.csv", UNITS_HEADER + "1;424242;2;55;2;vacant;si;2020-01-01;\n")
    frame = read_landing(C["housing_units"], path)
    with pytest.raises(LandingError, match="no match in housing_complexes") as err:
        check_foreign_keys(C["housing_units"], path, frame,
                           {"housing_complexes.complex_id": pl.Series([1001])})
    assert (err.value.row, err.value.column) == (2, "complex_id")


def test_occupied_unit_with_vacant_since_is_an_error_naming_the_row(tmp_path, staged):
    landing = tmp_path / "landing"
    (landing / "housing").mkdir(parents=True)
    units = write(landing / "housing", "units.csv", UNITS_HEADER +
                  "1;1001;2;55;2;vacant;si;2020-01-01;\n2;1001;0;40;1;occupied;no;2021-03-01;\n")
    frame = read_landing(C["housing_units"], units)
    empty_works = pl.DataFrame(schema={"end_date": pl.Date, "start_date": pl.Date,
                                       "stage": pl.String})
    empty_assign = pl.DataFrame(schema={"vacant_from": pl.Date, "assigned_on": pl.Date})
    with pytest.raises(LandingError, match="occupied unit") as err:
        check_consistency(staged(housing_units=frame, housing_renovations=empty_works,
                                 housing_assignments=empty_assign), ctx_for(landing))
    assert err.value.file.endswith("housing/units.csv")
    assert (err.value.row, err.value.column) == (3, "vacant_since")


def test_works_ending_before_they_start_are_refused(tmp_path, staged):
    path = write(tmp_path, "renovations.csv",
                 "work_id;unit_id;project_code;start_date;end_date;cost_eur;stage\n"
                 "1;1;MI4.1.1.c;2021-05-01;2020-01-01;30000,00;completed\n")
    works = read_landing(C["housing_renovations"], path)
    units = pl.DataFrame(schema={"unit_id": pl.Int64, "status": pl.String,
                                 "vacant_since": pl.Date})
    assign = pl.DataFrame(schema={"vacant_from": pl.Date, "assigned_on": pl.Date})
    with pytest.raises(LandingError, match="before start_date") as err:
        check_consistency(staged(housing_units=units, housing_renovations=works,
                                 housing_assignments=assign), ctx_for(tmp_path))
    assert (err.value.row, err.value.column) == (2, "end_date")


def test_hostile_names_are_kept_as_plain_text(tmp_path):
    hostile = "Robert'); DROP TABLE mart.housing_units;-- <script>alert(1)</script>"
    path = write(tmp_path, "complexes.csv",
                 "complex_id;name;address;lon;lat;project_code\n"
                 f'1;"{hostile}";via Roma 1;9,19;45,46;\n', encoding="utf-8")
    frame = read_landing(C["housing_complexes"], path)
    assert frame["name"].to_list() == [hostile]


def test_utf16_extract_is_refused(tmp_path):
    path = write(tmp_path, "complexes.csv", "complex_id;name\n1;x\n", encoding="utf-16")
    with pytest.raises(LandingError, match="UTF-16"):
        read_landing(C["housing_complexes"], path)


def test_missing_column_is_named(tmp_path, demo_landing):
    src = demo_landing / "housing" / "units.csv"
    text = src.read_bytes().decode("cp1252").replace(";status;", ";stato;", 1)
    path = write(tmp_path, "units.csv", text)
    with pytest.raises(LandingError, match="missing column.*status") as err:
        read_landing(C["housing_units"], path)
    assert err.value.row == 1
    shutil.rmtree(tmp_path, ignore_errors=True)
