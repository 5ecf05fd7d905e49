"""plotly.js for ``dcc.Graph``: the official cartesian partial bundle, served locally.

Dash loads plotly.js lazily, the first time a ``dcc.Graph`` mounts, from the fixed URL
``<prefix>_dash-component-suites/plotly/package_data/plotly.min.js`` (the full 4.8 MB
bundle of the plotly package; see ``_dashPlotlyJSURL`` in dash-renderer). Every chart
of the app is a ``bar``, ``heatmap`` or ``scatter`` trace, which the cartesian partial
bundle of the same plotly.js version covers in a third of the bytes. This module
answers that URL with the vendored partial bundle, compressed once per process, and
gives chart pages a ``<link rel=preload>`` so the browser fetches it while the page's
first callback runs instead of after it.

The file is ``plotly.js-cartesian-dist-min`` from npm (package.json), copied into
``dashboards/vendor/`` so that a deployment needs no Node; tests check that it is the
npm file and the version plotly.py expects, and that it draws every trace type used.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import re
from pathlib import Path

import flask

VENDOR = Path(__file__).resolve().parent / "vendor"
BUNDLE = VENDOR / "plotly-cartesian.min.js"
#: Where dash-renderer fetches plotly.js when pages are served locally (not fingerprinted).
SUITE_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
#: Revalidated daily (ETag); the URL carries no version, so a deploy must be able to replace it.
MAX_AGE = 24 * 3600


def version() -> str:
    """The plotly.js version in the bundle's banner (``v4.1.1``), without the ``v``."""
    head = BUNDLE.read_bytes()[:200].decode("ascii", "replace")
    match = re.search(r"plotly\.js \(cartesian[^)]*\) v(\d+\.\d+\.\d+)", head)
    if match is None:
        raise RuntimeError(f"{BUNDLE}: no plotly.js cartesian version banner")
    return match.group(1)


@functools.lru_cache(maxsize=1)
def _encoded() -> dict[str, bytes]:
    """The bundle as sent: identity, gzip and (when brotli is installed) br, made once."""
    raw = BUNDLE.read_bytes()
    out = {"identity": raw, "gzip": gzip.compress(raw, 9, mtime=0)}
    try:
        import brotli  # flask-compress's optional dependency, installed with it
    except ImportError:
        return out
    out["br"] = brotli.compress(raw, quality=9)
    return out


@functools.lru_cache(maxsize=1)
def _etag() -> str:
    return hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:20]


def _encoding(accept: str, available: dict[str, bytes]) -> str:
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    for name in ("br", "gzip"):
        if name in offered and name in available:
            return name
    return "identity"


def serve() -> flask.Response:
    """The bundle, compressed as the client accepts; 304 when its ETag still holds."""
    etag = _etag()
    bodies = _encoded()
    encoding = _encoding(flask.request.headers.get("Accept-Encoding", ""), bodies)
    if flask.request.if_none_match.contains(etag):
        response = flask.Response(status=304)
    else:
        response = flask.Response(bodies[encoding], mimetype="application/javascript")
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding  # flask-compress leaves it alone
    response.set_etag(etag)
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def url(prefix: str) -> str:
    return prefix + SUITE_PATH


def register(server: flask.Flask, routes_prefix: str) -> None:
    """Answer Dash's plotly.js URL with the partial bundle (a static rule: it wins over
    Dash's ``<package_name>/<path>`` rule for component suites)."""
    server.add_url_rule(url(routes_prefix), "plotlyjs_partial_bundle", serve)


def preload_tag(requests_prefix: str) -> str:
    return f'<link rel="preload" href="{url(requests_prefix)}" as="script">'


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
