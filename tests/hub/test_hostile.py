"""Hostile and random input never gives a 5xx, and never reaches SQL text (hypothesis)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = ["'; DROP TABLE nil; --", "../../etc/passwd", "\x00\x01\x1b[2J", "nil_id\"; --",
           "1 OR 1=1", "<script>alert(1)</script>", "x" * 10_240, "%s%s%n", "☃" * 300,
           "SELECT * FROM meta.build", "\r\nSet-Cookie: x=1", "${jndi:ldap://x}"]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60))
scalar = st.one_of(text, st.integers(min_value=-(2**70), max_value=2**70),
                   st.floats(allow_nan=True), st.booleans(), st.none())
columns = st.sampled_from(["nil_id", "name", "municipio_id", "area_m2", "is_schematic",
                           "geometry", "bogus", "", "nil_id desc"])
filters = st.dictionaries(st.one_of(columns, text), st.one_of(
    scalar, st.lists(scalar, max_size=3),
    st.dictionaries(st.sampled_from(["gt", "gte", "lt", "lte", "eq", "like"]), scalar,
                    max_size=2)), max_size=3)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(params=st.fixed_dictionaries({}, optional={
    "resource_id": st.one_of(st.just("nil"), st.just("bed-occupancy-daily"), text),
    "filters": filters, "q": st.one_of(text, st.dictionaries(columns, text, max_size=2)),
    "sort": st.one_of(text, columns), "fields": st.one_of(text, st.lists(columns, max_size=3)),
    "limit": scalar, "offset": scalar,
    "records_format": st.one_of(st.sampled_from(["objects", "lists", "csv", "tsv"]), text)}))
def test_datastore_search_never_5xx(http, hub, params):
    resp = http.post(f"{hub}/api/3/action/datastore_search", data=json.dumps(params),
                     headers={"Content-Type": "application/json"}, timeout=60)
    assert resp.status_code < 500, resp.text[:500]
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body["success"], bool)
    if body["success"]:
        records = body["result"]["records"]
        assert (records.count("\n") if isinstance(records, str) else len(records)) <= 32000
    else:
        assert body["error"]["__type"] in ("Validation Error", "Not Found Error")


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(["q", "fq", "rows", "start", "sort",
                                               "facet.field", "facet.limit"]),
                              st.one_of(text, st.integers(-5, 10**9)), max_size=4),
       get=st.booleans())
def test_package_search_never_5xx(http, hub, params, get):
    url = f"{hub}/api/action/package_search"
    resp = http.get(url, params=params, timeout=60) if get else \
        http.post(url, json=params, timeout=60)
    assert resp.status_code < 500, resp.text[:500]
    if resp.status_code == 414:  # the app's query-string limit, before the API
        return
    body = resp.json()
    if body["success"]:
        assert len(body["result"]["results"]) <= 1000


@SETTINGS
@given(sql=st.one_of(text, st.sampled_from([
    "SELECT * FROM nil", "select 1", "SELECT * FROM nil UNION SELECT * FROM meta.build",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    "SELECT * FROM nil, nil a, nil b, nil c, nil d",
])))
def test_datastore_search_sql_never_5xx(http, hub, sql):
    resp = http.post(f"{hub}/api/3/action/datastore_search_sql", json={"sql": sql},
                     timeout=120)
    assert resp.status_code < 500, resp.text[:500]


@SETTINGS
@given(params=st.dictionaries(st.one_of(columns, text, st.sampled_from(
    ["municipio_id__gte", "nil_id__lt", "fields", "sort", "excel", "q"])),
    st.one_of(text, st.integers().map(str)), max_size=3),
    fmt=st.sampled_from(["csv", "json", "parquet", "xlsx", "geojson"]))
def test_download_filters_never_5xx(http, hub, params, fmt):
    resp = http.get(f"{hub}/download/nil.{fmt}", params=params, timeout=120)
    assert resp.status_code in (200, 400, 414, 431), (resp.status_code, resp.text[:300])


@pytest.mark.parametrize("path", [
    "/data/..%2F..%2Fetc%2Fpasswd", "/data/%00", "/data/nil?page=-1&sort=%27;--",
    "/data/nil?col=nil_id&val=abc", "/data/nil?col=bogus&val=1&desc=1&page=99999999999",
    "/data?q=%27%3B%20DROP%20TABLE%20x&theme=<script>", "/download/nil.csv?nil_id=%00",
    "/api/3/action/datastore_search?resource_id=nil&filters=%7Bbad",
    "/api/3/action/package_search?facet.field=%5B%22groups%22&rows=-1",
])
def test_hostile_urls(http, hub, path):
    resp = http.get(hub + path, timeout=60)
    assert resp.status_code < 500, resp.text[:300]


@settings(max_examples=200, deadline=None)
@given(value=text)
def test_user_values_never_reach_sql_text(warehouse, value):
    """Values are bound parameters: the SQL text holds only dictionary identifiers."""
    from dashboards.queries import catalog, datastore

    ds = catalog.get("nil")
    if len(value) > datastore.MAX_VALUE_CHARS:
        with pytest.raises(datastore.QueryError):
            datastore.build_query(ds, filters={"name": value})
        return
    sql, params, _ = datastore.build_query(ds, filters={"name": value}, q=value,
                                           sort="name desc")
    words = value.split()[:datastore.MAX_WORDS]  # q: every word must match (CKAN full text)
    assert all(w.lower() in [str(p) for p in params] for w in words)
    assert not value or value.strip() in [str(p) for p in params]  # the filter value
    if value.strip():
        # the statement text depends only on how many words q has, never on the value
        reference, _, _ = datastore.build_query(ds, filters={"name": "zz"},
                                                q=" ".join(["zz"] * len(words)),
                                                sort="name desc")
        assert sql == reference


page_params = st.dictionaries(
    st.sampled_from(["q", "theme", "axis", "format", "frequency", "page", "sort", "desc",
                     "col", "val", "lang", "zzz"]), st.one_of(text, st.integers().map(str)),
    max_size=5)


@settings(max_examples=80, deadline=None)
@given(params=page_params, dataset_id=st.one_of(st.sampled_from(
    ["nil", "projects", "social-usage-monthly", "station-status-hourly"]), text))
def test_pages_never_fail(public_client, params, dataset_id):
    """The catalogue and dataset pages answer a page (200, or a 400/404 page) for any URL."""
    for path in ("/data", f"/data/{quote(dataset_id, safe='')}"):
        reply = public_client.get(path, query_string=params)
        assert reply.status_code in (200, 308, 400, 404, 414), (path, params, reply.status_code)
        rdf = path.rsplit(".", 1)[-1] in ("ttl", "jsonld", "rdf")  # an RDF request: text 404
        assert reply.mimetype == "text/html" or reply.status_code == 414 or rdf  # query cap


def test_dotted_dataset_paths_are_pages_unless_they_name_rdf(public_client):
    """``/data/<a>.<b>`` is RDF only for a known dataset and serialisation; anything else
    is the dataset page of ``a.b`` (an HTML 404), not a bare text 404 (found by the test
    above: ``/data/0.0``)."""
    for path in ("/data/0.0", "/data/nil.xyz"):
        reply = public_client.get(path)
        assert (reply.status_code, reply.mimetype) == (404, "text/html"), path
    reply = public_client.get("/data/nil.ttl")
    assert (reply.status_code, reply.mimetype) == (200, "text/turtle")
    # an RDF client asking for an unknown dataset gets the documented plain 404 (OpenAPI)
    reply = public_client.get("/data/unknown.ttl")
    assert (reply.status_code, reply.mimetype) == (404, "text/plain")


@pytest.fixture(scope="module")
def public_client(warehouse):
    from dashboards import app as module
    from dashboards import warehouse as door

    door.reset()
    return module.server.test_client()
