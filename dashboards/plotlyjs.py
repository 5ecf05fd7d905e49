"""plotly.js for ``dcc.Graph``: a bundle of only the trace types the app draws, served locally.

Dash loads plotly.js lazily, the first time a ``dcc.Graph`` mounts, from the fixed URL
``<prefix>_dash-component-suites/plotly/package_data/plotly.min.js`` (the full 4.8 MB
bundle of the plotly package; see ``_dashPlotlyJSURL`` in dash-renderer). Every chart
of the app is a ``bar``, ``heatmap`` or ``scatter`` trace: a bundle of the same plotly.js
version with those three alone is a quarter of the bytes (a fifth smaller than the
official cartesian partial bundle, which adds box, violin, pie, histograms...). This module
answers that URL with the vendored partial bundle (compressed as every script is), and
gives chart pages a ``<link rel=preload>`` so the browser fetches it while the page's
first callback runs instead of after it.

The file is built from the official ``plotly.js`` npm package (package.json) by
``make plotly-bundle`` (tools/plotly-bundle.mjs, esbuild) into ``dashboards/vendor/``, so
that a deployment needs no Node; tests check that it is what that command builds, of the
version plotly.py expects, and that it draws every trace type used.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import flask

VENDOR = Path(__file__).resolve().parent / "vendor"
BUNDLE = VENDOR / "plotly-custom.min.js"
#: Where dash-renderer fetches plotly.js when pages are served locally (not fingerprinted).
SUITE_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
#: Revalidated daily (ETag); the URL carries no version, so a deploy must be able to replace it.
MAX_AGE = 24 * 3600


def version() -> str:
    """The plotly.js version in the bundle's banner (``v4.1.1``), without the ``v``."""
    head = BUNDLE.read_bytes()[:200].decode("ascii", "replace")
    match = re.search(r"plotly\.js \(custom[^)]*\) v(\d+\.\d+\.\d+)", head)
    if match is None:
        raise RuntimeError(f"{BUNDLE}: no plotly.js custom bundle version banner")
    return match.group(1)


@functools.lru_cache(maxsize=1)
def _body() -> tuple[bytes, str]:
    raw = BUNDLE.read_bytes()
    return raw, hashlib.sha256(raw).hexdigest()[:20]


def serve() -> flask.Response:
    """The bundle (compressed like every script: :mod:`dashboards.precompress`); 304 while
    the client's ETag still holds."""
    raw, etag = _body()
    if flask.request.if_none_match.contains(etag):
        response = flask.Response(status=304)
    else:
        response = flask.Response(raw, mimetype="application/javascript")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def url(prefix: str) -> str:
    return prefix + SUITE_PATH


def register(server: flask.Flask, routes_prefix: str) -> None:
    """Answer Dash's plotly.js URL with the app's bundle (a static rule: it wins over
    Dash's ``<package_name>/<path>`` rule for component suites)."""
    server.add_url_rule(url(routes_prefix), "plotlyjs_partial_bundle", serve)


def preload_tag(requests_prefix: str) -> str:
    """Fetched early but after the scripts that draw the page (low priority): on a slow
    link the page text must not wait for the charts library."""
    return (f'<link rel="preload" href="{url(requests_prefix)}" as="script" '
            'fetchpriority="low">')


def draws_charts(path: str, registry: dict) -> bool:
    """Is ``path`` a page registered with ``charts=True`` (``dash.register_page``)?"""
    path = "/" + path.strip("/")
    for page in registry.values():
        if not page.get("charts"):
            continue
        template = page.get("path_template")
        if page.get("path") == path or (
                template and re.fullmatch(re.sub(r"<[^>/]+>", "[^/]+", template), path)):
            return True
    return False
