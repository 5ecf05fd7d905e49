"""Golden answers: downloads, Data Packages, DCAT, the CKAN API, EU reporting files and
chart downloads give the same bytes as the committed ``expected/`` files.

Requests go through the real app (``dashboards.app.server``) over the session demo
warehouse. Only what legitimately varies per build is normalised: the build id and
build time (ISO, SQL, HTTP-date and date forms), the timestamps inside zip and XLSX
containers (an XLSX is compared by sheet names and cell values, a zip by member names
and member contents). Status, Content-Type and Content-Disposition are compared too.

After an intended change of an answer, regenerate and review the diff of ``expected/``::

    PONMETRO_GOLDEN_UPDATE=1 .venv/bin/pytest tests/golden
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from werkzeug.http import http_date

HERE = Path(__file__).parent
EXPECTED = HERE / "expected"
MANIFEST = EXPECTED / "manifest.json"
#: Normalised text bodies up to this size are also kept as readable files beside the
#: manifest (digests of every answer are in the manifest), so a review sees the diff.
FILE_LIMIT = 256 << 10
UPDATE = os.environ.get("PONMETRO_GOLDEN_UPDATE", "") not in ("", "0")

DOWNLOAD_FORMATS = ("csv", "xlsx", "parquet", "json")
#: A located dataset with lon/lat, one with a geometry column, a suppressed one, a plain one.
DATASETS = {"projects": True, "cycle-routes": True, "social-usage-total-monthly": False,
            "indicators": False}
AS_OF = "2022-12-31"


def _cases() -> list[tuple[str, str, str, object]]:
    """(name, method, path, JSON body or None): the answers kept golden."""
    out: list[tuple[str, str, str, object]] = []
    for ds, located in DATASETS.items():
        for fmt in DOWNLOAD_FORMATS + (("geojson",) if located else ()):
            out.append((f"download/{ds}.{fmt}", "GET", f"/download/{ds}.{fmt}", None))
        out.append((f"download/{ds}.csv-excel", "GET", f"/download/{ds}.csv?excel=1", None))
        out.append((f"datapackage/{ds}", "GET", f"/data/{ds}/datapackage.json", None))
    query = "?month__gte=2020-01-01&sort=month%20desc,service&fields=month,service,users"
    for fmt in ("csv", "xlsx", "json", "parquet"):
        out.append((f"download/social-usage-total-monthly.filtered.{fmt}", "GET",
                    f"/download/social-usage-total-monthly.{fmt}{query}", None))
    out += [
        ("download/projects.filtered.geojson", "GET",
         "/download/projects.geojson?axis_id=2&sort=project_code%20desc", None),
        ("download/projects.filtered.csv-excel", "GET",
         "/download/projects.csv?excel=1&axis_id=4&fields=project_code,title_it,lon,lat", None),
        ("download/projects.bad-filter", "GET", "/download/projects.csv?nope=1", None),
        ("download/projects.unknown-format", "GET", "/download/projects.tsv", None),
        ("download/indicators.package-csv", "GET", "/data/indicators/indicators.csv", None),
        ("download/catalog.zip", "GET", "/download/catalog.zip", None),
    ]
    for ext in ("ttl", "jsonld", "rdf"):
        out.append((f"dcat/catalog.{ext}", "GET", f"/catalog.{ext}", None))
    out.append(("dcat/catalog.ttl-page1", "GET", "/catalog.ttl?page=1", None))
    api = "/api/3/action/"
    out += [
        ("ckan/package_list", "GET", api + "package_list", None),
        ("ckan/package_show", "GET", api + "package_show?id=projects", None),
        ("ckan/package_show-located-geometry", "GET", api + "package_show?id=cycle-routes", None),
        ("ckan/package_show-suppressed", "POST", api + "package_show",
         {"id": "social-usage-total-monthly"}),
        ("ckan/package_search", "GET", api + "package_search?q=bike&rows=5", None),
        ("ckan/package_search-facets", "POST", api + "package_search",
         {"fq": "res_format:GeoJSON", "facet.field": ["res_format", "groups"], "rows": 50}),
        ("ckan/package_search-all", "GET", api + "package_search?rows=1000", None),
        ("ckan/resource_show-csv", "GET", api + "resource_show?id=projects", None),
        ("ckan/resource_show-geojson", "GET", api + "resource_show?id=projects.geojson", None),
        ("ckan/resource_show-xlsx", "GET",
         api + "resource_show?id=social-usage-total-monthly.xlsx", None),
        ("ckan/datastore_search", "POST", api + "datastore_search",
         {"resource_id": "social-usage-total-monthly", "filters": {"month": {"gte": "2021-01-01"}},
          "sort": "month desc, service", "limit": 20}),
        ("ckan/datastore_search-projects", "GET",
         api + "datastore_search?resource_id=projects&limit=5&q=bike", None),
        ("ckan/datastore_search_sql", "GET", api + "datastore_search_sql?sql="
         "SELECT%20axis_id,%20count(*)%20AS%20n%20FROM%20projects%20GROUP%20BY%201%20ORDER%20BY%201",
         None),
    ]
    for file in ("xlsx", "table6", "table3a", "table5", "operations"):
        out.append((f"reporting/{file}", "GET",
                    f"/reporting/download?as_of={AS_OF}&file={file}", None))
    out.append(("reporting/xlsx-en", "GET",
                f"/reporting/download?as_of={AS_OF}&file=xlsx&lang=en", None))
    # not bike_stations: its means come from a parallel DuckDB aggregation whose last float
    # digit varies from run to run
    for chart in ("axis_finance", "social_usage", "housing_status"):
        for fmt in ("csv", "xlsx"):
            out.append((f"chart/{chart}.{fmt}", "CHART", chart, fmt))
    for path in ("/data", "/data?format=geojson", "/data/projects", "/data/indicators",
                 "/projects/MI4.1.1.c", "/reporting?as_of=2020-12-31&lang=en"):
        out.append((f"page{path.replace('?', '_').replace('=', '-')}", "PAGE", path, None))
    return out


CHART_PARAMS = {"axis_id": "2", "code": None, "municipio": "3", "year": "2022"}


# ----------------------------------------------------------------- normalisation

class Normaliser:
    """Replaces the per-build tokens (build id, build time) in every answer."""

    def __init__(self, warehouse: Path):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            build_id, built_at = con.execute(
                "SELECT build_id, built_at FROM meta.build").fetchone()
        finally:
            con.close()
        from dashboards.i18n import fmt_date

        forms = [
            (build_id, "<BUILD_ID>"),
            *[(fmt_date(built_at, lang), "<BUILD_TIME>") for lang in ("it", "en")],
            *[(fmt_date(built_at.date(), lang), "<BUILD_DATE>") for lang in ("it", "en")],
            (http_date(built_at.replace(tzinfo=dt.UTC)), "<BUILD_HTTP_DATE>"),
            (f"{built_at:%Y-%m-%dT%H:%M:%S}", "<BUILD_TIME>"),
            (f"{built_at:%Y-%m-%d %H:%M:%S}", "<BUILD_TIME>"),
            (f"{built_at:%Y-%m-%d}", "<BUILD_DATE>"),
        ]
        self.tokens = [(a.encode(), b.encode()) for a, b in forms]

    def text(self, body: bytes) -> bytes:
        for old, new in self.tokens:
            body = body.replace(old, new)
        return body

    def body(self, name: str, body: bytes) -> bytes:
        """The comparable form of one answer, by what the bytes are."""
        if body[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                if "xl/workbook.xml" in zf.namelist():
                    return self.text(_xlsx_cells(body))
                parts = []
                for member in sorted(zf.namelist()):
                    inner = self.body(member, zf.read(member))
                    parts.append(f"== {member} ({len(inner)} bytes, sha256 "
                                 f"{hashlib.sha256(inner).hexdigest()})\n".encode())
                return b"".join(parts)
        if name.startswith("dcat/") and not name.split("/")[-1].startswith("catalog.ttl"):
            return self.text(_canonical_rdf(body, name))
        if body[:4] == b"PAR1":
            return body  # no build-dependent values in any kept Parquet answer
        return self.text(body)


def _canonical_rdf(body: bytes, name: str) -> bytes:
    """RDF/XML and JSON-LD: rdflib writes their nodes in a per-process order, so they
    are compared as the sorted canonical N-Triples of the graph (blank nodes labelled
    by content); Turtle is written sorted and is compared byte for byte."""
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    fmt = "json-ld" if name.endswith("jsonld") else "xml"
    graph = to_canonical_graph(Graph().parse(data=body, format=fmt))
    lines = sorted(graph.serialize(format="nt").splitlines())
    return ("\n".join(line for line in lines if line) + "\n").encode()


def _xlsx_cells(body: bytes) -> bytes:
    """Sheet names and every cell value (typed), one JSON line per row."""
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    lines = []
    for sheet in book.worksheets:
        lines.append(f"== sheet {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            lines.append(json.dumps([v if isinstance(v, (str, int, float, type(None)))
                                     else f"{type(v).__name__}:{v}" for v in row],
                                    ensure_ascii=False))
    book.close()
    return ("\n".join(lines) + "\n").encode()


# ----------------------------------------------------------------- requests

@pytest.fixture(scope="module")
def client(warehouse):
    from dashboards import app as module
    from dashboards import warehouse as door

    door.reset()
    return module.server.test_client()


def _chart(client, chart: str, fmt: str) -> tuple[int, str, str, bytes]:
    """The chart download callback, called the way the browser calls it."""
    key = "golden"
    store = {"chart": chart, "params": CHART_PARAMS, "lang": "it"}
    clicked = {"key": key, "type": f"dl-{fmt}"}
    payload = {
        "output": '{"key":["MATCH"],"type":"chart-download"}.data',
        "outputs": {"id": {"key": key, "type": "chart-download"}, "property": "data"},
        "inputs": [{"id": {"key": key, "type": "dl-csv"}, "property": "n_clicks",
                    "value": 1 if fmt == "csv" else None},
                   {"id": {"key": key, "type": "dl-xlsx"}, "property": "n_clicks",
                    "value": 1 if fmt == "xlsx" else None}],
        "changedPropIds": [json.dumps(clicked, separators=(",", ":")) + ".n_clicks"],
        "state": [{"id": {"key": key, "type": "chart-spec"}, "property": "data",
                   "value": store}],
    }
    reply = client.post("/_dash-update-component", json=payload)
    target = json.dumps({"key": key, "type": "chart-download"}, separators=(",", ":"))
    data = reply.get_json()["response"][target]["data"] if reply.status_code == 200 else {}
    body = base64.b64decode(data.get("content", "")) if data.get("base64") else \
        str(data.get("content", "")).encode()
    return reply.status_code, str(data.get("type")), str(data.get("filename")), body


def _page(client, path: str) -> tuple[int, str, str, bytes]:
    """The server-rendered page (asset modification stamps, which follow the checkout,
    hidden)."""
    reply = client.get(path)
    body = re.sub(rb"\?m=\d+", b"?m=<MTIME>", reply.data)
    return reply.status_code, reply.content_type, "", body


def _fetch(client, method: str, path: str, extra: object) -> tuple[int, str, str, bytes]:
    if method == "CHART":
        return _chart(client, path, str(extra))
    if method == "PAGE":
        return _page(client, path)
    reply = client.post(path, json=extra) if method == "POST" else client.get(path)
    return (reply.status_code, reply.content_type,
            reply.headers.get("Content-Disposition", ""), reply.get_data())


def _is_text(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _file_name(name: str) -> str:
    return name.replace("/", "__") + ".txt"


def test_answers_match_the_golden_files(client, warehouse):
    norm = Normaliser(warehouse)
    expected = json.loads(MANIFEST.read_text("utf-8")) if MANIFEST.exists() else {}
    if not expected and not UPDATE:
        pytest.fail(f"{MANIFEST} is missing: run PONMETRO_GOLDEN_UPDATE=1 pytest tests/golden")
    actual: dict[str, dict] = {}
    bodies: dict[str, bytes] = {}
    for name, method, path, extra in _cases():
        status, ctype, disposition, raw = _fetch(client, method, path, extra)
        body = norm.body(name, raw)
        bodies[name] = body
        actual[name] = {"status": status, "content_type": ctype, "disposition": disposition,
                        "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    if UPDATE:
        EXPECTED.mkdir(exist_ok=True)
        for old in EXPECTED.glob("*.txt"):
            old.unlink()
        for name, body in bodies.items():
            if len(body) <= FILE_LIMIT and _is_text(body):
                (EXPECTED / _file_name(name)).write_bytes(body)
        MANIFEST.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n", "utf-8")
        return
    problems = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want == got:
            continue
        problems.append(f"{name}: expected {want}\n{' ' * len(name)}  got      {got}")
        stored = EXPECTED / _file_name(name)
        if got and stored.exists():
            import difflib

            diff = difflib.unified_diff(
                stored.read_text("utf-8", "replace").splitlines(),
                bodies[name].decode("utf-8", "replace").splitlines(),
                "expected", "actual", n=1, lineterm="")
            problems.append("\n".join(list(diff)[:30]))
    assert not problems, (
        "answers differ from tests/golden/expected (if intended, regenerate with "
        "PONMETRO_GOLDEN_UPDATE=1 .venv/bin/pytest tests/golden and review the diff):\n"
        + "\n".join(problems))


def test_normaliser_hides_only_build_tokens(warehouse):
    """The normalisation must not hide real changes: a changed value still shows."""
    norm = Normaliser(warehouse)
    build_id = norm.tokens[0][0]
    assert norm.text(b"id " + build_id) == b"id <BUILD_ID>"
    assert norm.text(b"value 41") != norm.text(b"value 42")
