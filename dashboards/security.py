"""Security policy of the public site: response headers, request limits, error pages.

One place decides what every response carries, so no page, blueprint or download
can forget it:

* a Content-Security-Policy that allows only this origin's scripts plus the exact
  inline scripts Dash writes into its HTML (allowed by their SHA-256 hash, computed
  from the response itself, so clientside callbacks added later keep working
  without ``'unsafe-inline'``), and ``frame-ancestors 'none'`` against clickjacking;
* ``X-Content-Type-Options``, ``Referrer-Policy``, ``X-Frame-Options`` and friends;
* a cap on request bodies (Dash callback payloads are small), on query strings and
  on JSON nesting, and a gate that answers 400 to Dash callback requests no Dash
  renderer would send (Dash trusts their shape and would fail with a 500);
* error handlers that answer with a short generic message and never a traceback,
  a SQL error or a file path: internals go to the server log only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from functools import lru_cache
from urllib.parse import urlsplit

import dash
from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, RequestURITooLarge

from dashboards import warehouse
from ponmetro.settings import ENV_TILE_URL

log = logging.getLogger(__name__)

#: Largest request body accepted (Dash callback payloads are a few kilobytes).
MAX_BODY_BYTES = 1 << 20
#: Longest query string accepted; longer ones get 414 before any page code runs.
MAX_QUERY_BYTES = 8 * 1024

#: Headers every response carries, whatever it is (also rendered into the front proxy's
#: configuration for the answers it gives itself: deploy/render.py).
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: The policy of anything that is not an HTML page (data, errors, static files).
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)

#: Deepest JSON nesting accepted in a request body (Python's parser would overflow its stack).
MAX_JSON_DEPTH = 64
#: What a browser's dcc.Location can send: Dash's page router trusts these shapes.
_LOCATION_PROPS = {"pathname": "/", "search": "?", "hash": "#", "href": "http"}

#: Routes answered as JSON (machine clients), everything else gets plain text.
_JSON_PREFIXES = ("/api/", "/_dash-", "/healthz")


def tile_origin(template: str | None) -> str | None:
    """The CSP source for a Leaflet tile URL template (a ``{s}`` subdomain becomes ``*``)."""
    parts = urlsplit(template or "")
    host = parts.netloc
    if parts.scheme not in ("http", "https") or not host:
        return None
    if "{" in host:
        host = "*." + host.split(".", 1)[-1]
    return f"{parts.scheme}://{host}"


@lru_cache(maxsize=256)
def _hash(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP hash sources of every inline ``<script>`` in an HTML document, in order."""
    return sorted({_hash(body) for body in _INLINE_SCRIPT.findall(html)})


def content_security_policy(html: bytes | None) -> str:
    """The policy for one response: pages get the app's sources, data gets nothing."""
    if html is None:
        return DATA_POLICY
    images = ["'self'", "data:", "blob:"]
    tiles = tile_origin(os.environ.get(ENV_TILE_URL))
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *inline_script_hashes(html)],
        # Plotly and Leaflet position elements with inline style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _secure_headers(response: Response) -> Response:
    is_html = response.mimetype == "text/html" and not response.is_streamed
    body = response.get_data() if is_html else None
    response.headers["Content-Security-Policy"] = content_security_policy(body)
    response.headers.update(STATIC_HEADERS)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def _limit_query_string() -> None:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge()


def _json_depth_ok(body: bytes) -> bool:
    """False when brackets nest deeper than MAX_JSON_DEPTH (counted outside strings)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return True
    try:
        json.loads(body, parse_constant=float)
    except RecursionError:
        return False
    except ValueError:
        return True  # not JSON at all: the route's own parser reports it
    depth = deepest = 0
    in_string = escaped = False
    for char in body.decode("utf-8", "replace"):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest <= MAX_JSON_DEPTH


def _check_json_body() -> None:
    if request.method in ("POST", "PUT", "PATCH") and request.is_json and \
            not _json_depth_ok(request.get_data(cache=True)):
        raise BadRequest("JSON nested too deeply")


def _check_dash_callback() -> None:
    """Refuse callback requests no Dash renderer would send, before Dash dispatches them.

    Dash trusts the shape of its own renderer's requests: an unknown output, a
    non-object body or a non-string URL part raises inside Dash (a 500). Those are
    client errors, so they are answered 400 here.
    """
    if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
        return
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("output"), str) or \
            not isinstance(body.get("inputs"), list) or \
            not isinstance(body.get("outputs"), (dict, list)):
        raise BadRequest("not a Dash callback request")
    if body["output"] not in dash.get_app().callback_map:
        raise BadRequest("unknown callback")
    inputs = body["inputs"]
    for item in [*inputs, *(body.get("state") or [])]:
        if not isinstance(item, dict) or "property" not in item:
            raise BadRequest("malformed callback input")
        prefix = _LOCATION_PROPS.get(item["property"])
        value = item.get("value")
        if item in inputs and item["property"] == "pathname" and not (
                isinstance(value, str) and value.startswith("/")):
            raise BadRequest("malformed location")
        if prefix is not None and value is not None and not (
                isinstance(value, str) and (value == "" or value.startswith(prefix))):
            raise BadRequest("malformed location")


def _wants_json() -> bool:
    return request.path.startswith(_JSON_PREFIXES) or request.accept_mimetypes.best == \
        "application/json"


def _answer(status: int, message: str) -> Response:
    if _wants_json():
        response = jsonify(success=False, error={"status": status, "message": message})
    else:
        response = Response(f"{status} {message}\n", mimetype="text/plain")
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    """Werkzeug's error with its status, but our short text (no echo of the request)."""
    response = _answer(exc.code or 500, exc.name)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unknown_dependency(exc: DependencyException) -> Response:
    """A request for a script Dash never registered is a 404, not a server fault."""
    return _answer(404, "Not Found")


def _unavailable(exc: warehouse.WarehouseUnavailable) -> Response:
    log.warning("warehouse unavailable: %s", exc)
    return _answer(503, "The data is temporarily unavailable; please try again later.")


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _answer(500, "Something went wrong on our side; it has been logged.")


def register(server: Flask) -> None:
    """Apply the security policy to ``server`` (call once, right after creating it)."""
    server.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        DEBUG=False,
    )
    server.before_request(_limit_query_string)
    server.before_request(_check_json_body)
    server.before_request(_check_dash_callback)
    server.after_request(_secure_headers)
    server.register_error_handler(HTTPException, _http_error)
    server.register_error_handler(DependencyException, _unknown_dependency)
    server.register_error_handler(warehouse.WarehouseUnavailable, _unavailable)
    server.register_error_handler(Exception, _unexpected)
