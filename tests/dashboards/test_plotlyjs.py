"""plotly.js is the vendored bundle of the app's trace types, served at the URL Dash loads it from."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILDER = ROOT / "tools" / "plotly-bundle.mjs"
NPM_PLOTLY = ROOT / "node_modules" / "plotly.js" / "package.json"
RUNTIME = ROOT / "assets" / "00-regenerator-runtime.min.js"
URL = "/_dash-component-suites/plotly/package_data/plotly.min.js"
DASHBOARDS = ["/", "/axis/1", "/axis/4", "/housing", "/social", "/mobility", "/mobility?lang=en"]


def test_vendored_bundle_is_plotly_pys_version_with_its_license_header():
    from plotly.offline import get_plotlyjs_version

    from dashboards import plotlyjs

    assert plotlyjs.version() == get_plotlyjs_version()
    head = plotlyjs.BUNDLE.read_bytes()[:300].decode()
    assert head.startswith("/**\n* plotly.js (custom: scatter, bar, heatmap - minified) v")
    assert "Copyright 2012-" in head and "Plotly, Inc." in head and "MIT license" in head
    package = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    assert package["plotly.js"] == get_plotlyjs_version(), \
        "package.json's plotly.js is not the version plotly.py expects"


def test_vendored_files_are_what_make_plotly_bundle_builds(tmp_path):
    """The committed plotly.js bundle and regenerator runtime are reproducible from
    package.json's packages (no hand edits, no stale copy after a version bump)."""
    node = shutil.which("node")
    if node is None or not NPM_PLOTLY.exists():
        pytest.skip("node or node_modules/plotly.js absent (run make test-deps): cannot rebuild")
    from dashboards import plotlyjs

    subprocess.run([node, str(BUILDER), str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    for built, committed in [("plotly-custom.min.js", plotlyjs.BUNDLE),
                             ("00-regenerator-runtime.min.js", RUNTIME)]:
        assert (tmp_path / built).read_bytes() == committed.read_bytes(), \
            f"{committed} differs from what `make plotly-bundle` builds: rebuild it"


def test_version_refuses_a_file_without_the_banner(tmp_path, monkeypatch):
    from dashboards import plotlyjs

    fake = tmp_path / "plotly.min.js"
    fake.write_text("/** plotly.js (cartesian - minified) v4.1.1 */ var Plotly;")
    monkeypatch.setattr(plotlyjs, "BUNDLE", fake)
    with pytest.raises(RuntimeError, match="no plotly.js custom bundle version banner"):
        plotlyjs.version()


@pytest.mark.parametrize("encoding", ["br", "gzip", "identity"])
def test_dash_plotly_url_answers_the_partial_bundle(app, encoding):
    import brotli

    from dashboards import plotlyjs

    reply = app.server.test_client().get(URL, headers={"Accept-Encoding": encoding})
    assert reply.status_code == 200 and reply.mimetype == "application/javascript"
    body = reply.get_data()
    sent = reply.headers.get("Content-Encoding", "identity")
    assert sent == encoding
    decoded = {"br": brotli.decompress, "gzip": gzip.decompress}.get(sent, bytes)(body)
    assert decoded == plotlyjs.BUNDLE.read_bytes()
    assert b"plotly.js (custom" in decoded[:200]
    assert "Accept-Encoding" in reply.headers["Vary"]


def test_unknown_encodings_get_the_plain_file_and_etag_revalidates(app):
    from dashboards import plotlyjs

    client = app.server.test_client()
    reply = client.get(URL, headers={"Accept-Encoding": "compress, x-hostile;q=1"})
    assert reply.headers.get("Content-Encoding") is None
    assert reply.get_data() == plotlyjs.BUNDLE.read_bytes()
    again = client.get(URL, headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    stale = client.get(URL, headers={"If-None-Match": '"not-the-bundle"'})
    assert stale.status_code == 200


def test_full_plotly_bundle_is_not_what_pages_load(app):
    """Dash's own copy (4.8 MB) stays unreachable through the URL its renderer uses."""
    from importlib.resources import files

    full = files("plotly").joinpath("package_data/plotly.min.js").read_bytes()
    body = app.server.test_client().get(URL, headers={"Accept-Encoding": "identity"}).get_data()
    assert len(body) < len(full) / 2


@pytest.mark.parametrize("path", DASHBOARDS)
def test_dashboards_preload_plotly(app, path):
    page = app.server.test_client().get(path).get_data(as_text=True)
    assert page.count(f'<link rel="preload" href="{URL}" as="script" fetchpriority="low">') == 1


@pytest.mark.parametrize("path", ["/note-legali", "/privacy", "/nope"])
def test_pages_without_charts_do_not_preload_plotly(app, path):
    page = app.server.test_client().get(path).get_data(as_text=True)
    assert URL not in page


def test_draws_charts_matches_templates_exactly():
    from dashboards import plotlyjs

    registry = {"a": {"path": "/axis/<axis_id>", "path_template": "/axis/<axis_id>",
                      "charts": True},
                "b": {"path": "/housing", "path_template": None, "charts": True},
                "c": {"path": "/privacy", "path_template": None}}
    assert plotlyjs.draws_charts("/axis/2", registry)
    assert plotlyjs.draws_charts("/housing/", registry)
    assert not plotlyjs.draws_charts("/axis/2/extra", registry)
    assert not plotlyjs.draws_charts("/privacy", registry)
    assert not plotlyjs.draws_charts("/housingx", registry)
