"""Social services: programme calibration, no small count published anywhere, bad files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl.build import BuildContext
from etl.domains.social import CONTRACTS
from etl.domains.social.marts import USAGE_DIMS, USAGE_MARGINS, check_consistency
from etl.suppression import recoverable
from etl.validate import LandingError, check_foreign_keys, read_landing

C = {c.name: c for c in CONTRACTS}
SPACES = {"Crescenzago", "Gorla", "Niguarda", "Quarto Oggiaro", "Gallaratese",
          "Quarto Cagnino", "Barona", "Corvetto"}


@pytest.fixture(scope="module")
def con(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# ------------------------------------------------------------------ calibration


def test_nine_multifunctional_spaces_in_the_eight_neighbourhoods(con):
    found = rows(con, """
        SELECT s.project_code, n.name FROM mart.social_sites s JOIN mart.geo_nil n USING (nil_id)
        WHERE s.site_type = 'multifunctional_space'""")
    assert len(found) == 9
    assert {code for code, _ in found} == {"MI4.2.1.a"}
    assert {name.title() for _, name in found} == SPACES


def test_hub_has_50_beds_and_30_housing_units(con):
    hub = dict(rows(con, "SELECT capacity_unit, sum(capacity) FROM mart.social_sites "
                         "WHERE site_type = 'hub' AND project_code = 'MI4.1.1.b' GROUP BY 1"))
    assert hub == {"beds": 50, "units": 30}


def test_named_addresses_of_the_programme_exist(con):
    named = dict(rows(con, "SELECT address, project_code FROM mart.social_sites WHERE address "
                           "IN ('viale Ortles 69', 'via A. da Baggio 50', 'via Pucci 3')"))
    assert named == {"viale Ortles 69": "MI4.2.1.b", "via A. da Baggio 50": "MI4.2.1.b",
                     "via Pucci 3": "MI4.2.1.b"}
    assert rows(con, "SELECT site_type FROM mart.social_sites "
                     "WHERE address = 'viale Ortles 69'") == [("shelter",)]


def test_programme_sizes(con):
    sizes = dict(((t, p), (n, c)) for t, p, n, c in rows(con, """
        SELECT site_type, project_code, count(*), sum(capacity) FROM mart.social_sites
        GROUP BY ALL"""))
    assert sizes[("accessible_housing", "MI4.1.1.d")] == (20, 20)
    assert sizes[("temporary_housing", "MI4.1.1.e")] == (30, 30)
    assert sizes[("social_housing_beds", "MI1.1.1.b")][1] == 1000
    assert sizes[("social_housing_beds", "MI1.1.1.b")][0] >= 30
    assert sizes[("housing_agency_point", "MI3.1.1.a")][0] == 11
    assert sizes[("home_services_provider", "MI1.1.1.c")][0] > 0


def test_metropolitan_branches_lie_outside_the_city(con):
    agency = rows(con, "SELECT count(*) FILTER (nil_id IS NULL), "
                       "count(DISTINCT municipio_id) FROM mart.social_sites "
                       "WHERE site_type = 'housing_agency_point'")
    assert agency == [(2, 9)]


# ---------------------------------------------------------------- disclosure control


def test_raw_counts_are_small_often_so_suppression_matters(con):
    small = rows(con, "SELECT count(*) FROM staging.social_usage_monthly "
                      "WHERE users BETWEEN 1 AND 4")[0][0]
    assert small > 1000


def test_no_published_count_between_1_and_4(con):
    assert rows(con, "SELECT count(*) FROM mart.social_usage_monthly "
                     "WHERE users BETWEEN 1 AND 4") == [(0,)]
    assert rows(con, "SELECT count(*) FROM mart.social_usage_monthly "
                     "WHERE beneficiary_group = 'people_with_disabilities' "
                     "AND users BETWEEN 1 AND 9") == [(0,)]
    assert rows(con, "SELECT count(*) FROM mart.social_bed_occupancy_daily "
                     "WHERE beds_occupied BETWEEN 1 AND 4") == [(0,)]
    assert rows(con, "SELECT count(*) FILTER (beds_occupied IS NULL) FROM "
                     "mart.social_bed_occupancy_daily")[0][0] > 0


def test_flag_marks_exactly_the_null_cells_and_the_rate_hides_with_them(con):
    for table, value in (("social_usage_monthly", "users"),
                         ("social_bed_occupancy_daily", "beds_occupied")):
        assert rows(con, f"SELECT count(*) FROM mart.{table} WHERE ({value} IS NULL) <> "
                         "coalesce(flag = 'c', false)") == [(0,)]
    assert rows(con, "SELECT count(*) FROM mart.social_bed_occupancy_daily WHERE "
                     "(occupancy_rate IS NULL) <> (beds_occupied IS NULL) "
                     "OR occupancy_rate NOT BETWEEN 0 AND 1") == [(0,)]


def test_no_suppressed_usage_cell_can_be_recomputed(con):
    published = con.sql("SELECT * FROM mart.social_usage_monthly").pl()
    for margin in USAGE_MARGINS:
        groups = published.group_by(margin).agg(
            pl.len().alias("size"), (pl.col("flag") == "c").sum().alias("hidden"))
        assert groups.filter((pl.col("size") > 1) & (pl.col("hidden") == 1)).is_empty()
    assert not recoverable(published, USAGE_DIMS, partition=("month",),
                           margins=USAGE_MARGINS).any()


def test_service_totals_are_exact_protected_and_consistent(con):
    raw = dict(((m, s), n) for m, s, n in rows(con, """
        SELECT u.month, u.service, sum(u.users) FROM staging.social_usage_monthly u
        GROUP BY ALL"""))
    totals = rows(con, "SELECT month, service, users, flag FROM "
                       "mart.social_usage_total_monthly")
    assert len(totals) == len(raw)
    for month, service, users, flag in totals:
        assert (users is None) == (flag == "c")
        assert users is None or users == raw[(month, service)]
        assert users is None or not 1 <= users <= 4
    # where no cell of the service is hidden, the cells add up to the published total
    mismatch = rows(con, """
        SELECT count(*) FROM mart.social_usage_total_monthly t JOIN (
            SELECT month, service, sum(users) AS users FROM mart.social_usage_monthly
            GROUP BY ALL HAVING bool_and(flag IS NULL)) c USING (month, service)
        WHERE t.users <> c.users""")
    assert mismatch == [(0,)]


def test_published_values_and_clean_totals_equal_the_raw_ones(con):
    raw = con.sql("""
        SELECT u.month, s.municipio_id, u.service, u.beneficiary_group, sum(u.users) AS raw
        FROM staging.social_usage_monthly u JOIN mart.social_sites s USING (site_id)
        GROUP BY ALL""").pl()
    pub = con.sql("SELECT * FROM mart.social_usage_monthly").pl()
    both = pub.join(raw, on=list(USAGE_DIMS), how="full", nulls_equal=True, coalesce=True)
    assert both.height == pub.height == raw.height
    shown = both.filter(pl.col("flag").is_null())
    assert (shown["users"] == shown["raw"]).all()
    rows_total = both.group_by("month", "municipio_id", "service").agg(
        pl.col("users").sum(), pl.col("raw").sum(), pl.col("flag").is_not_null().any().alias("hit"))
    clean = rows_total.filter(~pl.col("hit"))
    assert clean.height > 0 and (clean["users"] == clean["raw"]).all()


def test_no_mart_anywhere_republishes_a_small_social_count(con):
    """Guard for later marts (aggregates, API views): every social count stays protected."""
    columns = rows(con, "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = 'mart' AND column_name IN "
                        "('users', 'beds_occupied', 'beneficiaries')")
    assert ("social_usage_monthly", "users") in columns
    for table, column in columns:
        assert rows(con, f'SELECT count(*) FROM mart."{table}" '
                         f'WHERE "{column}" BETWEEN 1 AND 4') == [(0,)], table


# --------------------------------------------------------------------- bad files


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def ctx_for(landing: Path) -> BuildContext:
    return BuildContext(landing=landing, build_id="t", built_at=datetime.now(UTC), manifest={})



SITES_HEADER = "site_id,name,site_type,capacity,capacity_unit,address,lon,lat,project_code," \
               "opened_on\n"


def test_site_type_outside_the_enum_is_named(tmp_path):
    path = write(tmp_path, "sites.csv", SITES_HEADER +
                 "1,Casa,shelter,10,beds,via X 1,9.19,45.46,,2020-01-01\n"
                 "2,Bar,casino,10,beds,via X 2,9.19,45.46,,2020-01-01\n")
    with pytest.raises(LandingError, match="'casino' is not one of") as err:
        read_landing(C["social_sites"], path)
    assert (err.value.row, err.value.column) == (3, "site_type")


def test_negative_users_are_refused(tmp_path):
    path = write(tmp_path, "usage.csv", "month,site_id,service,beneficiary_group,users\n"
                 "2023-01,1,meals,homeless_people,12\n2023-02,1,meals,homeless_people,-3\n")
    with pytest.raises(LandingError, match="below the minimum") as err:
        read_landing(C["social_usage_monthly"], path)
    assert (err.value.row, err.value.column) == (3, "users")


def test_orphan_site_is_named(tmp_path):
    path = write(tmp_path, "usage.csv", "month,site_id,service,beneficiary_group,users\n"
                 "2023-01,1,meals,homeless_people,12\n2023-01,99,meals,homeless_people,7\n")
    frame = read_landing(C["social_usage_monthly"], path)
    with pytest.raises(LandingError, match="99 has no match in social_sites") as err:
        check_foreign_keys(C["social_usage_monthly"], path, frame,
                           {"social_sites.site_id": pl.Series([1])})
    assert (err.value.row, err.value.column) == (3, "site_id")


def test_more_beds_occupied_than_available_is_an_error(tmp_path, staged):
    landing = tmp_path / "landing"
    (landing / "social").mkdir(parents=True)
    sites = read_landing(C["social_sites"], write(
        landing / "social", "sites.csv",
        SITES_HEADER + "1,Casa,shelter,10,beds,via X 1,9.19,45.46,,2020-01-01\n"))
    beds = read_landing(C["social_bed_occupancy_daily"], write(
        landing / "social", "bed_occupancy_daily.csv",
        "date,site_id,beds_available,beds_occupied\n2023-01-01,1,10,9\n2023-01-02,1,10,11\n"))
    usage = pl.DataFrame(schema={"site_id": pl.Int64, "month": pl.Date})
    with pytest.raises(LandingError, match="11 occupied is more than the 10 beds") as err:
        check_consistency(staged(social_sites=sites, social_usage_monthly=usage,
                                 social_bed_occupancy_daily=beds), ctx_for(landing))
    assert err.value.file.endswith("social/bed_occupancy_daily.csv")
    assert (err.value.row, err.value.column) == (3, "beds_occupied")


def test_capacity_without_unit_is_an_error(tmp_path, staged):
    sites = read_landing(C["social_sites"], write(
        tmp_path, "sites.csv",
        SITES_HEADER + "1,Casa,shelter,10,,via X 1,9.19,45.46,,2020-01-01\n"))
    empty = pl.DataFrame(schema={"site_id": pl.Int64, "month": pl.Date,
                                 "beds_available": pl.Int64, "beds_occupied": pl.Int64})
    with pytest.raises(LandingError, match="both given or both empty") as err:
        check_consistency(staged(social_sites=sites, social_usage_monthly=empty,
                                 social_bed_occupancy_daily=empty), ctx_for(tmp_path))
    assert err.value.column == "capacity_unit"


def test_hostile_site_names_stay_plain_text(tmp_path):
    hostile = "<img src=x onerror=alert(1)> \"; DROP TABLE staging.social_sites; --"
    escaped = hostile.replace('"', '""')
    sites = read_landing(C["social_sites"], write(
        tmp_path, "sites.csv",
        SITES_HEADER + f'1,"{escaped}",shelter,10,beds,via X 1,9.19,45.46,,2020-01-01\n'))
    assert sites["name"].to_list() == [hostile]
