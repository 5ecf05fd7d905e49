"""Per-client rate limit on /api/ and /download/ (dashboards/limits.py), real flask-limiter.

Against a small Flask app with the module's own registration and in-memory counters
(the several-host, redis-backed case runs through the proxy in tests/deploy).
"""

from __future__ import annotations

import pytest
from flask import Flask

from dashboards import limits


def make_app(monkeypatch, value: str | None = "5 per 10 seconds", proxies: str = "0") -> Flask:
    if value is None:
        monkeypatch.delenv("PONMETRO_RATE_LIMIT", raising=False)
    else:
        monkeypatch.setenv("PONMETRO_RATE_LIMIT", value)
    monkeypatch.setenv("PONMETRO_RATE_LIMIT_STORAGE", "memory://")
    monkeypatch.setenv("PONMETRO_PROXIES", proxies)
    app = Flask(__name__)
    for path in ("/api/3/action/x", "/download/a.csv", "/ogc/collections", "/data",
                 "/_dash-update-component"):
        app.add_url_rule(path, path, lambda: "ok", methods=["GET", "POST"])
    limits.register(app)
    return app


def test_limit_answers_429_with_the_draft_headers(monkeypatch):
    client = make_app(monkeypatch).test_client()
    replies = [client.get("/api/3/action/x") for _ in range(5)]
    assert [r.status_code for r in replies] == [200] * 5
    assert [r.headers["RateLimit-Remaining"] for r in replies] == ["4", "3", "2", "1", "0"]
    assert all(r.headers["RateLimit-Limit"] == "5" for r in replies)
    assert all(0 < int(r.headers["RateLimit-Reset"]) <= 11 for r in replies)
    assert all("Retry-After" not in r.headers for r in replies)
    refused = client.get("/download/a.csv")  # one budget for the APIs and downloads
    assert refused.status_code == 429
    assert client.get("/ogc/collections").status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 11
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_pages_and_callbacks_are_never_limited(monkeypatch):
    client = make_app(monkeypatch, "1 per minute").test_client()
    for _ in range(20):
        assert client.get("/data").status_code == 200
        assert client.post("/_dash-update-component").status_code == 200
        assert "RateLimit-Limit" not in client.get("/data").headers
    assert client.get("/api/3/action/x").status_code == 200
    assert client.get("/api/3/action/x").status_code == 429


def test_each_client_address_has_its_own_budget(monkeypatch):
    client = make_app(monkeypatch, "2 per minute").test_client()
    one, other = {"REMOTE_ADDR": "10.1.1.1"}, {"REMOTE_ADDR": "10.1.1.2"}
    assert [client.get("/api/3/action/x", environ_base=one).status_code
            for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/3/action/x", environ_base=other).status_code == 200


def test_forwarded_address_is_trusted_only_behind_a_proxy(monkeypatch):
    spoof = [{"X-Forwarded-For": f"203.0.113.{i}"} for i in range(3)]
    direct = make_app(monkeypatch, "2 per minute").test_client()
    # without a proxy, a client cannot escape the limit by inventing addresses
    assert [direct.get("/api/3/action/x", headers=h).status_code for h in spoof] == \
        [200, 200, 429]
    proxied = make_app(monkeypatch, "2 per minute", proxies="1").test_client()
    assert [proxied.get("/api/3/action/x", headers=h).status_code for h in spoof] == \
        [200, 200, 200]


def test_default_and_switch_off(monkeypatch):
    monkeypatch.delenv("PONMETRO_RATE_LIMIT", raising=False)
    assert limits.limit() == "50 per 5 seconds"
    client = make_app(monkeypatch, "off").test_client()
    assert all(client.get("/api/3/action/x").status_code == 200 for _ in range(60))


@pytest.mark.parametrize("value", ["lots", "10 per fortnight", "-5 per second"])
def test_bad_limit_is_refused_at_start_naming_the_variable(monkeypatch, value):
    with pytest.raises(ValueError, match="PONMETRO_RATE_LIMIT"):
        make_app(monkeypatch, value)


def test_gbfs_readers_following_the_ttl_stay_inside_the_default_budget(monkeypatch):
    """The feed counts in the one budget, so a client polling in a loop meets it, while an
    app reading every file of the feed once (it does so at most every 30 s, the status
    ttl) uses 5 of the 50 requests of a 5-second window."""
    from dashboards.hub.gbfs import FILES, TTL

    assert min(TTL.values()) >= 5  # no file asks to be re-read within one window
    app = make_app(monkeypatch, limits.DEFAULT_LIMIT)
    for name in FILES:
        app.add_url_rule(f"/gbfs/{name}.json", name, lambda: "{}")
    client = app.test_client()
    replies = [client.get(f"/gbfs/{name}.json") for name in FILES]
    assert all(r.status_code == 200 for r in replies)
    assert replies[-1].headers["RateLimit-Limit"] == "50"
    assert replies[-1].headers["RateLimit-Remaining"] == str(50 - len(FILES))
    looping = [client.get("/gbfs/station_status.json").status_code for _ in range(50)]
    assert looping == [200] * (50 - len(FILES)) + [429] * len(FILES)
