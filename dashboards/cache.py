"""Query caching shared by gunicorn workers (and hosts), invalidated by rebuilds.

``@memoize`` keys a result on the function, its arguments and the warehouse's
data identity (build id and ingested batches, :func:`cache_key`, the one key
function), so a new build or batch never serves stale figures. Query results and
rendered page fragments (charts, tables, maps) are memoized alike. The backend is chosen by
``PONMETRO_CACHE_TYPE``: ``simple`` (one process, development), ``filesystem``
(several workers on one host; ``PONMETRO_CACHE_DIR``), ``redis`` (several hosts;
``PONMETRO_REDIS_URL``) or ``null`` (no caching). ``@memoize_in_process`` adds a
worker-local copy in front, for the few small values read by nearly every request.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache

from dashboards import warehouse
from ponmetro.settings import ENV_CACHE_DIR, ENV_CACHE_TYPE, ENV_REDIS_URL

F = TypeVar("F", bound=Callable[..., Any])
cache = Cache()
TIMEOUT = 24 * 3600
#: Per-process counters, reported by /healthz (shows whether workers share the cache).
STATS = {"hits": 0, "misses": 0, "errors": 0}
_STATS_LOCK = threading.Lock()  # gunicorn runs threaded workers (gunicorn.conf.py)


def _count(name: str) -> None:
    with _STATS_LOCK:
        STATS[name] += 1


def backend() -> str:
    return os.environ.get(ENV_CACHE_TYPE, "filesystem").lower()


def stats() -> dict[str, Any]:
    return {"backend": backend(), "pid": os.getpid(), **STATS}


def cache_config() -> dict[str, Any]:
    kind = backend()
    if kind == "redis":
        return {"CACHE_TYPE": "RedisCache",
                "CACHE_REDIS_URL": os.environ.get(ENV_REDIS_URL, "redis://127.0.0.1:6379/0"),
                "CACHE_KEY_PREFIX": "ponmetro:", "CACHE_DEFAULT_TIMEOUT": TIMEOUT}
    if kind == "simple":
        return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": TIMEOUT}
    if kind == "null":
        return {"CACHE_TYPE": "NullCache"}
    directory = os.environ.get(ENV_CACHE_DIR) or os.path.join(tempfile.gettempdir(),
                                                               "ponmetro-cache")
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": directory,
            "CACHE_THRESHOLD": 5000, "CACHE_DEFAULT_TIMEOUT": TIMEOUT}


def init_cache(server: Flask) -> None:
    cache.init_app(server, config=cache_config())


def data_identity() -> str:
    """What every cached value depends on: the build and the batches being served."""
    return warehouse.data_identity()


def cache_key(fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str:
    """The one key of a cached result (queries and rendered page fragments alike):
    the function, its arguments and :func:`data_identity`."""
    raw = pickle.dumps((fn.__module__, fn.__qualname__, args, sorted(kwargs.items())))
    return f"q:{data_identity()}:{hashlib.sha256(raw).hexdigest()}"


def memoize(fn: F) -> F:
    """Cache ``fn(*args)`` under :func:`cache_key`. Arguments must be pickleable values;
    so must results (query frames, figures, Dash component trees)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = cache_key(fn, args, kwargs)
        try:
            hit = cache.get(key)
        except Exception:  # a cache outage must not take pages down
            _count("errors")
            hit = None
        if isinstance(hit, tuple) and len(hit) == 1:  # boxed, so that None is cached too
            _count("hits")
            return hit[0]
        _count("misses")
        value = fn(*args, **kwargs)
        try:
            cache.set(key, (value,))
        except Exception:
            _count("errors")
        return value

    return wrapper  # type: ignore[return-value]


#: Results each worker keeps for :func:`memoize_in_process` (all small); the oldest go first.
IN_PROCESS_MAX = 64


def memoize_in_process(fn: F) -> F:
    """:func:`memoize`, plus a copy in this worker's memory under the same key.

    For small values read by nearly every request (the catalogue): reading and unpickling
    them from the shared cache costs more than the API answer itself. The key carries the
    data identity, so a new build or batch is picked up as with :func:`memoize`; the
    ``null`` backend keeps nothing here either.
    """
    shared = memoize(fn)
    kept: dict[str, Any] = {}
    lock = threading.Lock()

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if backend() == "null":
            return shared(*args, **kwargs)
        key = cache_key(fn, args, kwargs)
        try:
            return kept[key]
        except KeyError:
            pass
        value = shared(*args, **kwargs)
        with lock:
            while len(kept) >= IN_PROCESS_MAX:
                kept.pop(next(iter(kept)))
            kept[key] = value
        return value

    return wrapper  # type: ignore[return-value]
