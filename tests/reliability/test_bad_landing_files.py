"""Bad landing files: each file of the fixed corpus fails with its own clear error.

Every corpus file (``corpus/cases.json``) is dropped into a copy of the demo landing
folder in place of the file it imitates; the build must refuse it with one line
naming the file, the row and the column, and the warehouse built before must be
left byte for byte as it was. GBFS feeds go through the connector's validator.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import CORPUS

CASES = json.loads((CORPUS / "cases.json").read_text("utf-8"))
LANDING_CASES = [c for c in CASES if "target" in c]
GBFS_CASES = [c for c in CASES if "gbfs_feed" in c]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def previous(small_warehouse, tmp_path_factory) -> Path:
    """A warehouse already in place, which no bad file may disturb."""
    target = tmp_path_factory.mktemp("previous") / "warehouse.duckdb"
    shutil.copy(small_warehouse, target)
    return target


def test_corpus_is_large_and_every_file_is_used():
    assert len(CASES) >= 30
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".geojson", ".json")
               and p.name != "cases.json"}
    assert on_disk == {c["file"] for c in CASES}


@pytest.mark.parametrize("case", LANDING_CASES, ids=[c["file"] for c in LANDING_CASES])
def test_bad_file_is_refused_clearly_and_nothing_is_lost(case, landing_copy, previous):
    from etl.build import build
    from etl.validate import LandingError

    target = landing_copy / case["target"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORPUS / case["file"], target)
    before = digest(previous)

    with pytest.raises(LandingError) as caught:
        build(landing_copy, previous, progress=False)

    message = str(caught.value)
    assert "\n" not in message and len(message) < 500, message
    assert message.startswith(str(target)), message
    for words in case["expect"]:
        assert words in message, f"{case['file']}: {words!r} not in {message!r}"
    assert digest(previous) == before
    assert not list(previous.parent.glob(".*.building-*"))


@pytest.mark.parametrize("case", GBFS_CASES, ids=[c["file"] for c in GBFS_CASES])
def test_invalid_gbfs_feed_is_refused_clearly(case):
    from etl.connectors import gbfs_schema
    from etl.connectors.errors import ConnectorError
    from etl.connectors.fetch import fetch_json

    path = CORPUS / case["file"]
    with pytest.raises(ConnectorError) as caught:
        gbfs_schema.validate(fetch_json(path), case["gbfs_feed"], str(path))
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    for words in case["expect"]:
        assert words in message, f"{case['file']}: {words!r} not in {message!r}"


@pytest.mark.parametrize("case", [c for c in LANDING_CASES if c["file"] in
                                  ("utf16.csv", "huge-line.csv", "orphan-station.csv",
                                   "wrong-crs.geojson")], ids=lambda c: c["file"])
def test_cli_prints_one_error_line_and_exits_2(case, landing_copy, previous):
    shutil.copy(CORPUS / case["file"], landing_copy / case["target"])
    before = digest(previous)
    result = subprocess.run(
        [sys.executable, "-m", "ponmetro.cli", "build", "--quiet", "--landing",
         str(landing_copy), "--warehouse", str(previous)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and case["target"] in result.stderr
    assert digest(previous) == before
