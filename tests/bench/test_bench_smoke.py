"""The benchmark harness runs end to end at the smallest size, so it cannot rot.

Speed is not asserted here (that is what the benchmark reports); we assert that
one real run produces every figure of docs/performance.md with a value, and
that the harness rejects bad options and hostile strings cleanly.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.etl_run import growth_exponent
from bench.load import lua_string
from bench.peer import Plan, Timed, check_same, ensure_venv
from bench.report import Report, Row

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--etl-scales", "1,2",
         "--workdir", str(out / "work"),
         "--json", str(out / "bench.json"), "--markdown", str(out / "bench.md")],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert (out / "bench.json").exists(), proc.stderr[-3000:]
    result = json.loads((out / "bench.json").read_text())
    result["stdout"], result["returncode"] = proc.stdout, proc.returncode
    result["markdown"] = (out / "bench.md").read_text()
    return result


def figures(result: dict, section: str) -> dict[str, dict]:
    return {r["figure"]: r for r in result["rows"] if r["section"] == section}


def test_run_has_no_errors(smoke):
    assert smoke["errors"] == [], smoke["errors"]
    assert smoke["returncode"] == 0
    assert smoke["scale"] == 1 and smoke["smoke"] is True
    assert smoke["machine"]["cores"] >= 1


def test_every_row_has_a_value_and_is_in_the_printed_table(smoke):
    for row in smoke["rows"]:
        if row["figure"].endswith("first chart or map"):
            continue  # pages without charts or maps have none, by design
        assert row["value"] is not None, row
        assert row["figure"][:40] in smoke["stdout"]
    assert smoke["markdown"].startswith("| scale | section | figure |")


def test_etl_figures_at_each_scale_and_the_growth_exponent(smoke):
    etl = figures(smoke, "etl")
    rows = {}
    for scale in (1, 2):
        rate = etl[f"scale {scale}: telemetry rows ingested per second (whole build)"]
        assert rate["value"] > 0 and rate["target"] == ">= 2 M rows/s"
        assert rate["met"] is not None
        peak = etl[f"scale {scale}: build peak RSS"]
        assert peak["value"] > 10 and peak["target"] == "<= 4 GB" and peak["met"] is not None
        rows[scale] = etl[f"scale {scale}: landing rows (all contracts)"]["value"]
    assert rows[2] > rows[1] > 0
    growth = etl["growth exponent of build time vs landing rows"]
    # a number, whatever its sign: on a busy machine the larger build may even be faster
    assert math.isfinite(growth["value"]) and "scales 1, 2" in growth["note"]


def test_growth_exponent_is_the_log_log_slope():
    # t = 3 n^1.5 exactly, then a linear build with a fixed start-up cost (sub-linear fit)
    assert growth_exponent([(n, 3 * n ** 1.5) for n in (1e3, 1e4, 1e5)]) == \
        pytest.approx(1.5)
    assert growth_exponent([(1e6, 2.0), (1e7, 20.0), (1e8, 200.0)]) == pytest.approx(1.0)
    # least squares, not the end points: log10 times 0, 1.2, 2 -> slope 1.0
    assert growth_exponent([(1, 1), (10, 10 ** 1.2), (100, 100)]) == pytest.approx(1.0)
    assert growth_exponent([(1e6, 5.0), (1e7, 8.0)]) < 1


@pytest.mark.parametrize("points", [[(1e6, 2.0)], [(1e6, 2.0), (1e6, 3.0)],
                                    [(0, 1.0), (10, 2.0)], [(10, 1.0), (100, -2.0)]])
def test_growth_exponent_refuses_what_has_no_slope(points):
    with pytest.raises(ValueError):
        growth_exponent(points)


def test_peer_answers_the_same_questions_and_is_judged(smoke):
    peer = figures(smoke, "peer")
    judged = {"aggregate SQL": ">= 20x", "filtered page of 100 rows": ">= 3x",
              "whole-table CSV": ">= 30x"}
    for start, target in judged.items():
        row = next(r for f, r in peer.items() if f.startswith(start))
        assert row["value"] > 0 and row["baseline"] > 0 and row["ratio"] > 0, row
        assert row["target"] == target and row["met"] is not None
        assert "Datasette 0.65" in row["note"]
    table = next(r for f, r in peer.items() if "into SQLite" in f)
    assert table["value"] > 0 and "rows" in table["note"]


def test_callbacks_are_compared_with_bare_sql_and_pandas(smoke):
    rows = figures(smoke, "callbacks")
    assert rows["callbacks measured (distinct bodies from the pages)"]["value"] >= 3
    vs_bare = [r for f, r in rows.items() if f.endswith("p95 server vs bare SQL")]
    vs_pandas = [r for f, r in rows.items() if f.endswith("p95 server vs pandas")]
    assert vs_bare and vs_pandas
    for r in vs_bare + vs_pandas:
        assert r["baseline"] > 0 and r["ratio"] > 0
    assert all(r["met"] is not None for r in vs_bare)
    # telemetry marts are recomputed from the landing files and judged against >= 10x;
    # small tables are only copied into pandas, reported without a target
    recomputed = [r for r in vs_pandas if r["note"] == "recomputed from landing"]
    assert recomputed and all(r["met"] is not None for r in recomputed)
    assert "worst p95 server / bare SQL" in rows and "least speed-up over pandas (telemetry callbacks)" in rows
    noops = [r for f, r in rows.items() if f.endswith("no-op (no SQL)")]
    assert noops and all(r["target"] == "<= 10 ms" and r["met"] is not None for r in noops)
    assert rows["worst no-op callback p95 (frame, URL sync)"]["met"] is not None


def test_cache_backends_cold_and_warm(smoke):
    rows = figures(smoke, "cache")
    for backend in ("simple", "filesystem", "redis"):
        cold = rows[f"{backend}: callback median, cold (empty cache)"]
        warm = rows[f"{backend}: callback median, warm"]
        assert cold["value"] > 0 and warm["value"] > 0 and warm["baseline"] == cold["value"]


def test_downloads_whole_files_filtered_csv_and_xlsx(smoke):
    rows = figures(smoke, "downloads")
    for fmt in ("csv", "parquet"):
        mine = {f: r for f, r in rows.items() if f".{fmt} whole file" in f}
        speed = next(r for f, r in mine.items() if f.endswith("throughput"))
        assert speed["value"] > 0 and speed["baseline"] > 0 and speed["target"] == ">= 300 MB/s"
        rss = next(r for f, r in mine.items() if f.endswith("worker peak RSS"))
        assert rss["value"] > 0 and rss["target"] == "<= 300 MB" and rss["met"] is not None
        assert any(f.endswith("time to first byte") for f in mine)
        assert any(f.endswith("first request (writes the file)") for f in mine)
    filtered = {f: r for f, r in rows.items() if ".csv filtered" in f}
    assert any(f.endswith("throughput") and r["value"] > 0 and r["target"] == ">= 100 MB/s"
               for f, r in filtered.items())
    assert any(f.endswith("worker peak RSS") and r["target"] == "<= 300 MB"
               for f, r in filtered.items())
    assert any(".xlsx" in f and f.endswith("rows per second") and r["value"] > 0
               for f, r in rows.items())


def test_render_and_load(smoke):
    render = figures(smoke, "render")
    firsts = [r["value"] for f, r in render.items() if f.endswith("first chart or map")]
    assert any(v for v in firsts), "no page drew a chart or a map"
    judged = [r for f, r in render.items() if f.endswith("first chart or map") and r["value"]]
    assert judged and all(r["target"] == "<= 1500 ms" and r["met"] is not None for r in judged)
    pages = [r for f, r in render.items() if f.endswith("bytes transferred") and r["target"]]
    assert len(pages) == len(judged)
    assert all(r["target"] == "<= 800 kB" and r["met"] is not None for r in pages)
    assert render["plotly.js transferred"]["value"] > 0
    load = figures(smoke, "load")
    for p in ("p50", "p95", "p99"):
        assert load[f"latency {p}"]["value"] > 0
    errors = load["errors (connect, read, write, timeout, non-2xx/3xx)"]
    assert errors["target"] == "0" and errors["met"] is not None


@pytest.mark.parametrize(("value", "message"), [
    ("1", "at least two different scales"), ("1,1", "at least two different scales"),
    ("1,x", "not a comma-separated list"), ("0,1", "scales must be >= 1"),
    ("1;rm -rf /", "not a comma-separated list")])
def test_bad_etl_scales_fail_with_a_usage_line(value, message):
    proc = subprocess.run([sys.executable, "-m", "bench", "--etl-scales", value], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_bad_options_fail_with_a_usage_line():
    proc = subprocess.run([sys.executable, "-m", "bench", "--only", "everything"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid choice: 'everything'" in proc.stderr


@pytest.mark.parametrize("text", ['"', "\\", "\n", "]]", "è Città", "\x00", "%s %d",
                                  '"); os.execute("rm -rf /") --'])
def test_lua_literals_survive_hostile_strings(text):
    literal = lua_string(text)
    inner = literal[1:-1]
    assert literal[0] == literal[-1] == '"'
    assert all(0x20 <= ord(c) < 0x7F for c in inner)
    # every quote and backslash inside is part of an escape, so the literal cannot end early
    decoded, i = bytearray(), 0
    while i < len(inner):
        if inner[i] == "\\":
            decoded.append(int(inner[i + 1:i + 4]))
            i += 4
        else:
            assert inner[i] != '"'
            decoded.append(ord(inner[i]))
            i += 1
    assert decoded.decode("utf-8") == text


def test_ratio_defaults_to_speed_up_and_skips_missing_values():
    assert Row("s", "f", 2.0, "ms", baseline=20.0).ratio == 10.0
    assert Row("s", "f", None, "ms", baseline=20.0).ratio is None
    assert Row("s", "f", 0.0, "ms", baseline=20.0).ratio is None
    report = Report(1, True)
    report.add("s", "f", 4.0, "ms", baseline=2.0, ratio=2.0, target="<= 2x", met=True)
    assert "| 1 | s | f | 4.00 | ms | 2.00 | 2.0x | <= 2x | yes |  |" in report.markdown()


def test_live_figures(smoke):
    live = figures(smoke, "live")
    ingest = next(r for f, r in live.items() if f.startswith("ingest of a 10-minute batch"))
    assert ingest["value"] > 0
    visible = live["batch visible to the app's door (ingest + recheck), worst"]
    assert visible["value"] >= ingest["value"] and visible["met"] is not None
    reader = live["reader p95 (latest + one station's hours) while ingesting"]
    assert reader["value"] > 0 and reader["baseline"] > 0
    memory = next(r for f, r in live.items() if f.startswith("live worker RSS after 20 polls"))
    assert memory["value"] > 20 and memory["baseline"] > 20


def test_lighthouse_figures(smoke):
    """Each category of one public page and the performance of one dashboard, with targets."""
    scores = figures(smoke, "lighthouse")
    for category in ("performance", "accessibility", "best-practices", "seo"):
        row = scores[f"/data: {category}"]
        assert 0 <= row["value"] <= 100 and row["target"].startswith(">= ")
        assert row["met"] is not None
    assert scores["/: performance"]["target"] == ">= 60"


def _answer(body: object = None, lines: int = 0) -> Timed:
    raw = json.dumps(body).encode() if body is not None else b""
    return Timed(0.01, raw, len(raw), lines)


PLAN = Plan("station-status-hourly", "mart.t", 3, "station_id", "samples", "7",
            ("station_id", "hour"))


def test_peer_cross_check_accepts_equal_answers_and_refuses_different_ones():
    groups = [{"station_id": "7", "n": 2, "total": 5}, {"station_id": "8", "n": 1, "total": 1}]
    ours = _answer({"result": {"records": groups}})
    check_same("aggregate", PLAN, ours, _answer({"rows": groups}))
    wrong = [dict(groups[0], n=3), groups[1]]
    with pytest.raises(RuntimeError, match="different rows"):
        check_same("aggregate", PLAN, ours, _answer({"rows": wrong}))
    with pytest.raises(RuntimeError, match="different rows"):
        check_same("aggregate", PLAN, ours, _answer({"rows": groups[:1]}))
    page = [{"station_id": "7", "hour": f"2024-01-01T0{h}:00:00"} for h in range(3)]
    check_same("filtered", PLAN, _answer({"result": {"records": page}}),
               _answer({"rows": [dict(r, rowid=i) for i, r in enumerate(page)]}))
    with pytest.raises(RuntimeError, match="different rows"):  # same rows, other order
        check_same("filtered", PLAN, _answer({"result": {"records": page}}),
                   _answer({"rows": page[::-1]}))
    with pytest.raises(RuntimeError, match="different rows"):  # nothing matched at all
        check_same("filtered", PLAN, _answer({"result": {"records": []}}), _answer({"rows": []}))
    check_same("csv", PLAN, _answer(lines=4), _answer(lines=4))
    with pytest.raises(RuntimeError, match="CSV lines differ"):
        check_same("csv", PLAN, _answer(lines=4), _answer(lines=3))


def test_peer_sql_quotes_names_it_did_not_choose():
    hostile = Plan('a"b', "t", 1, 'k"; DROP TABLE x; --', "m", "v", ("k",))
    sql = hostile.aggregate_sql
    assert '"k""; DROP TABLE x; --"' in sql and 'FROM "a""b"' in sql
    assert sqlite3.connect(":memory:").execute("SELECT count(*) FROM (SELECT 1 AS "
                                               '"k""; DROP TABLE x; --")').fetchone() == (1,)


def test_peer_venv_is_reused_while_its_lock_is_unchanged(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("datasette==0.65.5 --hash=sha256:" + "0" * 64 + "\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "datasette").write_text("")
    (venv / ".lock-sha256").write_text(hashlib.sha256(lock.read_bytes()).hexdigest())
    assert ensure_venv(venv, lock) == (venv / "bin" / "datasette", False)


def test_a_broken_peer_lock_fails_clearly_and_leaves_no_half_venv(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("this is not a requirement line !!\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "datasette").write_text("")
    (venv / ".lock-sha256").write_text("sha of an older lock")
    with pytest.raises(RuntimeError, match="building the peer venv failed"):
        ensure_venv(venv, lock)
    assert not venv.exists()
