"""Per-client rate limits on the data routes (APIs and downloads), shared by every host.

The limit lives in the app (flask-limiter) and its counters in the same redis as the
query cache, so every host behind the proxy counts the same client together and the
``RateLimit-Limit`` / ``RateLimit-Remaining`` / ``RateLimit-Reset`` headers tell the
truth whichever host answers; nginx's ``limit_req`` keeps its counters per proxy and
cannot report what remains. The proxy caps *concurrent* downloads per client
(``limit_conn``, deploy/nginx.conf.template): counting open connections is its job.

Pages and Dash callbacks are never limited: a person browsing does not meet it. Only
one budget per client covers ``/api/``, ``/ogc/``, ``/download/`` and ``/gbfs/`` together
(default: 50 per 5 seconds, i.e. 10 requests/s with bursts of 50). An app reading the
GBFS feed as its ``ttl`` says needs about 0.2 requests/s (station_status every 30 s, the
rest every few minutes), far inside the budget; a client polling in a loop meets it. Behind a proxy set
``PONMETRO_PROXIES=1`` so the client is the address the proxy saw, not the proxy.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from ponmetro.settings import (
    ENV_CACHE_TYPE,
    ENV_PROXIES,
    ENV_RATE_LIMIT,
    ENV_RATE_LIMIT_STORAGE,
    ENV_REDIS_URL,
)

DEFAULT_LIMIT = "50 per 5 seconds"
#: Routes whose requests count against the client's budget.
LIMITED_PREFIXES = ("/api/", "/download/", "/ogc/", "/gbfs/")


def limit() -> str | None:
    """The configured limit (flask-limiter syntax), or None when switched off.

    A value that is not a limit stops the app at start with the variable named,
    rather than failing every API request later."""
    value = os.environ.get(ENV_RATE_LIMIT, DEFAULT_LIMIT).strip()
    if value.lower() in ("", "off", "0", "none"):
        return None
    try:
        parse_many(value)
    except ValueError as exc:
        raise ValueError(f"{ENV_RATE_LIMIT}={value!r} is not a rate limit "
                         f"(e.g. {DEFAULT_LIMIT!r}, or 'off'): {exc}") from None
    return value


def storage_uri() -> str:
    """Explicit storage, else the cache's redis when the cache is shared, else memory."""
    explicit = os.environ.get(ENV_RATE_LIMIT_STORAGE)
    if explicit:
        return explicit
    if os.environ.get(ENV_CACHE_TYPE, "").lower() == "redis":
        url = os.environ.get(ENV_REDIS_URL, "redis://127.0.0.1:6379/0")
        return "redis+" + url if url.startswith("unix://") else url
    return "memory://"  # per process: correct only with one worker (development)


def client_address() -> str:
    return request.remote_addr or "unknown"


def _exempt() -> bool:
    return not request.path.startswith(LIMITED_PREFIXES)


def _draft_headers(response: Response) -> Response:
    """IETF draft semantics: ``RateLimit-Reset`` in seconds from now, and ``Retry-After``
    only when the client must wait (flask-limiter writes an epoch time, and always)."""
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.isdigit() and int(reset) > 1_000_000_000:
        response.headers["RateLimit-Reset"] = str(max(0, int(reset) - int(time.time())))
    if response.status_code != 429 and "RateLimit-Limit" in response.headers:
        response.headers.pop("Retry-After", None)
    return response


def register(server: Flask) -> None:
    """Trust ``PONMETRO_PROXIES`` proxy hops for the client address, then apply the limit."""
    hops = int(os.environ.get(ENV_PROXIES, "0") or 0)
    if hops > 0:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    value = limit()
    if value is None:
        return
    server.config.update(
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_HEADER_LIMIT="RateLimit-Limit",
        RATELIMIT_HEADER_REMAINING="RateLimit-Remaining",
        RATELIMIT_HEADER_RESET="RateLimit-Reset",
        RATELIMIT_HEADER_RETRY_AFTER_VALUE="delta-seconds",
    )
    # registered before the limiter's own hook: Flask runs after_request hooks in reverse
    server.after_request(_draft_headers)
    Limiter(client_address, app=server, application_limits=[value],
            application_limits_exempt_when=_exempt, strategy="moving-window",
            storage_uri=storage_uri(), key_prefix="ponmetro-limit",
            swallow_errors=True, in_memory_fallback_enabled=True)
