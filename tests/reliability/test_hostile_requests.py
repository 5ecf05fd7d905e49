"""Hostile requests against every route, API action, download filter and Dash callback.

Routes come from the app itself (Flask's url_map, Dash's page registry and its
callback dependencies), so a route added tomorrow is attacked tomorrow. Every
answer must be below 500, carry the security headers, leak no traceback, SQL
error or path, come back within a time bound, and never show rows from outside
the published tables.
"""

from __future__ import annotations

import http.client
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlencode, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import enumerate_routes, fill, open_readonly, sample_values
from tests.reliability.hostile import (
    HOSTILE,
    PARAMS,
    check,
    dash_callback_body,
    is_location_driven,
    location_body,
)

TIMEOUT = 60


@pytest.fixture(scope="module")
def app_map(warehouse):
    return enumerate_routes(), sample_values(warehouse)


@pytest.fixture(scope="module")
def callbacks(live_server) -> list[dict]:
    deps = requests.get(f"{live_server}/_dash-dependencies", timeout=TIMEOUT).json()
    return [d for d in deps if not d.get("clientside_function") and not any(
        isinstance(i["id"], dict) or str(i["id"]).startswith("{") for i in d["inputs"])
        and "{" not in d["output"]]


def _get(session: requests.Session, base: str, path: str, reflected: str | None = None):
    try:
        reply = session.get(base + path, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return [f"{type(exc).__name__}: {path[:200]!r}"]
    return [str(p) for p in check(reply, path, reflected)]


def _run_all(base: str, jobs: list[tuple[str, str | None]]) -> list[str]:
    local = __import__("threading").local()

    def one(job):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return _get(local.session, base, *job)

    with ThreadPoolExecutor(4) as pool:
        return list(itertools.chain.from_iterable(pool.map(one, jobs)))


def _flask_get_routes(routes):
    return [r for r in routes if r.kind == "flask" and "GET" in r.methods]


def test_routes_were_enumerated(app_map):
    routes, values = app_map
    templates = {r.template for r in routes}
    assert "/healthz" in templates and "/" in templates
    assert values["dataset_id"], "no published datasets to attack"


def test_hostile_path_arguments(app_map, live_server):
    routes, values = app_map
    jobs = []
    for route in _flask_get_routes(routes):
        for arg in route.args:
            for value in HOSTILE:
                jobs.append((fill(route, values, {arg: quote(value, safe="")}), value))
                jobs.append((fill(route, values, {arg: quote(value, safe="/")}), value))
    problems = _run_all(live_server, jobs)
    assert problems == [], "\n".join(problems[:20])


def test_hostile_query_strings_on_every_route(app_map, live_server):
    routes, values = app_map
    jobs = []
    for route in _flask_get_routes(routes):
        for n, value in enumerate(HOSTILE):
            path = fill(route, values, pick=n)
            jobs.append((f"{path}?{urlencode({p: value for p in PARAMS})}", value))
    problems = _run_all(live_server, jobs)
    assert problems == [], "\n".join(problems[:20])


def test_every_api_action_and_parameter(app_map, live_server, campaign):
    _, values = app_map
    per_param = len(HOSTILE) if campaign.name == "full" else 6
    jobs = []
    rotation = itertools.cycle(HOSTILE)
    for action in values["name"]:
        for param in PARAMS:
            for _ in range(per_param):
                value = next(rotation)
                base = {"id": values["dataset_id"][0], "resource_id": values["dataset_id"][0]}
                base[param] = value
                jobs.append((f"/api/3/action/{action}?{urlencode(base)}", value))
    problems = _run_all(live_server, jobs)
    assert problems == [], "\n".join(problems[:20])


def test_download_filters_sort_and_fields(app_map, live_server, warehouse):

    _, values = app_map
    with open_readonly(warehouse) as con:
        columns = dict(con.execute(
            "SELECT dataset_id, list(column_name ORDER BY position) FROM meta.dataset_columns "
            "GROUP BY 1").fetchall())
    jobs = []
    rotation = itertools.cycle(HOSTILE)
    for dataset_id in values["dataset_id"]:
        cols = columns.get(dataset_id) or ["x"]
        for fmt in values["fmt"]:
            for col in cols[:4]:
                value = next(rotation)
                query = {col: value, f"{col}__gte": next(rotation), "sort": next(rotation),
                         "fields": next(rotation), "q": value}
                jobs.append((f"/download/{dataset_id}.{fmt}?{urlencode(query)}", value))
    problems = _run_all(live_server, jobs)
    assert problems == [], "\n".join(problems[:20])


MALFORMED_BODIES = [b"{", b"[1, 2", b"\xff\xfe\x00{", b"null", b"[]", b'"text"', b"1e309",
                    b'{"filters": "x", "limit": -5}', b'{"sql": 42}', b'{"fields": {"a": 1}}',
                    b"[" * 5000 + b"]" * 5000, b'{"q": "' + b"A" * 200_000 + b'"}',
                    b'{"limit": 100000000000000000000000000}', b'{"offset": 1.5}']


def test_malformed_json_bodies_and_oversized_bodies(app_map, live_server):
    _, values = app_map
    problems = []
    session = requests.Session()
    for action in values["name"]:
        for body in MALFORMED_BODIES:
            reply = session.post(f"{live_server}/api/3/action/{action}", data=body,
                                 headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
            problems += [str(p) for p in check(reply, f"POST {action} {body[:40]!r}")]
    for body in MALFORMED_BODIES:
        reply = session.post(f"{live_server}/_dash-update-component", data=body,
                             headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
        problems += [str(p) for p in check(reply, f"POST dash {body[:40]!r}")]
    assert problems == [], "\n".join(problems[:20])
    # last, on its own connection: a declared 3 MB body is refused from the headers alone,
    # before the client sends it (sending it would race the server closing the socket)
    url = urlsplit(live_server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    try:
        conn.putrequest("POST", "/api/3/action/package_search")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(3 << 20))
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_wrong_methods_are_refused(app_map, live_server):
    routes, values = app_map
    problems = []
    session = requests.Session()
    for route in (r for r in routes if r.kind == "flask"):
        path = fill(route, values)
        for method in ("PUT", "DELETE", "PATCH", "TRACE", "POST", "GET"):
            if method in route.methods:
                continue
            reply = session.request(method, live_server + path, timeout=TIMEOUT)
            problems += [str(p) for p in check(reply, f"{method} {path}")]
            if method != "GET" and reply.status_code not in (404, 405):
                problems.append(f"{method} {path}: HTTP {reply.status_code}, expected 405")
    assert problems == [], "\n".join(problems[:20])


def test_every_dash_callback_with_hostile_inputs(callbacks, live_server):
    session = requests.Session()
    problems = []
    typed = [None, [], {}, -1, 10**30, 1.5, True, "", "x" * 5000, ["a", None, 3]]
    for dep in (d for d in callbacks if not is_location_driven(d)):
        for value in itertools.chain(HOSTILE, typed):
            reply = session.post(f"{live_server}/_dash-update-component",
                                 json=dash_callback_body(dep, [value]), timeout=TIMEOUT)
            problems += [str(p) for p in check(reply, f"callback {dep['output']} {value!r}"[:160])]
    assert problems == [], "\n".join(problems[:20])


def test_every_page_with_hostile_path_and_query(callbacks, app_map, live_server):
    """What the page router and each page's layout do with any URL a visitor can type."""
    routes, values = app_map
    session = requests.Session()
    problems = []
    pages = [r for r in routes if r.kind == "page"]
    searches = [""] + ["?" + urlencode({p: v for p in PARAMS}) for v in HOSTILE[::4]]
    paths = [fill(r, values) for r in pages] + [
        fill(r, values, {a: quote(v, safe="") for a in r.args})
        for r in pages if r.args for v in HOSTILE[::3]]
    for dep in (d for d in callbacks if is_location_driven(d)):
        for path, search in itertools.product(sorted(set(paths)), searches[:4]):
            reply = session.post(f"{live_server}/_dash-update-component",
                                 json=location_body(dep, path, search), timeout=TIMEOUT)
            problems += [str(p) for p in check(reply, f"{dep['output'][:40]} {path}{search}")]
    assert problems == [], "\n".join(problems[:20])


# --------------------------------------------------------------- nothing outside published

OUTSIDE_SQL = [
    "SELECT * FROM meta.build", "SELECT * FROM staging.social_usage_monthly",
    "SELECT * FROM main.mart.social_usage_monthly", "SELECT * FROM information_schema.tables",
    "SELECT * FROM duckdb_settings()", "SELECT * FROM duckdb_tables()",
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/passwd')",
    "SELECT getenv('HOME')", "SELECT current_setting('enable_external_access')",
    "COPY (SELECT 1) TO '/tmp/ponmetro-pwned.csv'", "ATTACH '/tmp/ponmetro-pwned.duckdb'",
    "INSTALL httpfs", "LOAD httpfs", "SET enable_external_access = true", "PRAGMA version",
    "CREATE TABLE pwned AS SELECT 1", "DROP TABLE mart.programme_projects",
    "SELECT 1; SELECT * FROM meta.build", "WITH x AS (SELECT * FROM staging.programme_projects) "
    "SELECT * FROM x", "SELECT * FROM glob('/*')", "SELECT * FROM '/tmp/ponmetro.parquet'",
    "SELECT * FROM read_parquet('/etc/passwd')", "CALL pragma_database_list()",
    "SELECT * FROM pragma_database_list()", "EXPORT DATABASE '/tmp/ponmetro-export'",
]


@pytest.mark.parametrize("sql", OUTSIDE_SQL)
def test_sql_action_cannot_read_outside_published_tables(sql, live_server, warehouse):

    with open_readonly(warehouse) as con:
        build_id = con.execute("SELECT build_id FROM meta.build").fetchone()[0]
    reply = requests.get(f"{live_server}/api/3/action/datastore_search_sql",
                         params={"sql": sql}, timeout=TIMEOUT)
    assert reply.status_code in (400, 403, 404, 409), reply.text[:300]
    assert not check(reply, sql), [str(p) for p in check(reply, sql)]
    assert build_id not in reply.text and "root:x:0:0" not in reply.text


@pytest.mark.parametrize("resource", ["meta.build", "staging.social_usage_monthly",
                                      "mart.social_usage_monthly", "../meta", "build",
                                      "information_schema.tables", "sources"])
def test_unpublished_tables_are_not_served(resource, live_server):
    replies = [
        requests.get(f"{live_server}/api/3/action/datastore_search",
                     params={"resource_id": resource}, timeout=TIMEOUT),
        requests.get(f"{live_server}/download/{quote(resource, safe='')}.csv", timeout=TIMEOUT),
        requests.get(f"{live_server}/api/3/action/package_show", params={"id": resource},
                     timeout=TIMEOUT),
    ]
    for reply in replies:
        assert reply.status_code in (400, 404, 409), (reply.url, reply.status_code)
        assert not check(reply, reply.url)


# ------------------------------------------------------------------- property-based

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                     allow_infinity=False) | _text,
                     lambda inner: st.lists(inner, max_size=4) |
                     st.dictionaries(st.sampled_from(PARAMS), inner, max_size=4), max_leaves=12)


def _hypothesis(campaign):
    return settings(max_examples=campaign.hypothesis_examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def test_property_any_path_and_query(app_map, live_server, campaign):
    routes, values = app_map
    flask_routes = _flask_get_routes(routes)
    session = requests.Session()

    @_hypothesis(campaign)
    @given(route=st.sampled_from(flask_routes), segment=_text,
           query=st.dictionaries(st.sampled_from(PARAMS), _text, max_size=5))
    def attack(route, segment, query):
        override = {a: quote(segment, safe="") or "x" for a in route.args}
        path = fill(route, values, override)
        problems = _get(session, live_server, f"{path}?{urlencode(query)}", segment)
        assert problems == [], problems

    attack()


def test_property_api_json_bodies(app_map, live_server, campaign):
    _, values = app_map
    session = requests.Session()

    @_hypothesis(campaign)
    @given(action=st.sampled_from(values["name"]),
           body=st.dictionaries(st.sampled_from(PARAMS), _json, max_size=6))
    def attack(action, body):
        reply = session.post(f"{live_server}/api/3/action/{action}", json=body,
                             timeout=TIMEOUT)
        problems = check(reply, f"POST {action} {json.dumps(body)[:200]}")
        assert problems == [], [str(p) for p in problems]

    attack()


def test_property_dash_callbacks(callbacks, live_server, campaign):
    session = requests.Session()

    @_hypothesis(campaign)
    @given(dep=st.sampled_from(callbacks), inputs=st.lists(_json, min_size=1, max_size=4))
    def attack(dep, inputs):
        reply = session.post(f"{live_server}/_dash-update-component",
                             json=dash_callback_body(dep, inputs), timeout=TIMEOUT)
        problems = check(reply, f"callback {dep['output']} {inputs!r}"[:200])
        assert problems == [], [str(p) for p in problems]

    attack()
