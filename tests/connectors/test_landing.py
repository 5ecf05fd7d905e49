"""The landing folder writer: manifest entries marked real, never lost under concurrency."""

from __future__ import annotations

import json
import threading

import polars as pl

from etl.connectors.landing import Landing


def test_entries_are_real_and_keep_other_files(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({
        "seed": 42, "files": {"social/sites.csv": {"synthetic": True, "source": "demo"}}}))
    landing = Landing(tmp_path)
    landing.write_csv("mobility/station_information.csv", pl.DataFrame({"a": [1, 2]}),
                      source="feed X")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 42
    assert manifest["files"]["social/sites.csv"]["synthetic"] is True
    entry = manifest["files"]["mobility/station_information.csv"]
    assert entry["synthetic"] is False and entry["rows"] == 2 and entry["source"] == "feed X"
    assert not list(tmp_path.rglob(".*.tmp-*"))  # no temporary file left behind


def test_concurrent_writers_lose_no_manifest_entry(tmp_path):
    landing = Landing(tmp_path)

    def write(prefix: str) -> None:
        for i in range(40):
            Landing(tmp_path).record(f"{prefix}/{i}.csv", source=prefix, rows=i)

    threads = [threading.Thread(target=write, args=(p,)) for p in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(landing.read_manifest()["files"]) == 120


def test_forget_removes_only_synthetic_partitions(tmp_path):
    landing = Landing(tmp_path)
    for month, synthetic in (("2023-11", True), ("2023-12", True), ("2026-05", False)):
        landing.write_csv(f"mobility/station_status/{month}.csv", pl.DataFrame({"a": [1]}),
                          source="x", synthetic=synthetic)
    removed = landing.forget("mobility/station_status/*.csv", synthetic_only=True)
    assert removed == ["mobility/station_status/2023-11.csv",
                       "mobility/station_status/2023-12.csv"]
    assert [p.name for p in (tmp_path / "mobility/station_status").iterdir()] == ["2026-05.csv"]
    assert list(landing.read_manifest()["files"]) == ["mobility/station_status/2026-05.csv"]
