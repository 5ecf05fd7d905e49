"""``ponmetro ingest``: batches on top of a full build, on real DuckDB files.

The demo landing's last two hours of telemetry are held back as batches; a base is built
without them, the batches are ingested (out of order too), and every live mart must equal
what a full build of the landing *with* the batches gives.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from etl import ingest as live
from etl.build import build
from etl.validate import LandingError
from ponmetro.settings import live_snapshot_path
from tests.conftest import BIN
from tests.etl.conftest import invariant, read_live


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ponmetro(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "ponmetro"), *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("late", [False, True], ids=["in-order", "late-batch"])
def test_full_rebuild_equals_build_plus_increments(held, served, tmp_path, late):
    out, _, batches = held
    order = [p for kind in ("station_status", "trips") for p in batches[kind]]
    spots = batches["spot_status"]
    # a late batch has events before the newest served: the bay marts are rerun
    order += [spots[1], spots[0], *spots[2:]] if late else spots
    for path in order:
        live.ingest([path], served, echo=lambda _: None)
    full_landing = tmp_path / "full"
    shutil.copytree(out / "landing", full_landing)
    for kind, paths in batches.items():
        for path in paths:
            shutil.copyfile(path, full_landing / "mobility" / kind / f"live-{path.name}")
    full = tmp_path / "full.duckdb"
    build(full_landing, full, progress=False)
    con = duckdb.connect(str(full), read_only=True)
    try:
        for mart in live.LIVE_MARTS:
            mine = read_live(served, f"SELECT * FROM mart.{mart}")
            theirs = con.sql(f"SELECT * FROM mart.{mart}").pl()
            cols = mine.columns
            assert_frame_equal(mine.sort(cols, nulls_last=True),
                               theirs.sort(cols, nulls_last=True),
                               check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
    finally:
        con.close()
    logged = read_live(served, "SELECT * FROM meta.ingest")
    assert logged.height == len(order)
    assert set(logged["contract"]) == {"mobility_station_status", "mobility_spot_status",
                                       "mobility_trips"}
    assert logged["rows"].sum() == sum(pl.read_csv(p).height for p in order)
    assert (logged["first_at"] <= logged["last_at"]).all()


def test_same_batch_twice_changes_nothing(held, served):
    _, _, batches = held
    path = batches["station_status"][0]
    first = live.ingest([path], served)
    snapshot = live_snapshot_path(served)
    before = (sha(snapshot), snapshot.stat().st_mtime_ns)
    again = live.ingest([path], served)
    assert first[0].rows > 0 and again[0].skipped == "already ingested"
    assert (sha(snapshot), snapshot.stat().st_mtime_ns) == before
    # the same rows in another file (an overlapping poll) are not appended twice
    copy = path.with_name("overlap.csv")
    shutil.copyfile(path, copy)
    with copy.open("a") as fh:
        fh.write(path.read_text().splitlines()[1].replace(":0", ":1", 1) + "\n")
    added = live.ingest([copy], served)[0]
    assert added.rows <= 1
    assert read_live(served, "SELECT sum(rows) AS n FROM meta.ingest")["n"][0] == \
        first[0].rows + added.rows


def test_batch_already_in_the_build_is_skipped(held, served):
    out, _, _ = held
    month = out / "landing" / "mobility" / "station_status" / "2023-11.csv"
    done = live.ingest([month], served)
    assert done[0].skipped == "in the full build"
    assert not live_snapshot_path(served).exists()


def test_bad_batch_names_file_row_column_and_publishes_nothing(held, served, tmp_path):
    _, _, batches = held
    good = batches["station_status"][0]
    live.ingest([good], served)
    snapshot = live_snapshot_path(served)
    before = sha(snapshot)
    lines = batches["station_status"][1].read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "-4"  # num_vehicles_available below its minimum
    lines[3] = ",".join(cells)
    bad = tmp_path / "mobility" / "station_status" / "bad.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("\n".join(lines) + "\n")
    result = ponmetro("ingest", "--warehouse", str(served), str(batches["trips"][0]), str(bad))
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "bad.csv" in errors[0] and "row 4" in errors[0] \
        and "num_vehicles_available" in errors[0]
    assert sha(snapshot) == before  # the good trips batch before it was not published either
    assert read_live(served, "SELECT count(*) AS n FROM meta.ingest")["n"][0] == 1
    with pytest.raises(LandingError):
        live.ingest([tmp_path / "missing.csv"], served)


def test_batch_findings_join_the_builds_in_one_summary_line(held, served, tmp_path):
    """A status of a station the operator does not list is kept and reported: the batch's
    finding is added to ``meta.quality`` (beside the build's) and the ingest prints one
    ``note:`` line saying where the details are, not a warning per row."""
    _, _, batches = held
    before = read_live(served, "SELECT count(*) AS n FROM meta.quality")["n"][0]
    lines = batches["station_status"][0].read_text().splitlines()
    cells = lines[1].split(",")
    cells[0] = "ghost-station"
    batch = tmp_path / "mobility" / "station_status" / "ghost.csv"
    batch.parent.mkdir(parents=True)
    batch.write_text("\n".join([lines[0], ",".join(cells)]) + "\n")
    result = ponmetro("ingest", "--warehouse", str(served), str(batch))
    assert result.returncode == 0, result.stderr
    notes = [line for line in (result.stdout + result.stderr).splitlines()
             if line.startswith("note:")]
    assert len(notes) == 1 and "meta.quality" in notes[0], notes
    quality = read_live(served, "SELECT * FROM meta.quality")
    assert quality.height == before + 1
    mine = quality.filter(quality["file"].str.ends_with("ghost.csv"))
    assert mine["contract"].to_list() == ["mobility_station_status"]
    assert mine["column"].to_list() == ["station_id"] and "ghost-station" in mine["values"][0]


def test_cli_needs_files_or_landing(served, held):
    assert ponmetro("ingest", "--warehouse", str(served)).returncode == 2
    out, _, batches = held
    result = ponmetro("ingest", "--warehouse", str(served), "--landing", str(out / "batches"))
    assert result.returncode == 0, result.stderr
    assert "batches ingested" in result.stdout


def test_snapshot_holds_the_batch_not_the_history(held, served):
    """What an ingest writes follows the batch: its rows and the touched periods only."""
    _, _, batches = held
    path = batches["station_status"][0]
    live.ingest([path], served)
    batch = pl.read_csv(path, try_parse_dates=True)
    hours = batch.select("station_id", pl.col("last_reported").dt.truncate("1h")).unique()
    con = duckdb.connect(str(live_snapshot_path(served)), read_only=True)
    try:
        def count(table: str) -> int:
            return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]

        assert count("inc.mobility_station_status") == batch.height
        assert count("delta.mobility_station_status_hourly__periods") == hours.height
        assert count("delta.mobility_station_status_latest") == batch["station_id"].n_unique()
        assert count("delta.mobility_trips_daily") == 0
    finally:
        con.close()


def test_readers_never_see_half_a_batch(held, served):
    _, _, batches = held
    base_samples, _ = invariant(served)
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.append(invariant(served))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for path in batches["station_status"]:
            live.ingest([path], served)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen and all(samples == base_samples + added for samples, added in seen)


def test_kill_9_leaves_the_previous_state_readable(held, served):
    _, _, batches = held
    first, *rest = batches["station_status"]
    base_samples, _ = invariant(served)
    live.ingest([first], served)
    states = set()
    for delay in (0.05, 0.3, 0.6, 0.9, 1.3):
        proc = subprocess.Popen([str(BIN / "ponmetro"), "ingest", "--warehouse", str(served),
                                 *map(str, rest)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        samples, added = invariant(served)
        assert samples == base_samples + added
        states.add(read_live(served, "SELECT count(*) AS n FROM meta.ingest")["n"][0])
    assert states <= {1, 1 + len(rest)}
    live.ingest(rest, served)  # a later run completes what a killed one left
    assert read_live(served, "SELECT count(*) AS n FROM meta.ingest")["n"][0] == 1 + len(rest)
    assert not list(served.parent.rglob(".*building-*"))


def test_door_identity_changes_with_each_ingest(held, served, monkeypatch):
    from dashboards import warehouse

    monkeypatch.setenv("PONMETRO_WAREHOUSE", str(served))
    monkeypatch.setattr(warehouse, "RECHECK_SECONDS", 0.0)
    warehouse.reset()
    try:
        before = warehouse.build_info()
        assert warehouse.data_identity() == before.build_id
        _, _, batches = held
        live.ingest([batches["station_status"][0]], served)
        after = warehouse.build_info()
        assert after.build_id == before.build_id
        assert warehouse.data_identity() != before.build_id
        assert after.data_version.startswith(before.build_id + "+1-")
        latest = warehouse.query("SELECT max(last_reported) AS t "
                                 "FROM mart.mobility_station_status_latest")["t"][0]
        assert latest.isoformat() >= "2023-12-31T22:00"
        live.ingest([batches["station_status"][1]], served)
        assert warehouse.data_identity() not in (before.build_id, after.data_version)
        # a snapshot made on another build is ignored: the build alone is served
        other = served.with_name("other.duckdb")
        shutil.copyfile(served, other)
        con = duckdb.connect(str(other))
        con.execute("UPDATE meta.build SET build_id = 'another'")
        con.close()
        os.replace(other, served)
        assert warehouse.build_info().build_id == "another"
        assert warehouse.data_identity() == "another"
    finally:
        warehouse.reset()


def test_releases_and_increments(held, tmp_path):
    """A release is a full build; served = current release + the batches it did not absorb;
    ``?release=`` reads the release's own file; publish and rollback keep live batches."""
    from ponmetro.releases.store import get, publish, rollback

    out, base, batches = held
    store, served = tmp_path / "releases", tmp_path / "served" / "warehouse.duckdb"
    r1, _ = publish(base, store, served, 5)
    s0, s1, *_ = batches["station_status"]
    live.ingest([s0], served)

    def state() -> tuple[str, list[str], int, int]:
        frame = read_live(served, """SELECT (SELECT build_id FROM meta.build) AS b,
            (SELECT list(file ORDER BY file) FROM meta.ingest) AS files""")
        samples, added = invariant(served)
        return frame["b"][0], [Path(f).name for f in frame["files"][0]], samples, added

    assert state()[:2] == (r1.build_id, [s0.name])
    own = duckdb.connect(str(get(store, r1.id).warehouse), read_only=True)
    assert own.execute("SELECT count(*) FROM meta.ingest").fetchall()[0][0] == 0
    assert own.execute("SELECT max(last_reported) < TIMESTAMP '2023-12-31 22:00:00' "
                       "FROM mart.mobility_station_status_latest").fetchall()[0][0]
    own.close()

    # the nightly build read the landing with s0 in it; s1 arrived while it ran
    landing = tmp_path / "landing"
    shutil.copytree(out / "landing", landing)
    shutil.copyfile(s0, landing / "mobility" / "station_status" / "live-s0.csv")
    nightly = tmp_path / "nightly.duckdb"
    build(landing, nightly, progress=False)
    live.ingest([s1], served)
    r2, _ = publish(nightly, store, served, 5)
    build_id, files, samples, added = state()
    assert (build_id, files) == (r2.build_id, [s1.name])  # s0 absorbed, s1 still served
    assert added == pl.read_csv(s1).height
    con = duckdb.connect(str(nightly), read_only=True)
    in_build = con.execute("SELECT count(*) FROM staging.mobility_station_status").fetchall()[0][0]
    con.close()
    assert samples == in_build + added

    rollback(store, served)  # back to r1: both batches on top of it again
    build_id, files, samples, added = state()
    assert (build_id, sorted(files)) == (r1.build_id, sorted([s0.name, s1.name]))
    assert samples == invariant(base)[0] + added
    assert added == pl.read_csv(s0).height + pl.read_csv(s1).height
