"""The benchmark harness runs end to end at the smallest size, so it cannot rot.

Speed is not asserted here (that is what the benchmark reports); we assert that
one real run produces every figure of docs/performance.md with a value, and
that the harness rejects bad options and hostile strings cleanly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load import lua_string
from bench.report import Report, Row

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--workdir", str(out / "work"),
         "--json", str(out / "bench.json"), "--markdown", str(out / "bench.md")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
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


def test_etl_figures(smoke):
    etl = figures(smoke, "etl")
    rate = etl["telemetry rows ingested per second (whole build)"]
    assert rate["value"] > 0 and rate["target"] and rate["met"] is not None
    assert etl["build peak RSS"]["value"] > 10


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
