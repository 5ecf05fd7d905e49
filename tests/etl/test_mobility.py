"""Mobility: GBFS/FIWARE landing contracts, the demo generator and the mobility marts."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
import shapely
from polars.testing import assert_frame_equal
from shapely.geometry import shape

from etl.contracts import Contract
from etl.domains.mobility import CONTRACTS
from etl.domains.mobility.layout import KM_PER_DEG_LAT, KM_PER_DEG_LON, ROUTES
from etl.domains.mobility.marts import route_length_m
from etl.validate import LandingError, check_foreign_keys, read_landing

CONTRACT = {c.name: c for c in CONTRACTS}
STATUS_HEADER = ("station_id,last_reported,num_vehicles_available,num_docks_available,"
                 "is_installed,is_renting,is_returning")


@pytest.fixture(scope="module")
def con(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def scalar(con, sql: str, params=None):
    return rows(con, sql, params)[0][0]


# ------------------------------------------------------------------ demo marts


def test_programme_stations_are_28_new_and_7_expanded(con):
    counts = dict(rows(con, "SELECT intervention, count(*) FROM mart.mobility_bike_stations "
                            "WHERE project_code = 'MI2.2.3.a' GROUP BY 1"))
    assert counts == {"new": 28, "expanded": 7}
    assert scalar(con, "SELECT count(*) FROM mart.mobility_bike_stations "
                       "WHERE intervention IS NULL AND project_code IS NOT NULL") == 0
    # every station of the programme lies in a NIL, placed by containment
    assert scalar(con, "SELECT count(*) FROM mart.mobility_bike_stations "
                       "WHERE project_code IS NOT NULL AND nil_id IS NULL") == 0


def test_about_300_stations_spread_over_the_municipi(con):
    total, placed, municipi = rows(con, "SELECT count(*), count(nil_id), "
                                        "count(DISTINCT municipio_id) FROM mart.mobility_bike_stations")[0]
    assert 280 <= total <= 320
    assert placed == total and municipi == 9
    central = scalar(con, "SELECT count(*) FROM mart.mobility_bike_stations WHERE municipio_id = 1")
    # municipio 1 is ~5% of the schematic city's area but has the densest network
    assert central / total > 0.2


def test_station_spacing_is_300_to_400_metres(con):
    xy = np.array(rows(con, "SELECT lon, lat FROM mart.mobility_bike_stations"))
    x = (xy[:, 0] - xy[:, 0].mean()) * KM_PER_DEG_LON * 1000
    y = (xy[:, 1] - xy[:, 1].mean()) * KM_PER_DEG_LAT * 1000
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    assert 300 <= np.median(nearest) <= 400
    assert nearest.min() > 100  # no two stations on top of each other


def test_33_mobility_areas_with_sensor_bays(con):
    assert scalar(con, "SELECT count(*) FROM mart.mobility_areas "
                       "WHERE project_code = 'MI2.2.3.b' AND nil_id IS NOT NULL") == 33
    per_area = rows(con, """SELECT a.area_id, a.total_spots, count(s.spot_id),
                                   count(DISTINCT s.category)
                            FROM mart.mobility_areas a
                            LEFT JOIN mart.mobility_parking_spots s USING (area_id) GROUP BY ALL""")
    for area_id, total, bays, categories in per_area:
        assert 8 <= bays <= 20 and total == bays, area_id
        assert categories == 4, area_id


def test_status_covers_90_days_and_over_100k_rows(con):
    samples, first, last = rows(con, "SELECT sum(samples), min(hour), max(hour) "
                                     "FROM mart.mobility_station_status_hourly")[0]
    assert samples > 100_000
    assert (last - first).days >= 89
    assert str(last.date()) == "2023-12-31"
    missing = scalar(con, """SELECT count(*) FROM mart.mobility_bike_stations b
        WHERE b.project_code IS NOT NULL
          AND b.station_id NOT IN (SELECT station_id FROM mart.mobility_station_status_latest)""")
    assert missing == 0  # every programme station is monitored


def test_latest_status_is_the_newest_snapshot(con, warehouse):
    mismatches = scalar(con, """SELECT count(*) FROM mart.mobility_station_status_latest l
        JOIN (SELECT station_id, max(hour) AS h FROM mart.mobility_station_status_hourly GROUP BY 1) x
          USING (station_id)
        WHERE date_trunc('hour', l.last_reported) <> x.h""")
    assert mismatches == 0
    assert scalar(con, "SELECT min(num_vehicles_available) FROM mart.mobility_station_status_latest") >= 0


def test_commuters_fill_the_centre_in_the_morning(con):
    by_zone = dict(((zone, hour), rate) for zone, hour, rate in rows(con, """
        SELECT b.municipio_id = 1, t.hour_of_day, avg(t.avg_occupancy_rate)
        FROM mart.mobility_station_typical_availability t JOIN mart.mobility_bike_stations b USING (station_id)
        WHERE t.weekday <= 5 AND t.hour_of_day IN (4, 11) GROUP BY ALL"""))
    assert by_zone[(True, 11)] > by_zone[(True, 4)] + 0.05
    assert by_zone[(False, 11)] < by_zone[(False, 4)] - 0.05


def test_some_stations_run_empty_or_full(con):
    empty, full = rows(con, """SELECT count(DISTINCT station_id) FILTER (WHERE
                                   min_vehicles_available = 0),
                               count(DISTINCT station_id) FILTER (WHERE
                                   avg_docks_available = 0)
                               FROM mart.mobility_station_status_hourly""")[0]
    assert empty > 0 and full > 0


def test_occupancy_rates_are_shares(con):
    for table, column in (("mart.mobility_bay_occupancy_hourly", "occupied_share"),
                          ("mart.mobility_bay_occupancy_heatmap", "occupancy_rate"),
                          ("mart.mobility_station_typical_availability", "avg_occupancy_rate")):
        low, high = rows(con, f"SELECT min({column}), max({column}) FROM {table}")[0]
        assert 0 <= low <= high <= 1, table


def test_heatmap_is_33_areas_by_7_days_by_24_hours(con):
    total, distinct, filled = rows(con, """SELECT count(*),
        count(DISTINCT (area_id, weekday, hour_of_day)), count(occupancy_rate)
        FROM mart.mobility_bay_occupancy_heatmap""")[0]
    assert total == distinct == 33 * 7 * 24
    assert filled == total
    assert rows(con, "SELECT min(weekday), max(weekday), min(hour_of_day), max(hour_of_day) "
                     "FROM mart.mobility_bay_occupancy_heatmap")[0] == (1, 7, 0, 23)


def test_bay_occupancy_follows_the_day(con):
    night, day = rows(con, """SELECT avg(occupancy_rate) FILTER (WHERE hour_of_day = 4),
                                     avg(occupancy_rate) FILTER (WHERE hour_of_day = 11)
                              FROM mart.mobility_bay_occupancy_heatmap WHERE weekday <= 5""")[0]
    assert day > night


def test_trips_cover_every_vehicle_type_and_od_adds_up(con):
    types = {r[0] for r in rows(con, "SELECT vehicle_type_id FROM mart.mobility_vehicle_types")}
    assert types == {"bike", "e-bike", "scooter", "car", "e-car"}
    assert {r[0] for r in rows(con, "SELECT DISTINCT vehicle_type_id "
                                    "FROM mart.mobility_trips_daily")} == types
    daily = scalar(con, "SELECT sum(trips) FROM mart.mobility_trips_daily")
    od = scalar(con, "SELECT sum(trips) FROM mart.mobility_trips_daily_od")
    assert daily > 50_000 and 0.3 * daily < od <= daily
    # cells under the k = 10 threshold are withheld, flagged, never published
    assert scalar(con, "SELECT count(*) FROM mart.mobility_trips_daily_od WHERE trips < 10") == 0
    assert scalar(con, "SELECT bool_and((trips IS NULL) = (flag = 'c')) "
                       "FROM mart.mobility_trips_daily_od") is True
    # most published trips start and end inside the city
    assert scalar(con, "SELECT sum(trips) FILTER (WHERE origin_municipio_id IS NOT NULL AND "
                       "destination_municipio_id IS NOT NULL) / sum(trips) "
                       "FROM mart.mobility_trips_daily_od") > 0.95
    for vt, minutes, km in rows(con, "SELECT vehicle_type_id, avg(avg_duration_min), "
                                     "avg(avg_distance_km) FROM mart.mobility_trips_daily GROUP BY 1"):
        assert 3 < minutes < 60 and 0.5 < km < 15, vt


def test_cycle_routes_are_placed_on_their_neighbourhoods(con):
    routes = {r[0]: r[1:] for r in rows(con, "SELECT route_id, project_code, length_m, "
                                             "geometry FROM mart.mobility_cycle_routes")}
    assert sorted(code for code, _, _ in routes.values()) == [
        "MI2.2.3.c", "MI2.2.3.d", "MI2.2.3.e", "MI2.2.3.f"]
    names = {name.lower(): geom for name, geom in
             rows(con, "SELECT name, geometry FROM mart.geo_nil")}
    for route_id, _name, _code, _waypoints, cells in ROUTES:
        code, length, geometry = routes[route_id]
        line = shape(json.loads(geometry))
        assert 500 < length < 8000, route_id
        for cell in cells:
            assert line.intersects(shape(json.loads(names[cell.lower()]))), (route_id, cell)


def test_route_length_is_geodesic():
    one_km_north = json.dumps({"type": "LineString",
                               "coordinates": [[9.19, 45.46], [9.19, 45.46 + 1 / 111.2]]})
    assert route_length_m(one_km_north) == pytest.approx(1000, rel=0.01)
    multi = json.dumps({"type": "MultiLineString", "coordinates": [
        [[9.19, 45.46], [9.19, 45.46 + 1 / 111.2]], [[9.2, 45.46], [9.2, 45.46 + 1 / 111.2]]]})
    assert route_length_m(multi) == pytest.approx(2000, rel=0.01)


#: Per-sample definition of the typical-availability running sums, in Rome time per sample:
#: what the marts compute from their sums per station and UTC hour must equal this.
CELLS_FROM_SAMPLES = """
    WITH s AS (
        SELECT *, (last_reported AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Rome' AS local,
               num_vehicles_available
                   / nullif(num_vehicles_available + num_docks_available, 0) AS rate
        FROM staging.mobility_station_status WHERE is_installed)
    SELECT station_id, isodow(local) AS weekday, hour(local) AS hour_of_day,
           count(*) AS n_vehicles, sum(num_vehicles_available) AS sum_vehicles,
           count(rate) AS n_rate, sum(rate) AS sum_rate,
           avg(num_vehicles_available) AS avg_vehicles_available, avg(rate) AS avg_rate
    FROM s GROUP BY ALL"""


def test_typical_availability_is_the_running_sums(con):
    """The mart, the running sums ingest keeps updating (``live.station_cells``) and a
    per-sample aggregate in local time (the demo spans the October DST change) agree."""
    assert scalar(con, "SELECT min(last_reported) < TIMESTAMP '2023-10-29 01:00' "
                       "FROM staging.mobility_station_status")
    cells = scalar(con, "SELECT count(*) FROM live.station_cells")
    assert cells == scalar(con, "SELECT count(*) FROM mart.mobility_station_typical_availability")
    assert cells > 0
    disagree = scalar(con, """SELECT count(*) FROM mart.mobility_station_typical_availability m
        FULL JOIN live.station_cells c USING (station_id, weekday, hour_of_day)
        WHERE m.station_id IS NULL OR c.station_id IS NULL
           OR m.avg_vehicles_available IS DISTINCT FROM c.sum_vehicles / c.n_vehicles
           OR m.avg_occupancy_rate IS DISTINCT FROM c.sum_rate / nullif(c.n_rate, 0)""")
    assert disagree == 0
    off = scalar(con, f"""SELECT count(*) FROM live.station_cells c
        FULL JOIN ({CELLS_FROM_SAMPLES}) s USING (station_id, weekday, hour_of_day)
        WHERE c.station_id IS NULL OR s.station_id IS NULL
           OR c.n_vehicles <> s.n_vehicles OR c.sum_vehicles <> s.sum_vehicles
           OR c.n_rate <> s.n_rate OR abs(c.sum_rate - s.sum_rate) > 1e-9 * s.sum_rate""")
    assert off == 0


def test_station_marts_from_hourly_sums_equal_per_sample_aggregates(staged):
    """Virtual stations (no docks), empty ones, uninstalled samples, a station that stopped
    reporting months earlier and the hours around both DST changes: the latest, hourly and
    typical marts equal plain per-sample aggregates."""
    from datetime import datetime

    from etl.domains.mobility.marts import MARTS
    from etl.marts import create

    stamps = ["2023-03-26 00:40:00", "2023-03-26 01:10:00", "2023-03-26 01:50:00",
              "2023-10-29 00:20:00", "2023-10-29 00:59:59", "2023-10-29 01:00:00",
              "2023-10-29 01:30:00", "2023-07-03 10:05:00", "2023-07-03 10:55:00"]
    samples = []
    for i, stamp in enumerate(stamps):
        t = datetime.fromisoformat(stamp)
        samples += [("dock", t, 3 + i, 17 - i, i % 4 != 0),
                    ("virtual", t, i, None, True),
                    ("empty", t, 0, 0 if i % 2 else 5, i != 3)]
        if t.month == 3:
            samples.append(("stopped", t, 10 - i, i, True))
    frame = pl.DataFrame(samples, orient="row", schema={
        "station_id": pl.String, "last_reported": pl.Datetime("us"),
        "num_vehicles_available": pl.Int64, "num_docks_available": pl.Int64,
        "is_installed": pl.Boolean}).with_columns(is_renting=True, is_returning=True)
    con = staged(mobility_station_status=frame)
    con.execute("CREATE SCHEMA mart")
    names = ("_station_hours", "station_cells", "mobility_station_status_latest",
             "mobility_station_status_hourly", "mobility_station_typical_availability")
    create(con, None, tuple(m for m in MARTS if m.name in names))
    latest = con.sql("SELECT * FROM mart.mobility_station_status_latest").pl()
    expected = con.sql("""SELECT station_id, max(last_reported) AS last_reported,
            arg_max(num_vehicles_available, last_reported) AS num_vehicles_available,
            arg_max(num_docks_available, last_reported) AS num_docks_available,
            arg_max(is_renting, last_reported) AS is_renting,
            arg_max(is_returning, last_reported) AS is_returning
        FROM staging.mobility_station_status GROUP BY ALL ORDER BY station_id""").pl()
    assert_frame_equal(latest, expected)
    assert latest["station_id"].to_list() == ["dock", "empty", "stopped", "virtual"]
    hourly = con.sql("SELECT * FROM mart.mobility_station_status_hourly").pl()
    expected = con.sql("""SELECT station_id, date_trunc('hour', last_reported) AS hour,
            avg(num_vehicles_available) AS avg_vehicles_available,
            avg(num_docks_available) AS avg_docks_available,
            min(num_vehicles_available) AS min_vehicles_available, count(*) AS samples
        FROM staging.mobility_station_status GROUP BY ALL ORDER BY station_id, hour""").pl()
    assert_frame_equal(hourly, expected, check_exact=False, rel_tol=1e-12)
    assert hourly["avg_docks_available"].null_count() == hourly.filter(
        pl.col("station_id") == "virtual").height > 0
    typical = con.sql("SELECT * FROM mart.mobility_station_typical_availability").pl()
    expected = con.sql(f"""SELECT station_id, weekday, hour_of_day, avg_vehicles_available,
            avg_rate AS avg_occupancy_rate FROM ({CELLS_FROM_SAMPLES})
        ORDER BY station_id, weekday, hour_of_day""").pl()
    assert_frame_equal(typical, expected, check_exact=False, rel_tol=1e-12)
    # installed "dock" samples: 01:10 and 01:50 UTC on Sunday 26 March are 03:xx CEST;
    # 00:20, 01:00 and 01:30 UTC on Sunday 29 October are 02:20 CEST, 02:00 and 02:30 CET
    dock = dict(((w, h), n) for w, h, n in rows(con, """SELECT weekday, hour_of_day, n_vehicles
        FROM live.station_cells WHERE station_id = 'dock'"""))
    assert dock == {(7, 3): 2, (7, 2): 3, (1, 12): 1}
    assert typical["avg_occupancy_rate"].null_count() > 0  # virtual and empty samples


def test_demo_orphan_statuses_are_reported_not_dropped(con):
    found = rows(con, """SELECT "column", "check", rows, "values" FROM meta.quality
                        WHERE contract = 'mobility_station_status'""")
    assert found and all(c == "station_id" and "foreign key" in k for c, k, _, _ in found)
    orphans = {v for *_, values in found for v in values.split(", ")}
    assert len(orphans) >= 1
    kept = scalar(con, "SELECT count(*) FROM mart.mobility_station_status_latest WHERE station_id IN "
                       "(SELECT unnest(?::VARCHAR[]))", [sorted(orphans)])
    assert kept == len(orphans)


# ------------------------------------------------------- orphans through a build


@pytest.fixture(scope="module")
def crafted_build(demo_landing, tmp_path_factory):
    """A build whose status feed is one small file naming an unknown station."""
    from etl.build import build

    station = pl.read_csv(demo_landing / "mobility/station_information.csv",
                          schema_overrides={"station_id": pl.String}).row(0, named=True)
    folder = tmp_path_factory.mktemp("mob_status")
    status = folder / "2023-12.csv"
    status.write_text("\n".join([
        STATUS_HEADER,
        f"{station['station_id']},2023-12-31T10:00:00Z,3,5,true,true,true",
        f"{station['station_id']},2023-12-31T10:10:00+01:00,4,4,1,1,1",
        "GHOST-1,2023-12-31T10:00:00Z,2,8,true,true,true",
        "GHOST-1,2023-12-31T10:10:00Z,1,9,true,true,true",
        # more vehicles than the station has docks
        f"{station['station_id']},2023-12-31T10:20:00Z,{station['capacity'] + 20},0,"
        "true,true,true",
    ]) + "\n", encoding="utf-8")
    target = tmp_path_factory.mktemp("mob_wh") / "warehouse.duckdb"
    # one month of bay events and trips keeps this second build light
    month = sorted((demo_landing / "mobility/trips").glob("*.csv"))[-1].name
    build(demo_landing, target, progress=False, overrides={
        "mobility_station_status": status,
        "mobility_spot_status": demo_landing / "mobility/spot_status" / month,
        "mobility_trips": demo_landing / "mobility/trips" / month})
    with duckdb.connect(str(target), read_only=True) as connection:
        yield connection, station


def test_unknown_station_in_a_status_file_lands_in_meta_quality(crafted_build):
    con, _ = crafted_build
    found = rows(con, """SELECT file, "column", rows, "values" FROM meta.quality
        WHERE contract = 'mobility_station_status' AND "check" LIKE 'foreign key%'""")
    assert len(found) == 1
    file, column, count, values = found[0]
    assert file.endswith("2023-12.csv") and column == "station_id"
    assert (count, values) == (2, "GHOST-1")
    assert scalar(con, "SELECT num_vehicles_available FROM mart.mobility_station_status_latest "
                       "WHERE station_id = 'GHOST-1'") == 1


def test_over_capacity_status_is_reported(crafted_build):
    con, station = crafted_build
    found = rows(con, """SELECT rows, "values" FROM meta.quality
        WHERE contract = 'mobility_station_status' AND "check" LIKE '%capacity%'""")
    assert found == [(1, station["station_id"])]


def test_status_offsets_are_stored_in_utc(crafted_build):
    con, station = crafted_build
    times = [r[0].isoformat() for r in rows(con, """SELECT last_reported
        FROM staging.mobility_station_status WHERE station_id = ? ORDER BY 1""",
        [station["station_id"]])]
    assert times == ["2023-12-31T09:10:00", "2023-12-31T10:00:00", "2023-12-31T10:20:00"]


# ------------------------------------------------------------------- bad files


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def expect_error(contract: Contract, path: Path, row: int | None, column: str | None,
                 fragment: str) -> LandingError:
    with pytest.raises(LandingError) as info:
        read_landing(contract, path)
    err = info.value
    assert (err.row, err.column) == (row, column)
    assert fragment in str(err) and path.name in str(err)
    assert "\n" not in str(err)
    return err


STATUS_OK = "1001,2023-12-01T08:00:00Z,3,12,true,true,true"


@pytest.mark.parametrize(("line", "column", "fragment"), [
    ("1001,2023-12-01T08:10:00Z,-1,12,true,true,true", "num_vehicles_available", "minimum"),
    ("1001,2023-12-01T08:10:00Z,3,-4,true,true,true", "num_docks_available", "minimum"),
    ("1001,2023-12-01T08:10:00Z,99999999999,0,true,true,true", "num_vehicles_available",
     "maximum"),
    ("1001,2023-12-01T08:10:00Z,2.5,12,true,true,true", "num_vehicles_available",
     "whole number"),
    ("1001,31/12/2023 08:10,3,12,true,true,true", "last_reported", "timestamp"),
    ("1001,2023-13-01T08:10:00Z,3,12,true,true,true", "last_reported", "timestamp"),
    ("1001,,3,12,true,true,true", "last_reported", "empty value"),
    ("1001,2023-12-01T08:10:00Z,3,12,maybe,true,true", "is_installed", "true/false"),
    ("1001,2023-12-01T08:00:00Z,3,12,true,true,true", "station_id,last_reported",
     "duplicate key"),
])
def test_bad_status_rows_name_file_row_and_column(tmp_path, line, column, fragment):
    path = write(tmp_path, "2023-12.csv", f"{STATUS_HEADER}\n{STATUS_OK}\n{line}\n")
    expect_error(CONTRACT["mobility_station_status"], path, 3, column, fragment)


def test_status_file_without_a_required_column(tmp_path):
    header = STATUS_HEADER.replace(",is_returning", "")
    path = write(tmp_path, "2023-12.csv", f"{header}\n1001,2023-12-01T08:00:00Z,3,12,1,1\n")
    expect_error(CONTRACT["mobility_station_status"], path, 1, None, "is_returning")


def test_gbfs_2_3_column_names_are_refused(tmp_path):
    header = STATUS_HEADER.replace("num_vehicles_available", "num_bikes_available")
    path = write(tmp_path, "2023-12.csv", f"{header}\n{STATUS_OK}\n")
    err = expect_error(CONTRACT["mobility_station_status"], path, 1, None,
                       "num_vehicles_available")
    assert "num_bikes_available" in str(err)  # the operator sees what the file had


def test_truncated_status_row(tmp_path):
    path = write(tmp_path, "2023-12.csv", f"{STATUS_HEADER}\n{STATUS_OK}\n1001,2023-12\n")
    with pytest.raises(LandingError) as info:
        read_landing(CONTRACT["mobility_station_status"], path)
    assert info.value.row == 3


def test_bay_status_outside_the_fiware_enum(tmp_path):
    path = write(tmp_path, "2023-12.csv", "spot_id,observed_at,status\n"
                 "MA01-01,2023-12-01T08:00:00Z,free\nMA01-01,2023-12-01T08:05:00Z,parked\n")
    expect_error(CONTRACT["mobility_spot_status"], path, 3, "status", "free, occupied")


def test_bay_category_outside_the_enum(tmp_path):
    path = write(tmp_path, "parking_spots.csv", "spot_id,area_id,category,lon,lat,ref_device\n"
                 "MA01-01,MA01,truck,9.19,45.46,S1\n")
    expect_error(CONTRACT["mobility_parking_spots"], path, 2, "category", "bike, scooter")


def test_station_outside_the_milan_box(tmp_path):
    path = write(tmp_path, "station_information.csv", "station_id,name,lat,lon,capacity\n"
                 "1,Duomo,45.46,9.19,30\n2,Null Island,0,0,20\n")
    expect_error(CONTRACT["mobility_station_information"], path, 3, "lat", "minimum")


def test_hostile_station_names_survive_as_text(tmp_path):
    hostile = ['=HYPERLINK("http://x")', "'; DROP TABLE mart.mobility_bike_stations; --",
               "<script>alert(1)</script>", "Città; Nord \"Sud\""]
    frame = pl.DataFrame({"station_id": ["1", "2", "3", "4"], "name": hostile,
                          "lat": [45.46] * 4, "lon": [9.19] * 4, "capacity": [20] * 4})
    path = tmp_path / "station_information.csv"
    frame.write_csv(path)
    landed = read_landing(CONTRACT["mobility_station_information"], path)
    assert landed["name"].to_list() == hostile
    assert landed["station_id"].dtype == pl.String  # GBFS ids stay strings


def test_latin1_semicolon_station_file_is_accepted(tmp_path):
    path = write(tmp_path, "station_information.csv",
                 "station_id;name;lat;lon;capacity\n7;Città Studi;45,4780;9,2260;24\n",
                 encoding="latin-1")
    landed = read_landing(CONTRACT["mobility_station_information"], path)
    assert landed.row(0) == ("7", "Città Studi", 45.478, 9.226, 24, None)


def test_unknown_vehicle_type_in_trips_is_fatal(tmp_path):
    header = ("trip_id,vehicle_type_id,start_time,end_time,start_lon,start_lat,end_lon,"
              "end_lat,distance_m")
    path = write(tmp_path, "2023-12.csv", f"{header}\n"
                 "T1,bike,2023-12-01T08:00:00Z,2023-12-01T08:10:00Z,9.19,45.46,9.2,45.47,1500\n"
                 "T2,hoverboard,2023-12-01T08:00:00Z,2023-12-01T08:10:00Z,9.19,45.46,9.2,"
                 "45.47,1500\n")
    contract = CONTRACT["mobility_trips"]
    frame = read_landing(contract, path)
    known = {"mobility_vehicle_types.vehicle_type_id": pl.Series(["bike", "e-bike"])}
    with pytest.raises(LandingError) as info:
        check_foreign_keys(contract, path, frame, known)
    assert (info.value.row, info.value.column) == (3, "vehicle_type_id")
    assert "hoverboard" in str(info.value)


def test_unknown_gbfs_form_factor(tmp_path):
    path = write(tmp_path, "vehicle_types.csv", "vehicle_type_id,form_factor,propulsion_type,"
                 "name\nbike,bicycle,human,Bici\nufo,saucer,electric,UFO\n")
    expect_error(CONTRACT["mobility_vehicle_types"], path, 3, "form_factor", "bicycle")


def test_cycle_route_must_be_a_line(tmp_path):
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"route_id": "R1", "name": "x",
                                          "project_code": "MI2.2.3.c"},
        "geometry": {"type": "Point", "coordinates": [9.19, 45.46]}}]}
    path = write(tmp_path, "cycle_routes.geojson", json.dumps(doc))
    expect_error(CONTRACT["mobility_cycle_routes"], path, 1, "geometry", "LineString")


# -------------------------------------------------------------- the generator


def test_demo_landing_is_gbfs_shaped(demo_landing):
    info = pl.read_csv(demo_landing / "mobility/station_information.csv", infer_schema=False)
    assert info.columns == ["station_id", "name", "lat", "lon", "capacity", "system_id"]
    first = sorted((demo_landing / "mobility/station_status").glob("*.csv"))[0]
    header = first.read_text("utf-8").split("\n", 1)[0]
    assert header == STATUS_HEADER
    stamp = first.read_text("utf-8").split("\n", 2)[1].split(",")[1]
    assert stamp.endswith("Z") and "T" in stamp  # RFC 3339 UTC, as GBFS 3.0


def test_station_lattice_is_deterministic_and_dense_in_the_centre(tmp_path):
    from etl.demo import DemoContext
    from etl.domains.mobility import layout

    one = layout.stations(DemoContext(out=tmp_path), DemoContext(out=tmp_path).rng("mobility"))
    two = layout.stations(DemoContext(out=tmp_path), DemoContext(out=tmp_path).rng("mobility"))
    assert one.equals(two)
    pts = shapely.points(one["lon"].to_numpy(), one["lat"].to_numpy())
    assert shapely.is_valid(pts).all()
    inner = (one["dist_km"] < 1.5).sum() / (np.pi * 1.5 ** 2)
    outer = ((one["dist_km"] >= 1.5) & (one["dist_km"] < 3)).sum() / (np.pi * (9 - 2.25))
    assert inner > outer


# ------------------------------------------------------- real recorded BikeMi files


def test_real_bikemi_station_file_meets_the_contract(realdata):
    path = realdata / "bikemi_gbfs_status" / "bikemi_stations.csv"
    if not path.exists():
        pytest.skip(f"real BikeMi station file not present at {path}")
    stations = read_landing(CONTRACT["mobility_station_information"], path)
    assert stations.height > 0 and stations["station_id"].dtype == pl.String
    assert stations["system_id"].null_count() == stations.height  # optional in the real file


def test_real_bikemi_orphan_statuses_are_reported_not_fatal(realdata, tmp_path):
    folder = realdata / "bikemi_gbfs_status"
    if not (folder / "bikemi_data.csv").exists():
        pytest.skip(f"real BikeMi status file not present in {folder}")
    stations = read_landing(CONTRACT["mobility_station_information"],
                            folder / "bikemi_stations.csv")
    # what the GBFS connector does: 2.3 names -> 3.0 names, UTC kept
    raw = pl.read_csv(folder / "bikemi_data.csv", infer_schema=False).rename(
        {"timestamp": "last_reported", "num_bikes_available": "num_vehicles_available"}
    ).with_columns(is_installed=pl.lit("true"), is_renting=pl.lit("true"),
                   is_returning=pl.lit("true"))
    path = tmp_path / "status.csv"
    raw.write_csv(path)
    contract = CONTRACT["mobility_station_status"]
    status = read_landing(contract, path)
    findings = check_foreign_keys(contract, path, status, {
        "mobility_station_information.station_id": stations["station_id"]})
    expected = set(status["station_id"].unique()) - set(stations["station_id"])
    assert expected, "the recorded feed is known to name stations it does not describe"
    assert len(findings) == 1
    assert set(findings[0]["values"].split(", ")) == expected
    assert findings[0]["rows"] == status["station_id"].is_in(sorted(expected)).sum()


# ------------------------------------------------------ bay occupancy arithmetic


def test_bay_occupancy_weights_time_not_events():
    """Occupied 10:00-10:30, unknown 10:30-10:45, free 10:45-11:30: hour 10 is 2/3."""
    from etl.domains.mobility.marts import BAY_OCCUPANCY
    from etl.marts import create

    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA mart")
    con.execute("CREATE TABLE staging.mobility_areas AS SELECT 'A1' AS area_id")
    con.execute("CREATE TABLE staging.mobility_parking_spots AS "
                "SELECT * FROM (VALUES ('S1', 'A1'), ('S2', 'A1')) t(spot_id, area_id)")
    con.execute("""CREATE TABLE staging.mobility_spot_status AS
        SELECT spot_id, observed_at::TIMESTAMP AS observed_at, status FROM (VALUES
            ('S1', '2023-07-03 10:00:00', 'occupied'),
            ('S1', '2023-07-03 10:30:00', 'unknown'),
            ('S1', '2023-07-03 10:45:00', 'free'),
            ('S2', '2023-07-03 11:00:00', 'occupied'),
            ('S2', '2023-07-03 11:30:00', 'closed')) t(spot_id, observed_at, status)""")
    create(con, None, BAY_OCCUPANCY)
    hourly = rows(con, "SELECT hour::VARCHAR, occupied_share, observed_spots "
                       "FROM mart.mobility_bay_occupancy_hourly ORDER BY hour")
    assert hourly == [("2023-07-03 10:00:00", pytest.approx(30 / 45), 1),
                      ("2023-07-03 11:00:00", pytest.approx(30 / 60), 2)]
    # 10:00 UTC on a Monday in July is 12:00 in Rome
    heat = dict(((w, h), r) for w, h, r in rows(
        con, "SELECT weekday, hour_of_day, occupancy_rate FROM mart.mobility_bay_occupancy_heatmap"))
    assert len(heat) == 7 * 24
    assert heat[(1, 12)] == pytest.approx(30 / 45)
    assert heat[(1, 10)] is None


def test_mobility_demo_is_deterministic(tmp_path):
    from etl.demo import DemoContext
    from etl.domains import mobility

    digests = []
    for run in ("a", "b"):
        ctx = DemoContext(out=tmp_path / run, seed=7, scale=1)
        mobility.generate(ctx)
        digests.append({p.relative_to(ctx.out): p.read_bytes()
                        for p in sorted(ctx.out.rglob("*")) if p.is_file()})
    assert digests[0].keys() == digests[1].keys()
    assert digests[0] == digests[1]


def test_marts_match_the_mobility_section_of_the_data_model(con):
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-model.md").read_text("utf-8")
    section = doc[doc.index("## Mobility"):]
    section = section[:section.find("\n## ", 3)] if "\n## " in section[3:] else section
    tables = re.findall(r"^\| `(mart\.\w+)` \| (.*) \|$", section, re.M)
    assert len(tables) == 13
    for table, columns in tables:
        declared = re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", columns))
        schema, name = table.split(".")
        actual = [r[0] for r in rows(con, """SELECT column_name FROM information_schema.columns
            WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
                                     [schema, name])]
        assert actual == declared, table


