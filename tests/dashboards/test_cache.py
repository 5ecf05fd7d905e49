"""Query cache backends against real servers: Redis (redis-server) and a shared directory
across two gunicorn workers. Keys carry the build id, so a rebuild never serves stale data."""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import Server, free_port, require_tool
from tests.dashboards.conftest import render_route


@pytest.fixture
def redis_url(tmp_path):
    redis_server = require_tool("redis-server", "apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", client, proc
    proc.terminate()
    proc.wait(10)


def test_redis_backend_shares_results_keyed_on_build_id(app, redis_url, monkeypatch):
    from flask import Flask

    from dashboards import cache as cache_module
    from dashboards import warehouse
    from dashboards.queries import programme

    url, client, proc = redis_url
    monkeypatch.setenv("PONMETRO_CACHE_TYPE", "redis")
    monkeypatch.setenv("PONMETRO_REDIS_URL", url)
    server = Flask("redis-test")
    cache_module.init_cache(server)
    build_id = warehouse.build_info().build_id
    with server.app_context():
        before = dict(cache_module.STATS)
        first = programme.axis_summary()
        second = programme.axis_summary()
        assert second.equals(first)
        assert cache_module.STATS["misses"] == before["misses"] + 1
        assert cache_module.STATS["hits"] == before["hits"] + 1
        keys = [k.decode() for k in client.keys("ponmetro:*")]
        assert keys and all(f"q:{build_id}:" in k for k in keys)
        # an outage of Redis degrades to uncached queries, never to an error page
        proc.terminate()
        proc.wait(10)
        assert programme.axis_summary().equals(first)
        assert cache_module.STATS["errors"] > before["errors"]
    cache_module.init_cache(Flask("reset"))  # leave no Redis config behind


def _stats_by_worker(base_url: str) -> dict[int, dict]:
    seen: dict[int, dict] = {}
    with ThreadPoolExecutor(8) as pool:
        for _attempt in range(10):
            for reply in pool.map(lambda _: requests.get(base_url + "/healthz", timeout=30),
                                  range(16)):
                stats = reply.json()["cache"]
                seen[stats["pid"]] = stats
            if len(seen) == 2:
                break
    return seen


def test_filesystem_cache_is_shared_by_two_gunicorn_workers(warehouse, tmp_path):
    server = Server(warehouse, workers=2, env={
        "PONMETRO_CACHE_TYPE": "filesystem", "PONMETRO_CACHE_DIR": str(tmp_path / "cache"),
        "PONMETRO_THREADS": "1"}, log=tmp_path / "gunicorn.log").start()
    try:
        _stats_by_worker(server.url)  # /healthz's own cached queries, out of the count
        before = _stats_by_worker(server.url)
        first = render_route(server.url, "/axis/3")
        assert "Asse 3" in str(first)
        with ThreadPoolExecutor(6) as pool:  # one thread each: both workers serve some
            replies = list(pool.map(lambda _: render_route(server.url, "/axis/3"), range(24)))
        assert all(r == first for r in replies)
        after = _stats_by_worker(server.url)
        assert len(before) == len(after) == 2, "both gunicorn workers should have answered"
        workers = {pid: {k: after[pid][k] - before[pid][k] for k in ("hits", "misses")}
                   for pid in after}
        computed = [s for s in workers.values() if s["misses"] > 0]
        assert len(computed) == 1, f"only the first worker computes: {workers}"
        other = next(s for s in workers.values() if s["misses"] == 0)
        assert other["hits"] > 0, f"the second worker reads the first one's results: {workers}"
        assert any((tmp_path / "cache").iterdir())
    finally:
        server.stop()


def test_rendered_fragments_are_memoized_under_the_one_key(app, monkeypatch):
    """A chart's figure, summary and table are built once per data identity: a second render
    issues no query, and a new identity (a new build or ingest) renders afresh."""
    from flask import Flask

    from dashboards import cache as cache_module
    from dashboards import warehouse
    from dashboards.components import charts, specs

    monkeypatch.setenv("PONMETRO_CACHE_TYPE", "simple")
    server = Flask("fragments-test")
    cache_module.init_cache(server)
    statements = []
    original = warehouse.query
    monkeypatch.setattr(warehouse, "query",
                        lambda sql, params=None: statements.append(sql) or original(sql, params))
    params = {"municipio": 3, "year": None}
    try:
        with server.app_context():
            first = charts.render(specs.SOCIAL_USAGE, params, "en")
            issued = len(statements)
            assert issued > 0
            again = charts.render(specs.SOCIAL_USAGE, params, "en")
            assert len(statements) == issued, "a memoized fragment must not query again"
            assert again[0] == first[0] and again[1] == first[1] and again[3] == first[3]
            assert charts.render(specs.SOCIAL_USAGE, params, "it")[1] != first[1]
            monkeypatch.setattr(cache_module, "data_identity", lambda: "another-build")
            before = len(statements)
            charts.render(specs.SOCIAL_USAGE, params, "en")
            assert len(statements) > before, "a new data identity must render afresh"
    finally:
        cache_module.init_cache(Flask("reset"))


def test_an_empty_answer_is_cached_too(app, monkeypatch):
    """A query that finds nothing (``None``: no live batch yet) is remembered like any
    other answer, instead of being recomputed on every request by every worker."""
    from flask import Flask

    from dashboards import cache as cache_module

    monkeypatch.setenv("PONMETRO_CACHE_TYPE", "simple")
    server = Flask("none-test")
    cache_module.init_cache(server)
    calls = []

    @cache_module.memoize
    def nothing_yet(x):
        calls.append(x)
        return None

    with server.app_context():
        assert nothing_yet(1) is None and nothing_yet(1) is None
    assert calls == [1]


def test_catalogue_is_kept_in_the_worker_per_data_identity(app, monkeypatch):
    """The catalogue is read on every API request: after the first read a worker answers
    from its own memory (no shared-cache lookup), a new data identity reads it again, and
    the null backend keeps nothing."""
    from flask import Flask

    from dashboards import cache as cache_module
    from dashboards import warehouse
    from dashboards.queries import catalog

    monkeypatch.setenv("PONMETRO_CACHE_TYPE", "simple")
    server = Flask("in-process-test")
    cache_module.init_cache(server)
    identity = warehouse.data_identity()
    try:
        with server.app_context():
            first = catalog.datasets()
            looked_up = cache_module.STATS["hits"] + cache_module.STATS["misses"]
            assert catalog.datasets() is first
            assert cache_module.STATS["hits"] + cache_module.STATS["misses"] == looked_up
            monkeypatch.setattr(warehouse, "data_identity", lambda: identity + "+batch")
            again = catalog.datasets()
            assert again == first and again is not first
            assert cache_module.STATS["misses"] > 0
            assert cache_module.STATS["hits"] + cache_module.STATS["misses"] > looked_up
            monkeypatch.setenv("PONMETRO_CACHE_TYPE", "null")
            looked_up = cache_module.STATS["hits"] + cache_module.STATS["misses"]
            catalog.datasets()
            catalog.datasets()
            assert cache_module.STATS["hits"] + cache_module.STATS["misses"] == looked_up + 2
    finally:
        cache_module.init_cache(Flask("reset"))
