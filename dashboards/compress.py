"""How each kind of response is compressed on the fly: one place for the levels.

flask-compress (enabled by ``Dash(compress=True)``) compresses pages, JSON and anything
not precompressed (:mod:`dashboards.precompress` handles Dash's scripts) at one zstd
level for the whole app. Two kinds of response want different trade-offs:

* pages: zstd 6, ~6 % smaller than flask-compress's default 3 for ~0.1 ms on a page;
* callback replies (``POST /_dash-update-component``): zstd 1. A page's reply is
  65-220 kB of JSON built per request, and its compression is server time the user
  waits for. Measured on the five dashboard replies at scale 100: level 6 took
  0.24-1.24 ms, level 1 0.05-0.21 ms, for 1-12 % more bytes (``/social``: 27.3 kB at
  level 6, 28.6 kB at level 1; level 3 was both slower and larger there, 30.3 kB).

flask-compress reads its level from the app config for every response, so a second
level cannot be set per route there; callback replies are compressed here instead,
before flask-compress sees them (it leaves a response with a ``Content-Encoding``
alone). Clients that do not accept zstd get flask-compress's choice as before.
"""

from __future__ import annotations

import flask

try:  # Python 3.14's standard library; before, the backport flask-compress uses too
    from compression import zstd
except ImportError:
    from backports import zstd

PAGE_ZSTD_LEVEL = 6
REPLY_ZSTD_LEVEL = 1
#: Dash's callback endpoint, below the app's routes prefix.
REPLY_PATH = "_dash-update-component"
MIN_SIZE = 500  # flask-compress's own threshold: smaller replies go uncompressed


def _accepts_zstd(request: flask.Request) -> bool:
    """The client names zstd with a non-zero quality (``zstd;q=0`` refuses it)."""
    return request.accept_encodings["zstd"] > 0


def _is_reply(request: flask.Request) -> bool:
    return request.method == "POST" and request.path.endswith("/" + REPLY_PATH)


def after_request(response: flask.Response) -> flask.Response:
    """Compress a callback reply at :data:`REPLY_ZSTD_LEVEL` (zstd clients only)."""
    request = flask.request
    if (not _is_reply(request) or response.status_code != 200
            or response.mimetype != "application/json" or response.is_streamed
            or "Content-Encoding" in response.headers or not _accepts_zstd(request)):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    packed = zstd.compress(body, REPLY_ZSTD_LEVEL)
    response.set_data(packed)
    response.headers["Content-Encoding"] = "zstd"
    response.headers["Content-Length"] = str(len(packed))
    response.vary.add("Accept-Encoding")
    return response


def register(server: flask.Flask) -> None:
    """Set the page level and compress callback replies at theirs.

    Call after ``Dash(compress=True)`` has registered flask-compress: Flask runs
    ``after_request`` hooks last-registered first, so this one sees the reply first."""
    server.config["COMPRESS_ZSTD_LEVEL"] = PAGE_ZSTD_LEVEL
    server.after_request(after_request)
