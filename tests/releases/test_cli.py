"""``ponmetro release list|publish|pull|rollback`` through the real command, on real files."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from tests.releases.conftest import INDICATOR_CHANGES, build_id


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(host, rid: str) -> dict:
    return json.loads((host.store / rid / "release.json").read_text())


def listed(host) -> dict:
    return json.loads(host.ok("release", "list", "--json"))


def publish(host, path: Path, *extra: str) -> str:
    host.ok("release", "publish", "--warehouse", str(path), *extra)
    return host.current()


def one_error_line(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_publish_makes_a_verified_current_release_and_serves_it(host, variants):
    rid = publish(host, variants["base"])
    m = manifest(host, rid)
    assert m["id"] == rid and m["build_id"] == build_id(variants["base"])
    assert m["sha256"] == sha(variants["base"]) == sha(host.store / rid / "warehouse.duckdb")
    assert m["bytes"] == variants["base"].stat().st_size and m["previous"] is None
    assert rid.endswith(m["sha256"][:8])
    con = duckdb.connect(str(variants["base"]), read_only=True)
    rows = dict(con.execute("SELECT dataset_id, rows FROM meta.datasets").fetchall())
    con.close()
    assert {k: v["rows"] for k, v in m["datasets"].items()} == rows
    assert all(v["added"] == v["rows"] and v["removed"] == v["changed"] == 0
               for v in m["datasets"].values())
    assert sha(host.served) == m["sha256"]
    assert (host.store / rid / "warehouse.duckdb").stat().st_mode & 0o222 == 0
    out = host.ok("release", "list")
    assert out.startswith(f"* {rid}") and "first release" in out


def test_changes_are_counted_per_dataset_by_key(host, variants):
    first = publish(host, variants["base"])
    second = publish(host, variants["v1"])
    m = manifest(host, second)
    assert m["previous"] == first and m["build_id"] == "20990101T000000Z-00000001"
    ind = m["datasets"]["indicators"]
    assert {k: ind[k] for k in INDICATOR_CHANGES} == INDICATOR_CHANGES
    assert ind["rows"] == manifest(host, first)["datasets"]["indicators"]["rows"]
    untouched = {k: v for k, v in m["datasets"].items() if k != "indicators"}
    assert untouched and all(v["added"] == v["removed"] == v["changed"] == 0
                             for v in untouched.values())
    third = publish(host, variants["v2"])
    projects = manifest(host, third)["datasets"]["projects"]
    assert (projects["added"], projects["removed"], projects["changed"]) == (0, 0, 1)
    assert manifest(host, third)["datasets"]["indicators"]["changed"] == 0
    assert [r["id"] for r in listed(host)["releases"]] == [first, second, third]


def test_rollback_steps_back_one_release_at_a_time(host, variants):
    first = publish(host, variants["base"])
    second = publish(host, variants["v1"])
    third = publish(host, variants["v2"])
    assert sha(host.served) == sha(variants["v2"])
    assert f"rolled back to release {second}" in host.ok("release", "rollback")
    assert host.current() == second and sha(host.served) == sha(variants["v1"])
    host.ok("release", "rollback")
    assert host.current() == first and sha(host.served) == sha(variants["base"])
    line = one_error_line(host.run("release", "rollback"))
    assert first in line and "oldest" in line
    assert host.current() == first and sha(host.served) == sha(variants["base"])
    # publishing a file a kept release already has makes that release current again
    out = host.ok("release", "publish", "--warehouse", str(variants["v2"]))
    assert "already kept" in out and host.current() == third
    assert sha(host.served) == sha(variants["v2"])


def test_keeps_the_last_n_releases_but_never_the_current_one(make_host, variants):
    origin, edge = make_host("origin"), make_host("edge")
    origin.env["PONMETRO_RELEASES_KEEP"] = "2"
    ids = [publish(origin, variants[name]) for name in ("base", "v1", "v2")]
    assert [r["id"] for r in listed(origin)["releases"]] == ids[1:]
    assert not (origin.store / ids[0]).exists()
    publish(origin, variants["base"], "--keep", "3")  # published again: a new release
    assert len(listed(origin)["releases"]) == 3
    # a host that pulls an older release keeps it (it is current) and drops another
    for rid in (ids[1], ids[2]):
        edge.ok("release", "pull", str(origin.store), "--release", rid, "--keep", "2")
    newest = origin.current()
    edge.ok("release", "pull", str(origin.store), "--release", newest, "--keep", "2")
    assert [r["id"] for r in listed(edge)["releases"]] == [ids[2], newest]
    edge.ok("release", "pull", str(origin.store), "--release", ids[1], "--keep", "2")
    assert edge.current() == ids[1]
    assert [r["id"] for r in listed(edge)["releases"]] == [ids[1], newest]


def test_publish_refuses_bad_input_and_changes_nothing(host, variants, tmp_path):
    rid = publish(host, variants["base"])
    before = sha(host.served)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a warehouse" * 1000)
    for path in (junk, tmp_path / "missing.duckdb", tmp_path):
        line = one_error_line(host.run("release", "publish", "--warehouse", str(path)))
        assert str(path) in line
    assert host.current() == rid and sha(host.served) == before
    assert [r["id"] for r in listed(host)["releases"]] == [rid]
    line = one_error_line(host.run("release", "rollback", "--store", str(tmp_path / "none")))
    assert "no current release" in line


def test_pull_from_a_release_folder(make_host, variants):
    origin, edge = make_host("origin"), make_host("edge")
    first = publish(origin, variants["base"])
    second = publish(origin, variants["v1"])
    out = edge.ok("release", "pull", str(origin.store))
    assert second in out and edge.current() == second
    assert sha(edge.served) == sha(variants["v1"])
    assert manifest(edge, second) == manifest(origin, second)
    edge.ok("release", "pull", str(origin.store), "--release", first)
    assert edge.current() == first and sha(edge.served) == sha(variants["base"])
    # the edge host keeps what it pulled, so it can roll forward and back on its own
    assert [r["id"] for r in listed(edge)["releases"]] == [first, second]


def test_pull_from_a_url(make_host, variants, http_source):
    origin, edge = make_host("origin"), make_host("edge")
    first = publish(origin, variants["base"])
    second = publish(origin, variants["v1"])
    source = http_source(origin.store)
    edge.ok("release", "pull", source.url)
    assert edge.current() == second and sha(edge.served) == sha(variants["v1"])
    edge.ok("release", "pull", source.url, "--release", first)
    assert edge.current() == first and sha(edge.served) == sha(variants["base"])


def test_pull_refuses_a_bad_release_and_keeps_serving(make_host, variants, http_source,
                                                      tmp_path):
    origin, edge = make_host("origin"), make_host("edge")
    first = publish(origin, variants["base"])
    edge.ok("release", "pull", str(origin.store))
    good = sha(edge.served)
    second = publish(origin, variants["v1"])

    def unchanged():
        assert edge.current() == first and sha(edge.served) == good
        assert [r["id"] for r in listed(edge)["releases"]] == [first]
        assert not list(edge.store.glob(".incoming-*"))
        assert not list(edge.served.parent.glob(".warehouse.duckdb.*"))

    # unknown and malformed release ids
    line = one_error_line(edge.run("release", "pull", str(origin.store), "--release",
                                   "20990101T000000Z-deadbeef"))
    assert "unknown release 20990101T000000Z-deadbeef" in line
    line = one_error_line(edge.run("release", "pull", str(origin.store), "--release",
                                   "../../etc/passwd"))
    assert "unknown release" in line
    unchanged()
    # a tampered copy: same size, one byte flipped -> sha256 mismatch
    tampered = tmp_path / "tampered"
    shutil.copytree(origin.store, tampered)
    target = tampered / second / "warehouse.duckdb"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    line = one_error_line(edge.run("release", "pull", str(tampered)))
    assert "sha256 mismatch" in line and second in line
    unchanged()
    # a truncated file in the source folder, and a transfer cut off half way
    truncated = tmp_path / "truncated"
    shutil.copytree(origin.store, truncated)
    target = truncated / second / "warehouse.duckdb"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 3])
    line = one_error_line(edge.run("release", "pull", str(truncated)))
    assert "truncated" in line
    unchanged()
    source = http_source(origin.store, cut=True)
    line = one_error_line(edge.run("release", "pull", source.url))
    assert "truncated" in line
    unchanged()
    line = one_error_line(edge.run("release", "pull", source.url + "nothing-here/"))
    assert "not found" in line or "does not name a release" in line
    unchanged()


def _assert_consistent(host, allowed: dict[str, str]) -> str:
    """The served file is one whole release and CURRENT names a verified kept release."""
    con = duckdb.connect(str(host.served), read_only=True)
    try:
        served_build = con.execute("SELECT build_id FROM meta.build").fetchone()[0]
    finally:
        con.close()
    assert served_build in allowed.values()
    assert sha(host.served) in {m["sha256"] for m in listed(host)["releases"]}
    current = host.current()
    assert current is not None
    assert sha(host.store / current / "warehouse.duckdb") == manifest(host, current)["sha256"]
    return served_build


@pytest.mark.parametrize(("trigger", "delay"), [("start", 2.0), ("incoming", 0.0),
                                                ("incoming", 0.15), ("incoming", 0.5)])
def test_kill_9_during_publish_leaves_the_previous_state_readable(host, variants, trigger,
                                                                  delay):
    """Killed while comparing (``start`` + 2 s) or once the release folder is being
    written (``incoming``): copy, rename, switch of the served file, pointer."""
    first = publish(host, variants["base"])
    builds = {"base": build_id(variants["base"]), "v1": build_id(variants["v1"])}
    proc = host.popen("release", "publish", "--warehouse", str(variants["v1"]))
    if trigger == "incoming":
        while proc.poll() is None and not list(host.store.glob(".incoming-*")):
            time.sleep(0.005)
    time.sleep(delay)
    proc.kill()
    proc.wait()
    _assert_consistent(host, builds)
    # running the command again completes it and sweeps the scratch left behind
    host.ok("release", "publish", "--warehouse", str(variants["v1"]))
    assert _assert_consistent(host, builds) == builds["v1"]
    assert host.current() != first
    assert not list(host.store.glob(".incoming-*"))
    assert not list(host.served.parent.glob(".warehouse.duckdb.release-*"))


@pytest.mark.parametrize("fraction", [0.2, 0.6])
def test_kill_9_during_pull_leaves_the_previous_state_readable(make_host, variants,
                                                               http_source, fraction):
    origin, edge = make_host("origin"), make_host("edge")
    publish(origin, variants["base"])
    edge.ok("release", "pull", str(origin.store))
    first = edge.current()
    publish(origin, variants["v1"])
    size = variants["v1"].stat().st_size
    source = http_source(origin.store, throttle=size / 4)  # about 4 s per warehouse file
    proc = edge.popen("release", "pull", source.url)
    deadline = time.monotonic() + 60
    while not list(edge.store.glob(".incoming-*/warehouse.duckdb")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(4 * fraction)
    assert proc.poll() is None  # killed in the middle of the download
    proc.kill()
    proc.wait()
    builds = {"base": build_id(variants["base"]), "v1": build_id(variants["v1"])}
    assert _assert_consistent(edge, builds) == builds["base"]
    assert edge.current() == first
    edge.ok("release", "pull", str(origin.store))
    assert _assert_consistent(edge, builds) == builds["v1"]
    assert not list(edge.store.glob(".incoming-*"))


def test_build_publish_makes_every_build_a_release(host, demo_landing, tmp_path):
    built = tmp_path / "built.duckdb"
    out = host.ok("build", "--landing", str(demo_landing), "--warehouse", str(built),
                  "--quiet", "--publish")
    rid = host.current()
    assert f"published release {rid}" in out
    assert manifest(host, rid)["build_id"] == build_id(built)
    assert sha(host.served) == sha(built) == manifest(host, rid)["sha256"]
