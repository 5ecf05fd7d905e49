"""The build end to end through the real CLI: demo -> validate -> warehouse, atomically."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

PONMETRO = [sys.executable, "-m", "ponmetro.cli"]
DOMAIN_TABLES = ("mart.geo_nil", "mart.geo_municipi", "mart.programme_projects", "mart.housing_units",
                 "mart.social_sites", "mart.mobility_bike_stations", "mart.mobility_station_status_hourly")


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*PONMETRO, *args, "--quiet"] if args[0] == "build" else
                          [*PONMETRO, *args], capture_output=True, text=True, timeout=600, **kw)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_id(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT build_id FROM meta.build").fetchone()[0]


def table_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [f"{s}.{t}" for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('staging', 'mart') ORDER BY 1, 2").fetchall()]
        return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


@pytest.fixture(scope="module")
def built_run(demo_landing, tmp_path_factory):
    """A warehouse built through the CLI from the session's demo landing folder, and the
    build's output."""
    target = tmp_path_factory.mktemp("cli") / "warehouse.duckdb"
    result = run("build", "--landing", str(demo_landing), "--warehouse", str(target))
    assert result.returncode == 0, result.stderr
    return target, result


@pytest.fixture(scope="module")
def built(built_run):
    return built_run[0]


def test_findings_are_one_summary_line_with_where_the_details_are(built_run):
    """The demo's statuses of unlisted stations are findings, not errors: one line says
    how many and where to read them; ``ponmetro quality`` lists them."""
    target, result = built_run
    lines = result.stderr.strip().splitlines()
    assert not [line for line in lines if line.startswith(("warning:", "error:"))], lines
    notes = [line for line in lines if line.startswith("note:")]
    assert len(notes) == 1, lines
    assert notes[0].startswith("note: 3 data-quality findings (25,920 rows; "
                               "mobility_station_status) recorded in meta.quality")
    assert "ponmetro quality" in notes[0] and "/data/" in notes[0]
    listed = run("quality", "--warehouse", str(target))
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout.strip().splitlines()
    assert len(out) == 3 and all("foreign key" in line and "7212" in line for line in out)
    assert listed.stderr.strip() == "3 findings"
    as_json = run("quality", "--warehouse", str(target), "--json")
    assert sum(json.loads(line)["rows"] for line in as_json.stdout.splitlines()) == 25_920
    missing = run("quality", "--warehouse", str(target.with_name("nope.duckdb")))
    assert missing.returncode == 2 and missing.stderr.startswith("error: warehouse not found")


