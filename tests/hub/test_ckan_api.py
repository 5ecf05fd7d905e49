"""The CKAN Action API, driven by the real ``ckanapi`` client (library and CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest

from tests.hub.conftest import action

CKANAPI = Path(sys.executable).parent / "ckanapi"


@pytest.fixture(scope="module")
def remote(hub):
    return ckanapi.RemoteCKAN(hub, user_agent="ponmetro-tests")


def test_package_list_and_show(remote, published):
    names = remote.action.package_list()
    assert names == sorted(published)
    pkg = remote.action.package_show(id="projects")
    assert pkg["name"] == "projects" and pkg["resources"]
    assert pkg["publisher_identifier"] == pkg["holder_identifier"] == "c_f205"
    assert pkg["identifier"] == "c_f205:projects"
    assert pkg["license_id"] == "CC-BY-4.0"
    assert {r["format"] for r in pkg["resources"]} >= {"CSV", "XLSX", "Parquet", "JSON",
                                                      "GeoJSON"}
    assert [d["id"] for d in pkg["data_dictionary"]] == \
        [c["column_name"] for c in published["projects"]["columns"]]


def test_unknown_dataset_is_not_found(remote):
    with pytest.raises(ckanapi.NotFound):
        remote.action.package_show(id="does-not-exist")
    with pytest.raises(ckanapi.NotFound):
        remote.action.resource_show(id="nope.csv")
    with pytest.raises(ckanapi.NotFound):
        remote.action.datastore_search(resource_id="../../etc/passwd")


def test_package_search_facets_paging(remote, published):
    res = remote.action.package_search(q="*:*", rows=5, **{"facet.field": ["groups",
                                                                           "res_format"]})
    assert res["count"] == len(published) and len(res["results"]) == 5
    assert sum(res["facets"]["groups"].values()) == len(published)
    assert res["search_facets"]["res_format"]["items"]
    past = remote.action.package_search(rows=10, start=10_000)
    assert past["count"] == len(published) and past["results"] == []
    tran = remote.action.package_search(fq="groups:tran", rows=1000)
    assert tran["count"] == sum(1 for m in published.values() if m["theme"] == "TRAN")
    bike = remote.action.package_search(q="bike", rows=100)
    assert "bike-stations" in [p["name"] for p in bike["results"]]
    capped = remote.action.package_search(rows=50_000)
    assert len(capped["results"]) == len(published)
    ordered = remote.action.package_search(sort="name desc", rows=1000)
    assert [p["name"] for p in ordered["results"]] == sorted(published, reverse=True)


def test_search_errors_are_ckan_errors(remote):
    with pytest.raises(ckanapi.SearchQueryError):
        remote.action.package_search(fq="nonsense_field:1")
    with pytest.raises(ckanapi.ValidationError):
        remote.action.package_search(rows="many")


def test_organizations_and_groups(remote):
    assert remote.action.organization_list() == ["comune-di-milano"]
    orgs = remote.action.organization_list(all_fields=True)
    assert orgs[0]["package_count"] >= 15
    groups = remote.action.group_list()
    assert "tran" in groups and "soci" in groups


def test_datastore_search(remote, published):
    res = remote.action.datastore_search(resource_id="nil", limit=5, offset=2,
                                         filters={"municipio_id": [1, 2]}, sort="name desc",
                                         fields=["nil_id", "name", "municipio_id"])
    assert res["limit"] == 5 and res["offset"] == 2 and len(res["records"]) == 5
    assert all(r["municipio_id"] in (1, 2) for r in res["records"])
    names = [r["name"] for r in res["records"]]
    assert names == sorted(names, reverse=True)
    assert [f["id"] for f in res["fields"]] == ["nil_id", "name", "municipio_id"]
    total = remote.action.datastore_search(resource_id="nil", limit=0)["total"]
    assert total == published["nil"]["rows"]
    lists = remote.action.datastore_search(resource_id="municipi", records_format="lists",
                                           fields="municipio_id", limit=3)
    assert lists["records"] == [[1], [2], [3]]
    ranged = remote.action.datastore_search(resource_id="project-finance-monthly",
                                            filters={"month": {"gte": "2020-01-01"}},
                                            limit=32000)
    assert all(r["month"] >= "2020-01-01" for r in ranged["records"])
    big = remote.action.datastore_search(resource_id="bed-occupancy-daily", limit=10**9)
    assert big["limit"] == 32000 and len(big["records"]) == 32000


@pytest.mark.parametrize("kwargs, field", [
    ({"filters": {"no_such_column": 1}}, "filters"),
    ({"filters": {"municipio_id": "three"}}, "filters"),
    ({"sort": "name; DROP TABLE x"}, "sort"),
    ({"sort": "bogus desc"}, "sort"),
    ({"fields": ["nil_id", "secret"]}, "fields"),
    ({"limit": -1}, "limit"),
    ({"records_format": "xml"}, "records_format"),
])
def test_datastore_validation_errors(remote, kwargs, field):
    with pytest.raises(ckanapi.ValidationError) as info:
        remote.action.datastore_search(resource_id="nil", **kwargs)
    assert field in info.value.error_dict


def test_datastore_search_sql(remote, published):
    res = remote.action.datastore_search_sql(
        sql='SELECT municipio_id, count(*) AS n FROM "nil" GROUP BY 1 ORDER BY 1')
    assert sum(r["n"] for r in res["records"]) == published["nil"]["rows"]
    joined = remote.action.datastore_search_sql(
        sql='WITH s AS (SELECT * FROM "bike-stations") SELECT m.municipio_id, count(*) n '
            'FROM s JOIN municipi m USING (municipio_id) GROUP BY 1')
    assert joined["records"]
    capped = remote.action.datastore_search_sql(sql='SELECT * FROM "bed-occupancy-daily"')
    assert capped["records_truncated"] is True and len(capped["records"]) == 32000


@pytest.mark.parametrize("sql", [
    "SELECT * FROM mart.projects", "SELECT * FROM meta.build", "SELECT * FROM duckdb_tables()",
    "SELECT * FROM information_schema.tables", "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'", "PRAGMA database_list", "SET threads = 1",
    "ATTACH '/tmp/x.db' AS x", "COPY (SELECT 1) TO '/tmp/x.csv'", "INSTALL httpfs",
    "LOAD httpfs", "SELECT 1; SELECT 2", "DROP TABLE nil", "CREATE TABLE t AS SELECT 1",
    "SELECT getenv('HOME')", "SELECT current_setting('threads')", "SELECT version()",
    "SELECT * FROM staging.geo_nil", "SELECT * FROM glob('/*')", "DESCRIBE nil",
    "SELECT * FROM sqlite_master", "EXPLAIN SELECT 1", "CALL pragma_version()",
    "SELECT repeat('x', 1000000000)", "", "SELECT * FROM nil --\n) AS q; DROP TABLE x; --",
])
def test_datastore_search_sql_refuses(remote, sql):
    with pytest.raises(ckanapi.ValidationError):
        remote.action.datastore_search_sql(sql=sql)


def test_transport_details(http, hub):
    status, body = action(http, hub, "package_list", method="GET")
    assert status == 200 and body["success"] and body["help"].endswith("name=package_list")
    resp = http.get(f"{hub}/api/action/no_such_action", timeout=30)
    assert resp.status_code == 400 and resp.json() == \
        "Bad request: Action name not known: no_such_action"
    status, body = action(http, hub, "package_show", id="missing")
    assert status == 404 and body["error"]["__type"] == "Not Found Error"
    status, body = action(http, hub, "datastore_search", method="GET", resource_id="nil",
                          filters=json.dumps({"bogus": 1}))
    assert status == 409 and body["error"]["__type"] == "Validation Error"
    resp = http.get(f"{hub}/api/3/action/package_list?callback=cb", timeout=30)
    assert resp.text.startswith("cb(") and "javascript" in resp.headers["Content-Type"]
    resp = http.post(f"{hub}/api/3/action/package_list", data="{not json",
                     headers={"Content-Type": "application/json"}, timeout=30)
    assert resp.status_code == 400
    resp = http.get(f"{hub}/api/3/action/package_list/", timeout=30, allow_redirects=False)
    assert resp.status_code not in (301, 302, 308)


def test_ckanapi_cli_search_and_dump(hub, published, tmp_path):
    # ckanapi's dump starts its workers as "ckanapi" from PATH
    env = {**os.environ, "PATH": f"{CKANAPI.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run([str(CKANAPI), "search", "datasets", "-r", hub],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    found = [json.loads(line)["name"] for line in out.stdout.splitlines() if line.strip()]
    assert sorted(found) == sorted(published)
    dump = tmp_path / "datasets.jsonl"
    out = subprocess.run([str(CKANAPI), "dump", "datasets", "--all", "-O", str(dump),
                          "-r", hub], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    dumped = [json.loads(line) for line in dump.read_text().splitlines()]
    assert sorted(d["name"] for d in dumped) == sorted(published)
    assert all(d["resources"] for d in dumped)


def test_ckanapi_get_only_mode(hub):
    """GET callers send lists as repeated keys and dicts as JSON strings."""
    remote = ckanapi.RemoteCKAN(hub, get_only=True)
    res = remote.action.package_search(q="bike", rows=3, **{"facet.field": ["groups",
                                                                            "res_format"]})
    assert set(res["facets"]) == {"groups", "res_format"} and res["count"] >= 1
    rows = remote.action.datastore_search(resource_id="nil", limit=5,
                                          filters=json.dumps({"municipio_id": 1}))
    assert {r["municipio_id"] for r in rows["records"]} == {1}
    with pytest.raises(ckanapi.ValidationError):
        remote.action.datastore_search(resource_id="nil", filters="{not json")


# --------------------------------------------- what the catalogue-level actions return


def test_organization_show(remote, published):
    org = remote.action.organization_show(id="comune-di-milano")
    assert (org["name"], org["title"], org["is_organization"]) == \
        ("comune-di-milano", "Comune di Milano", True)
    assert org["package_count"] == len(published)
    assert "c_f205" in org["description"]
    for ident in ("comune-di-roma", "", "COMUNE-DI-MILANO"):
        with pytest.raises(ckanapi.NotFound):
            remote.action.organization_show(id=ident)


def test_group_show_counts_each_theme(remote, published):
    from dashboards.queries.catalog import THEME_LABELS

    themes = {m["theme"] for m in published.values()}
    assert len(themes) >= 3
    for theme in themes:
        group = remote.action.group_show(id=theme.lower())
        assert group["name"] == theme.lower() and group["is_organization"] is False
        assert group["package_count"] == sum(1 for m in published.values() if m["theme"] == theme)
        assert (group["title"], group["description"]) == THEME_LABELS[theme]
        assert remote.action.group_show(id=theme) == group  # CKAN names are case-insensitive
    assert sum(remote.action.group_show(id=t)["package_count"] for t in themes) == len(published)
    for ident in ("nope", "", "tran' OR '1'='1"):
        with pytest.raises(ckanapi.NotFound):
            remote.action.group_show(id=ident)


def test_tag_list_is_every_keyword_once(remote, published):
    keywords = {k for m in published.values() for k in m["keywords"]}
    assert len(keywords) > 10
    assert remote.action.tag_list() == sorted(keywords)


def test_license_list_holds_the_licence_of_every_dataset(remote, published):
    licences = {lic["id"]: lic for lic in remote.action.license_list()}
    used = {(m["licence_id"], m["licence_url"]) for m in published.values()}
    assert used == {("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")}
    for ident, url in used:
        assert licences[ident]["url"] == url
        assert licences[ident]["od_conformance"] == "approved"
        assert licences[ident]["status"] == "active"


def test_status_show_names_the_served_build(remote, hub, warehouse):
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        build_id = con.sql("SELECT build_id FROM meta.build").fetchall()[0][0]
    finally:
        con.close()
    status = remote.action.status_show()
    assert status["build_id"] == build_id
    assert status["site_url"] == hub
    assert status["locale_default"] == "it"
    assert {"datastore", "dcat", "dcatapit"} <= set(status["extensions"])
    assert status["ckan_version"].split(".")[0] == "2"


def test_help_show_documents_each_action(remote):
    from dashboards.hub.ckan import ACTIONS

    assert len(ACTIONS) >= 14
    for name, function in ACTIONS.items():
        text = remote.action.help_show(name=name)
        assert text == (function.__doc__ or f"{name}: see docs/open-data.md").strip()
    assert remote.action.help_show(name="help_show").startswith("The docstring of an action")
    for name in ("nope", "__init__", "ACTIONS", "_reply"):
        with pytest.raises(ckanapi.NotFound):
            remote.action.help_show(name=name)
