"""``datastore.search`` answers a page and its total from one statement, and leaves key
columns pinned by an equality filter out of the order: the rows, their order and the
total must stay exactly what the explicit sort and a separate count give."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from dashboards.queries import catalog, datastore
from dashboards.writers import jsonable

BIG = "station-status-hourly"


@pytest.fixture
def ds(warehouse):
    from dashboards import warehouse as door

    door.reset()
    return catalog.get(BIG)


def _first_station(ds) -> str:
    return datastore.search(ds, limit=1, include_total=False)["rows"][0][0]


def test_pinned_key_left_out_of_the_order(ds):
    station = _first_station(ds)
    sql, _, _ = datastore.build_query(ds, filters={"station_id": station})
    assert sql.endswith('ORDER BY "hour"')
    sql, _, _ = datastore.build_query(ds, filters={"station_id": [station, "x"]})
    assert sql.endswith('ORDER BY "station_id", "hour"')  # any-of does not pin
    sql, _, _ = datastore.build_query(ds, filters={"station_id": station}, distinct=True,
                                      fields="station_id,hour")
    assert '"station_id"' in sql.rpartition("ORDER BY")[2]


@pytest.mark.parametrize("offset", [0, 50, 2100, 50000])
def test_page_and_total_equal_sort_and_count(ds, offset):
    station = _first_station(ds)
    filters = {"station_id": station}
    page = datastore.search(ds, filters=filters, limit=100, offset=offset)
    explicit = datastore.search(ds, filters=filters, sort="station_id, hour", limit=100,
                                offset=offset, include_total=False)
    assert page["rows"] == explicit["rows"]
    assert page["total"] == datastore.count(ds, filters=filters) > 0
    assert all(len(row) == len(page["columns"]) for row in page["rows"])
    if offset >= page["total"]:
        assert page["rows"] == []  # an empty page still carries its total


def test_no_total_and_zero_limit(ds):
    page = datastore.search(ds, filters={"station_id": "no-such"}, limit=0)
    assert page["rows"] == [] and page["total"] == 0
    page = datastore.search(ds, limit=5, include_total=False)
    assert page["total"] is None and len(page["rows"]) == 5


def test_bad_values_are_query_errors(ds):
    with pytest.raises(datastore.QueryError) as err:
        datastore.search(ds, filters={"hour": "not a time"})
    assert err.value.field == "filters"


def test_records_encoded_as_jsonable_would(ds):
    """The API hands fetched values to its encoder as they are: dates, times, decimals,
    non-finite floats and integers past 64 bits come out as ``jsonable`` writes them."""
    from dashboards.hub.ckan import _encode

    page = datastore.search(ds, limit=3, include_total=False)
    names = [c.name for c in page["columns"]]
    records = [dict(zip(names, r, strict=True)) for r in page["rows"]]
    assert json.loads(_encode(records)) == jsonable(records)
    assert "T" in json.loads(_encode(records))[0]["hour"]
    odd = {"ts": datetime(2023, 5, 1, 7, 0, 0, 123456), "aware": datetime(2023, 5, 1, tzinfo=UTC),
           "day": date(2023, 5, 1), "at": time(7, 30), "dec": Decimal("1.25"),
           "nan": math.nan, "inf": -math.inf, "list": [1.5, math.nan, (2, "x")]}
    assert json.loads(_encode(odd)) == jsonable(odd)
    huge = {"n": 2**70, "ts": datetime(2023, 5, 1)}  # orjson refuses the integer
    assert json.loads(_encode(huge)) == {"n": 2**70, "ts": "2023-05-01T00:00:00"}
    with pytest.raises(TypeError):
        _encode({"span": timedelta(hours=1)})  # nothing JSON knows: still an error


def test_count_at_most(ds):
    everything = datastore.count(ds)
    assert datastore.count(ds, at_most=10) == 10
    assert datastore.count(ds, at_most=everything + 5) == everything
    assert datastore.count(ds, filters={"station_id": "no-such"}, at_most=10) == 0


def test_explicit_sort_broken_by_the_key(ds):
    sql, _, _ = datastore.build_query(ds, sort="avg_docks_available desc")
    assert sql.endswith('ORDER BY "avg_docks_available" DESC, "station_id", "hour"')
    sql, _, _ = datastore.build_query(ds, sort="hour desc, station_id")
    assert sql.endswith('ORDER BY "hour" DESC, "station_id" ASC')
    first = datastore.search(ds, sort="samples desc", limit=1)["rows"]
    page = datastore.search(ds, sort="samples desc", limit=40)["rows"]
    assert first == page[:1]  # ties in the same order whatever the LIMIT


def _sql_count(path, ds, station) -> int:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {ds.table} WHERE station_id = ?",  # noqa: S608
                           [station]).fetchone()[0]


def _stations(path, ds) -> list[str]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute(f"SELECT DISTINCT station_id FROM {ds.table} "  # noqa: S608
                                          "ORDER BY station_id").fetchall()]


def test_key_total_is_the_count_of_the_key_value(ds, warehouse):
    stations = _stations(warehouse, ds)
    for station in [stations[0], stations[len(stations) // 2], stations[-1]]:
        assert datastore.key_total(ds, {"station_id": station}) == \
            _sql_count(warehouse, ds, station) > 0
        page = datastore.search(ds, filters={"station_id": f"  {station} "}, limit=5)
        assert page["total"] == _sql_count(warehouse, ds, station)
        assert {row[0] for row in page["rows"]} == {station}
    assert datastore.key_total(ds, {"station_id": "no-such"}) == 0
    assert datastore.search(ds, filters={"station_id": "no-such"})["total"] == 0
    # anything but one value of the first key column is counted by SQL
    station = stations[0]
    for filters, q in [({"hour": "2023-01-01T00:00:00"}, None), ({"station_id": [station]}, None),
                       ({"station_id": station, "samples": 1}, None),
                       ({"station_id": None}, None), ({"station_id": station}, "x")]:
        assert datastore.key_total(ds, filters, q) is None
        page = datastore.search(ds, filters=filters, q=q, limit=1)
        assert page["total"] == datastore.count(ds, filters=filters, q=q)
    assert datastore.count(ds, filters={"station_id": station}, at_most=3) == 3


def test_key_totals_follow_the_data_read(ds, warehouse, tmp_path):
    """A release (or a new build) with other rows answers its own totals, never the
    totals kept for the build read before."""
    import shutil

    import duckdb

    from dashboards import warehouse as door

    station = _stations(warehouse, ds)[0]
    before = datastore.search(ds, filters={"station_id": station}, limit=1)["total"]
    copy = tmp_path / "release.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE meta.build SET build_id = build_id || '-other'")
        con.execute(f"DELETE FROM {ds.table} WHERE station_id = ? AND rowid % 2 = 0",  # noqa: S608
                    [station])
    fewer = _sql_count(copy, ds, station)
    assert 0 < fewer < before
    with door.reading(copy):
        assert datastore.search(ds, filters={"station_id": station}, limit=1)["total"] == fewer
    assert datastore.search(ds, filters={"station_id": station}, limit=1)["total"] == before


def test_too_many_key_values_are_counted_by_sql(ds, warehouse, monkeypatch):
    monkeypatch.setattr(datastore, "KEY_TOTALS_MAX_VALUES", 1)
    monkeypatch.setattr(datastore, "_key_totals", {})
    station = _stations(warehouse, ds)[0]
    assert datastore.key_total(ds, {"station_id": station}) is None
    assert datastore.search(ds, filters={"station_id": station}, limit=1)["total"] == \
        _sql_count(warehouse, ds, station)


def test_a_key_with_too_many_values_builds_no_groups(ds, warehouse, monkeypatch):
    """Past the cap by estimate, the per-value GROUP BY is never run (it would build a
    group per value only to drop them all)."""
    monkeypatch.setattr(datastore, "KEY_TOTALS_MAX_VALUES", 1)
    monkeypatch.setattr(datastore, "_key_totals", {})
    ran: list[str] = []
    real = datastore._run
    monkeypatch.setattr(datastore, "_run", lambda sql, params: ran.append(sql) or
                        real(sql, params))
    assert datastore.key_total(ds, {"station_id": _stations(warehouse, ds)[0]}) is None
    assert any("approx_count_distinct" in sql for sql in ran)
    assert not any("GROUP BY" in sql for sql in ran)