def test_build_records_lineage_and_an_empty_ingest_log(built):
    with duckdb.connect(str(built), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.ingest").fetchone()[0] == 0
        cols = [r[0] for r in con.execute("DESCRIBE meta.ingest").fetchall()]
        lineage = con.execute("SELECT dataset_id, contract FROM meta.dataset_contracts").fetchall()
    assert cols == ["batch_id", "contract", "file", "rows", "first_at", "last_at", "ingested_at"]
    assert ("bay-occupancy-hourly", "mobility_spot_status") in lineage
    assert ("station-status-hourly", "mobility_station_status") in lineage
    assert ("bike-stations", "mobility_station_programme") in lineage
    assert not [c for d, c in lineage if d == "projects" and c.startswith("mobility")]


def test_build_holds_all_four_domains_and_lineage(built, demo_landing):
    counts = table_counts(built)
    for table in DOMAIN_TABLES:
        assert counts.get(table, 0) > 0, f"{table} missing or empty"
    assert counts["mart.geo_nil"] == 88 and counts["mart.geo_municipi"] == 9
    with duckdb.connect(str(built), read_only=True) as con:
        is_demo, geography = con.execute("SELECT is_demo, geography FROM meta.build").fetchone()
        sources = con.execute("SELECT relpath, sha256, rows, synthetic FROM meta.sources").fetchall()
    assert is_demo and geography == "schematic"
    landed = {p.relative_to(demo_landing).as_posix() for p in demo_landing.rglob("*")
              if p.is_file() and p.name != "manifest.json"}
    assert {s[0] for s in sources} == landed
    for relpath, sha, _rows, synthetic in sources:
        assert synthetic and sha == digest(demo_landing / relpath)


def test_rebuild_is_idempotent(built, demo_landing, tmp_path):
    again = tmp_path / "again.duckdb"
    assert run("build", "--landing", str(demo_landing), "--warehouse", str(again)).returncode == 0
    assert table_counts(again) == table_counts(built)
    assert build_id(again).split("-")[1] == build_id(built).split("-")[1]  # same input digest


def test_demo_generator_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run("demo", "--out", str(out), "--seed", "7").returncode == 0
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files and all(digest(a / f) == digest(b / f) for f in files)


def corrupt_copy(landing: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    return copy


def test_bad_file_fails_cleanly_and_keeps_previous_warehouse(built, demo_landing, tmp_path):
    landing = corrupt_copy(demo_landing, tmp_path)
    projects = landing / "programme" / "projects.csv"
    lines = projects.read_text("utf-8").splitlines()
    projects.write_text("\n".join([*lines, lines[-1]]) + "\n", encoding="utf-8")
    target = tmp_path / "w.duckdb"
    shutil.copy(built, target)
    before = digest(target)

    result = run("build", "--landing", str(landing), "--warehouse", str(target))

    assert result.returncode == 2
    message = result.stderr.strip()
    assert message.startswith("error:") and "\n" not in message and "Traceback" not in message
    assert "programme/projects.csv" in message and f"row {len(lines) + 1}" in message
    assert "column" in message and "duplicate" in message
    assert digest(target) == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


def test_missing_landing_file_is_named(demo_landing, tmp_path):
    landing = corrupt_copy(demo_landing, tmp_path)
    (landing / "geography" / "municipi.geojson").unlink()
    result = run("build", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2 and "municipi.geojson" in result.stderr
    assert "missing landing file" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_unwritable_target_is_a_clear_error(demo_landing):
    result = run("build", "--landing", str(demo_landing), "--warehouse",
                 "/proc/ponmetro/warehouse.duckdb")
    assert result.returncode == 2 and result.stderr.startswith("error:")
    assert "Traceback" not in result.stderr


def test_kill_9_during_build_leaves_previous_warehouse_readable(built, demo_landing, tmp_path):
    """Each build is killed only once its temporary file is being written, and the test
    counts the kills that hit a live build, so it cannot pass with every build finished."""
    target = tmp_path / "w.duckdb"
    shutil.copy(built, target)
    original = build_id(target)
    rng = random.Random(20231231)
    kills = 0
    for _ in range(5):
        proc = subprocess.Popen([*PONMETRO, "build", "--quiet", "--landing", str(demo_landing),
                                 "--warehouse", str(target)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        scratch = tmp_path / f".w.duckdb.building-{proc.pid}"
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline and not (
                scratch.exists() and scratch.stat().st_size > 0):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 2.0))  # at a different point of the write each time
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == 0:  # finished before the kill: a complete new build is fine
            original = build_id(target)
        elif build_id(target) != original and not scratch.exists():
            original = build_id(target)  # killed between its atomic rename and its exit
        else:
            assert proc.returncode == -signal.SIGKILL, proc.returncode
            assert scratch.exists(), "killed, but not while writing its temporary file"
            kills += 1
        assert build_id(target) == original
        assert table_counts(target)["mart.geo_nil"] == 88
    assert kills >= 3, f"only {kills} of 5 builds were killed mid-write"
    # the next successful build removes what killed builds left behind
    assert run("build", "--landing", str(demo_landing), "--warehouse", str(target)).returncode == 0
    assert not list(tmp_path.glob(".w.duckdb.building-*"))
