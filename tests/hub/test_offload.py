"""Large filtered downloads written by a child process (``dashboards/hub/offload.py``), on
the demo build with the threshold lowered so the demo's tables cross it: the relayed bytes
are exactly the in-process stream's, bad input still answers 400 before any child starts,
a child that finds the data moved on writes nothing (the worker streams instead), and a
client going away ends the child.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dashboards.hub import offload

BIG = "station-status-hourly"


@pytest.fixture
def client(warehouse):
    from dashboards import app as module
    from dashboards import warehouse as door

    door.reset()
    return module.server.test_client()


@pytest.fixture
def relays(monkeypatch) -> list:
    """Every relay started (the real one runs; only its results are recorded)."""
    started: list = []
    real = offload.relay

    def recorded(*args, **kwargs):
        out = real(*args, **kwargs)
        started.append(out is not None)
        return out

    monkeypatch.setattr(offload, "relay", recorded)
    return started


def _children() -> list[int]:
    """This process's offload children still running (other fixtures start servers)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids = [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
            except OSError:
                continue
            if b"dashboards.hub.offload" in cmdline and state != "Z":
                found.append(pid)
    return found


def _body(client, url: str) -> bytes:
    reply = client.get(url, headers={"Accept-Encoding": "identity"})
    assert reply.status_code == 200, reply.get_data()[:300]
    return reply.get_data()


@pytest.mark.parametrize("query", [
    "hour__lt=2030-01-01T00:00:00",
    "station_id=1027&station_id=1211&sort=hour%20desc",
    "hour__gte=2000-01-01&fields=hour,station_id&excel=1",
])
def test_relayed_bytes_equal_the_streamed_ones(client, relays, monkeypatch, query):
    monkeypatch.setattr(offload, "MIN_ROWS", 10**12)  # in the worker
    streamed = _body(client, f"/download/{BIG}.csv?{query}")
    assert relays == []
    monkeypatch.setattr(offload, "MIN_ROWS", 1)  # every filtered download: a child
    relayed = _body(client, f"/download/{BIG}.csv?{query}")
    assert relays == [True]
    assert relayed == streamed
    assert len(relayed.splitlines()) > 1


def test_json_relayed_too(client, relays, monkeypatch):
    monkeypatch.setattr(offload, "MIN_ROWS", 1)
    body = _body(client, f"/download/{BIG}.json?hour__lt=2030-01-01T00:00:00")
    assert relays == [True] and isinstance(json.loads(body), list)


def test_few_rows_stay_in_the_worker(client, relays, monkeypatch):
    monkeypatch.setattr(offload, "MIN_ROWS", 10**9)
    _body(client, f"/download/{BIG}.csv?hour__lt=2030-01-01T00:00:00")
    assert relays == []


@pytest.mark.parametrize("query, field", [
    ("nope=1", "nope"),
    ("hour__lt=not-a-time", "filters"),
    ("sort=hour%3B%20DROP%20TABLE%20x", "sort"),
    ("hour__between=1", "hour__between"),
])
def test_bad_input_is_400_before_any_child(client, relays, monkeypatch, query, field):
    monkeypatch.setattr(offload, "MIN_ROWS", 1)
    reply = client.get(f"/download/{BIG}.csv?{query}")
    assert reply.status_code == 400
    assert field in reply.get_data(as_text=True)
    assert relays == [] and _children() == []


def test_moved_data_writes_nothing_and_the_worker_streams(client, warehouse, monkeypatch):
    from dashboards.queries import catalog

    ds = catalog.get(BIG)
    fmt = __import__("dashboards.formats", fromlist=["by_key"]).by_key("csv")
    query = {"fields": None, "filters": {"hour": {"lt": "2030-01-01"}}, "q": None,
             "sort": None}
    assert offload.relay(ds, fmt, query, "not-the-current-identity") is None
    assert _children() == []


def test_child_refuses_unknown_dataset(warehouse, tmp_path):
    with open(tmp_path / "out", "wb") as out:
        code, message = offload.write("no-such-dataset", "csv", "", "x", {}, out)
    assert code == 2 and "unknown dataset" in message


def test_client_going_away_ends_the_child(client, monkeypatch):
    from dashboards import warehouse as door
    from dashboards.formats import by_key
    from dashboards.queries import catalog

    ds = catalog.get(BIG)
    query = {"fields": None, "filters": {"hour": {"lt": "2030-01-01"}}, "q": None,
             "sort": None}
    chunks = offload.relay(ds, by_key("csv"), query, door.data_identity())
    assert chunks is not None
    assert b"station_id" in next(chunks)
    assert _children() != []
    chunks.close()
    assert _children() == []


def test_child_reads_a_kept_release_file(warehouse, tmp_path):
    """``?release=`` downloads hand the child the release's file: it reads that file, and
    no identity check applies (a kept release never changes)."""
    import io
    import shutil

    from dashboards import warehouse as door

    release = tmp_path / "release.duckdb"
    shutil.copy(warehouse, release)
    query = {"filters": {"hour": {"lt": "2030-01-01"}}, "sort": "hour desc"}
    served, kept = io.BytesIO(), io.BytesIO()
    assert offload.write(BIG, "csv", "", door.data_identity(), query, served) == \
        (0, "written")
    assert offload.write(BIG, "csv", "", "any", query, kept, release=release) == \
        (0, "written")
    assert kept.getvalue() == served.getvalue() and served.getvalue().count(b"\n") > 1
    out = io.BytesIO()  # a release file that is not there: nothing is written
    try:
        code, _ = offload.write(BIG, "csv", "", "any", query, out,
                                release=tmp_path / "missing.duckdb")
    except door.WarehouseUnavailable:
        code = None
    assert code != 0 and out.getvalue() == b""
