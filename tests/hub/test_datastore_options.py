"""``datastore_search`` honours ``distinct``, ``q``, ``sort`` and ``fields`` as CKAN does.

Driven by the real ``ckanapi`` client; expected rows come from DuckDB on the same
warehouse file, written independently of the query layer.
"""

from __future__ import annotations

import ckanapi
import duckdb
import pytest


@pytest.fixture(scope="module")
def remote(hub):
    return ckanapi.RemoteCKAN(hub, user_agent="ponmetro-tests")


@pytest.fixture(scope="module")
def con(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def test_distinct_returns_each_combination_once(remote, con):
    res = remote.action.datastore_search(resource_id="bike-stations", distinct=True,
                                         fields=["municipio_id", "intervention"], limit=1000)
    expected = con.execute("SELECT count(*) FROM (SELECT DISTINCT municipio_id, intervention "
                           "FROM mart.bike_stations)").fetchone()[0]
    pairs = [(r["municipio_id"], r["intervention"]) for r in res["records"]]
    assert len(pairs) == len(set(pairs)) == expected == res["total"]
    assert res["distinct"] is True and [f["id"] for f in res["fields"]] == ["municipio_id",
                                                                           "intervention"]
    plain = remote.action.datastore_search(resource_id="bike-stations",
                                           fields="municipio_id,intervention", limit=1000)
    assert plain["total"] > expected  # without distinct every station is a row


def test_distinct_sort_must_use_returned_fields(remote):
    res = remote.action.datastore_search(resource_id="bike-stations", distinct=True,
                                         fields=["municipio_id"], sort="municipio_id desc")
    ids = [r["municipio_id"] for r in res["records"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))
    with pytest.raises(ckanapi.ValidationError) as err:
        remote.action.datastore_search(resource_id="bike-stations", distinct=True,
                                       fields=["municipio_id"], sort="capacity")
    assert "sort" in str(err.value)


def test_q_matches_every_word_in_some_text_column(remote, con):
    row = con.execute("SELECT name FROM mart.bike_stations ORDER BY station_id LIMIT 1"
                      ).fetchone()[0]
    words = row.split()
    res = remote.action.datastore_search(resource_id="bike-stations", q=row, limit=1000)
    assert res["total"] >= 1
    for record in res["records"]:
        text = " ".join(str(v) for k, v in record.items()
                        if isinstance(v, str)).lower()
        assert all(w.lower() in text for w in words)
    # words need not be adjacent nor in order
    reordered = remote.action.datastore_search(resource_id="bike-stations",
                                               q=" ".join(reversed(words)), limit=1000)
    assert reordered["total"] == res["total"]
    nothing = remote.action.datastore_search(resource_id="bike-stations",
                                             q=f"{words[0]} zzzqqq-not-there")
    assert nothing["total"] == 0 and nothing["records"] == []
    by_field = remote.action.datastore_search(resource_id="bike-stations",
                                              q={"name": words[-1]}, limit=1000)
    assert all(words[-1].lower() in r["name"].lower() for r in by_field["records"])


def test_sort_and_fields(remote, con):
    res = remote.action.datastore_search(resource_id="bike-stations",
                                         fields=["station_id", "capacity"],
                                         sort="capacity desc, station_id", limit=20)
    expected = con.execute("SELECT station_id, capacity FROM mart.bike_stations "
                           "ORDER BY capacity DESC, station_id LIMIT 20").fetchall()
    assert [(r["station_id"], r["capacity"]) for r in res["records"]] == \
        [tuple(r) for r in expected]
    assert set(res["records"][0]) == {"station_id", "capacity"}
    with pytest.raises(ckanapi.ValidationError):
        remote.action.datastore_search(resource_id="bike-stations", fields=["nope"])
