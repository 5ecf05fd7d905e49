"""The OpenAPI 3.1 document: valid, complete, rendered locally, and true of the live app.

schemathesis drives every operation of ``/api/openapi.json`` against real gunicorn
(positive and negative data, boundary values) and checks: no server error, every
status code, content type, header and body as declared. ``PONMETRO_CAMPAIGN=full``
runs the size documented in docs/reliability.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from dashboards.hub.ckan import ACTIONS

BIN = Path(sys.executable).parent
#: Examples per operation (and seed) for each campaign size.
SIZES = {"smoke": (3, "1"), "full": (100, None)}
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")


@pytest.fixture(scope="module")
def document(http, hub) -> dict:
    resp = http.get(f"{hub}/api/openapi.json", timeout=60)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"
    return resp.json()


def test_document_is_valid_openapi_31(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_validator_rejects_a_broken_document(document):
    broken = {**document, "paths": {"/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(Exception, match="description"):
        validate(broken)


def test_every_api_is_described(document, published):
    paths = document["paths"]
    for name in ACTIONS:
        for prefix in ("/api/3/action/", "/api/action/"):
            assert {"get", "post"} <= set(paths[prefix + name]), name
    for dataset_id in published:
        download = paths[f"/download/{dataset_id}.{{format}}"]["get"]
        params = {p["name"] for p in download["parameters"]}
        columns = {c["column_name"] for c in published[dataset_id]["columns"]}
        assert {"fields", "sort", "q"} <= params
        assert columns - {"geometry", "allowed_vehicle_types"} <= params
    for path in ("/healthz", "/catalog.ttl", "/catalog.jsonld", "/catalog.rdf",
                 "/data/{dataset_id}.ttl", "/data/{dataset_id}/datapackage.json",
                 "/download/catalog.zip", "/ogc/", "/ogc/conformance", "/ogc/collections",
                 "/ogc/collections/{collectionId}", "/ogc/collections/nil/items",
                 "/ogc/collections/{collectionId}/items/{featureId}"):
        assert path in paths, path


def test_html_rendering_is_served_locally(http, hub, document):
    resp = http.get(f"{hub}/api/openapi.html", timeout=60)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    page = resp.text
    assert '<html lang="it">' in page and "<script" not in page
    # every stylesheet, script or image comes from this server (no CDN)
    assets = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="([^"]+)"', page)
    assert assets and all(a.startswith(("/assets/", "/_favicon.ico")) for a in assets)
    for path in ("/api/3/action/package_search", "/ogc/collections/nil/items",
                 "/download/nil.{format}"):
        assert f"{path}</code>" in page


def test_schemathesis_finds_no_failure(hub, tmp_path):
    size = os.environ.get("PONMETRO_CAMPAIGN", "smoke")
    examples, seed = SIZES[size]
    command = [str(BIN / "st"), "run", f"{hub}/api/openapi.json", "--checks", CHECKS,
               "--mode", "all", "--max-examples", str(examples),
               "--phases", "examples,coverage,fuzzing", "--workers", "2",
               "--generation-database", "none", "--request-timeout", "120", "--no-color",
               "--report", "junit", "--report-dir", str(tmp_path)]
    if seed:
        command += ["--seed", seed]
    run = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path,
                         timeout=3000)
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert re.search(r"\d+ generated, \d+ passed", summary), summary
