"""Dash's scripts and the app's styles sent at brotli's best level, compressed once.

flask-compress compresses every response on the fly at a fast level (zstd 3 for
Chromium), which suits callback replies but leaves about a fifth on the table for
the ~3 MB of React, Dash, dash-leaflet and Bootstrap Italia that every first visit
downloads. Those files never change while a process runs, so each is compressed once
at brotli 11 in a low-priority background thread; until it is ready (the first few
requests after a start) flask-compress answers as before.
"""

from __future__ import annotations

import os
import threading

import brotli
import flask

#: Text resources worth compressing (fonts and images are compressed already).
MIMETYPES = frozenset({"application/javascript", "text/javascript", "text/css"})
PREFIXES = ("/_dash-component-suites/", "/assets/")  # includes the plotly.js bundle
MIN_SIZE = 4096

_ready: dict[str, bytes] = {}
_pending: set[str] = set()
_lock = threading.Lock()


def _key(request: flask.Request) -> str | None:
    if request.method != "GET" or not request.path.startswith(PREFIXES):
        return None
    return request.full_path  # assets carry their mtime in ?m=, suites a version in the path


def _compress(key: str, body: bytes) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # this thread only
    except OSError:
        pass
    packed = brotli.compress(body, quality=11)
    with _lock:
        _ready[key] = packed
        _pending.discard(key)


def _accepts_br(request: flask.Request) -> bool:
    return any(part.split(";")[0].strip().lower() == "br"
               for part in request.headers.get("Accept-Encoding", "").split(","))


def after_request(response: flask.Response) -> flask.Response:
    """Serve the brotli-11 copy when there is one; otherwise start making it."""
    request = flask.request
    key = _key(request)
    if (key is None or response.status_code != 200 or response.mimetype not in MIMETYPES
            or "Content-Encoding" in response.headers or not _accepts_br(request)):
        return response
    with _lock:
        packed = _ready.get(key)
        start = packed is None and key not in _pending
        if start:
            _pending.add(key)
    if packed is None:
        if start:
            response.direct_passthrough = False
            body = response.get_data()
            if len(body) < MIN_SIZE:
                return response  # stays pending: never worth another look
            threading.Thread(target=_compress, args=(key, body), daemon=True,
                             name="precompress").start()
        return response
    response.direct_passthrough = False
    response.set_data(packed)
    response.headers["Content-Encoding"] = "br"
    response.headers["Content-Length"] = str(len(packed))
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag and not weak:  # one validator per representation, as flask-compress does
        response.set_etag(f"{etag}:br")
    response.make_conditional(request)
    return response


def register(server: flask.Flask) -> None:
    """Register after flask-compress (Dash(compress=True)): Flask runs later-registered
    ``after_request`` hooks first, and flask-compress leaves encoded responses alone."""
    server.after_request(after_request)
