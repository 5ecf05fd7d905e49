"""Cold and warm callback latency per cache backend (simple, filesystem, redis).

Each backend gets its own gunicorn (2 workers, like production) and an empty
cache. The first request of each callback body is cold (runs the queries); the
next ones are warm if the backend is shared by the worker that answers them:
``simple`` is per process, so about half of its "warm" calls still miss.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import requests

from bench import procs
from bench.callbacks import Callback, timed_post
from bench.report import Report

WARM_REPEATS = 10
MAX_CALLBACKS = 12


def _measure(url: str, callbacks: list[Callback], repeats: int,
             ) -> tuple[list[float], list[float]]:
    cold, warm = [], []
    with requests.Session() as http:
        for cb in callbacks:
            for i in range(repeats + 1):
                ok, elapsed = timed_post(http, url, cb)
                if not ok:
                    raise RuntimeError(f"{cb.label}: callback failed")
                (warm if i else cold).append(elapsed)
    return cold, warm


def run(warehouse: Path, workdir: Path, callbacks: list[Callback], rep: Report,
        limit: int = MAX_CALLBACKS, repeats: int = WARM_REPEATS) -> None:
    chosen = sorted((cb for cb in callbacks if cb.statements),
                    key=lambda cb: -(max(cb.bare_ms) if cb.bare_ms else 0))[:limit]
    if not chosen:
        rep.error("cache", "no callback issues SQL; nothing to cache")
        return
    backends: list[tuple[str, dict[str, str], procs.Redis | None]] = [
        ("simple", {"PONMETRO_CACHE_TYPE": "simple"}, None),
        ("filesystem", {"PONMETRO_CACHE_TYPE": "filesystem",
                        "PONMETRO_CACHE_DIR": str(workdir / "cache-fs")}, None)]
    redis = procs.Redis(workdir / "redis")
    if redis.available():
        backends.append(("redis", {"PONMETRO_CACHE_TYPE": "redis",
                                   "PONMETRO_REDIS_URL": redis.url}, redis))
    else:
        rep.error("cache", f"redis-server not found at {redis.exe}")
    for name, env, server in backends:
        if server is not None:
            server.__enter__()
        try:
            with procs.Gunicorn(warehouse, workdir / f"gunicorn-cache-{name}.log",
                                workers=2, env=env) as app:
                cold, warm = _measure(app.url, chosen, repeats)
        finally:
            if server is not None:
                server.__exit__()
        c, w = statistics.median(cold), statistics.median(warm)
        rep.add("cache", f"{name}: callback median, cold (empty cache)", c, "ms")
        rep.add("cache", f"{name}: callback median, warm", w, "ms", baseline=c,
                note=f"{len(chosen)} heaviest callbacks x {repeats} calls, 2 workers")