def test_programme_stations_report_from_their_opening():
    """A new station has no status before it opened; an expanded one had fewer docks."""
    from datetime import date

    from etl.domains.mobility import telemetry

    stations = pl.DataFrame({
        "station_id": ["new", "grown", "plain"], "capacity": [20, 30, 25],
        "dist_km": [1.0, 3.0, 2.0], "intervention": ["new", "expanded", None],
        "opened_on": [date(2023, 12, 15), date(2023, 12, 10), None],
        "docks_added": [20, 10, None]})
    frame = pl.concat(f for _, f in telemetry.station_status(
        stations, np.random.default_rng(1), date(2023, 12, 1), date(2023, 12, 31)))
    first = dict(frame.group_by("station_id").agg(pl.col("last_reported").min()).iter_rows())
    assert first["new"].date() >= date(2023, 12, 14)  # reports may lead the poll by seconds
    assert first["plain"].date() <= date(2023, 12, 1)
    docks = (frame.filter(pl.col("station_id") == "grown")
             .with_columns(total=pl.col("num_vehicles_available")
                           + pl.col("num_docks_available"),
                           early=pl.col("last_reported") < pl.datetime(2023, 12, 9)))
    by_period = dict(docks.group_by("early").agg(pl.col("total").max()).iter_rows())
    assert by_period[True] <= 20 and by_period[False] == 30
