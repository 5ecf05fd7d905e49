"""The connector commands as operators call them, through the ``ponmetro`` entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ponmetro.cli import main

PONMETRO = Path(sys.executable).parent / "ponmetro"


def test_gbfs_commands_are_registered():
    result = CliRunner().invoke(main, ["gbfs", "--help"])
    assert result.exit_code == 0
    for command in ("poll", "import", "validate"):
        assert command in result.output


def test_build_takes_real_geography_options():
    result = CliRunner().invoke(main, ["build", "--help"])
    assert "--geography" in result.output and "--municipi" in result.output


def test_missing_geography_file_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["build", "--demo", "--geography",
                                       str(tmp_path / "absent.geojson")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_gbfs_import_through_the_real_executable(realdata, tmp_path):
    """One real process: exit status, stdout summary, stderr warning line."""
    done = subprocess.run(
        [str(PONMETRO), "gbfs", "import",
         str(realdata / "bikemi_gbfs_status/bikemi_stations.csv"),
         str(realdata / "bikemi_gbfs_status/bikemi_data.csv"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "imported 318 stations and 23651 new statuses" in done.stdout
    assert "warning: 193 statuses of 3 stations missing from station_information" \
        in done.stderr
    bad = subprocess.run([str(PONMETRO), "gbfs", "poll", "http://127.0.0.1:9/gbfs.json",
                          "--out", str(tmp_path / "x"), "--timeout", "2"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: GET http://127.0.0.1:9/gbfs.json: cannot connect (ConnectionError)"]


def test_connectors_run_as_a_module(realdata, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "etl.connectors", "portal", "nil",
         str(realdata / "nil/administrative-nil.geo.json"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "geography/nil.geojson").exists()
    bad = subprocess.run(
        [sys.executable, "-m", "etl.connectors", "portal", "nil",
         str(realdata / "nil/nil.csv"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("error: ") and "use the GeoJSON resource" in bad.stderr


def test_both_entry_points_register_the_same_connector_groups():
    """One registry (etl.connectors.cli.GROUPS) feeds ``ponmetro`` and ``python -m``."""
    from etl.connectors.__main__ import connectors
    from etl.connectors.cli import GROUPS

    names = {group.name for group in GROUPS}
    assert names == {"gbfs", "portal", "opencoesione"}
    assert names <= set(main.commands)
    assert set(connectors.commands) == names
