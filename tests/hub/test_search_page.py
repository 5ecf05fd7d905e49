"""``datastore.search`` answers a page and its total from one statement, and leaves key
columns pinned by an equality filter out of the order: the rows, their order and the
total must stay exactly what the explicit sort and a separate count give."""

from __future__ import annotations

import pytest

from dashboards.queries import catalog, datastore

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


def test_json_rows_per_column(ds):
    page = datastore.search(ds, limit=3, include_total=False)
    rows = datastore.json_rows(page["columns"], page["rows"])
    by_name = dict(zip([c.name for c in page["columns"]], rows[0], strict=True))
    assert isinstance(by_name["hour"], str) and "T" in by_name["hour"]
    assert rows == [[datastore.jsonable(v) for v in r] for r in page["rows"]]


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
