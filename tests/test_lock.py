"""The hash locks match pyproject.toml, and the check catches every way they can drift."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("lockfile", ROOT / "tools" / "lockfile.py")
lockfile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lockfile)


@pytest.fixture
def tree(tmp_path):
    """A copy of pyproject.toml and both locks, to break without touching the checkout."""
    for name in ["pyproject.toml", *lockfile.LOCKS]:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_committed_locks_match_pyproject():
    found = lockfile.problems(ROOT)
    assert found == [], "\n".join(found)


def test_every_pinned_package_carries_a_hash():
    for lock in lockfile.LOCKS:
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
        pinned = [b for b in blocks if "==" in b.split("\n", 1)[0]]
        assert len(pinned) == len(lockfile.pins((ROOT / lock).read_text())) > 10
        unhashed = [b.split()[0] for b in pinned if "--hash=sha256:" not in b]
        assert unhashed == [], f"{lock}: no hash for {unhashed}"


def test_test_lock_agrees_with_run_lock():
    run = lockfile.pins((ROOT / "requirements.lock").read_text())
    test = lockfile.pins((ROOT / "requirements-test.lock").read_text())
    assert {n: test.get(n) for n in run} == run


def test_a_dependency_added_without_make_lock_is_reported(tree):
    _edit(tree / "pyproject.toml", '"redis>=5.0",', '"redis>=5.0",\n    "humanize>=4",')
    found = lockfile.problems(tree)
    # the run lock and the test lock (a superset) are both stale, and neither pins humanize
    stale = [p for p in found if "not generated from the dependencies now in" in p]
    assert {p.split()[0] for p in stale} == set(lockfile.LOCKS)
    assert any("`humanize>=4` from pyproject.toml is not pinned" in p for p in found)
    assert all("run `make lock`" in p for p in found)


def test_a_test_extra_change_makes_only_the_test_lock_stale(tree):
    _edit(tree / "pyproject.toml", '"pytest>=8",', '"pytest>=8.1",')
    found = lockfile.problems(tree)
    assert len(found) == 1 and found[0].startswith("requirements-test.lock was not generated")


def test_a_pin_outside_its_range_is_reported(tree):
    dash = lockfile.pins((tree / "requirements.lock").read_text())["dash"]
    _edit(tree / "requirements.lock", f"\ndash=={dash} ", "\ndash==2.0.0 ")
    found = lockfile.problems(tree)
    assert found == [
        "requirements.lock: dash==2.0.0 does not satisfy `dash>=3.0`; " + lockfile.FIX
    ]


def test_a_missing_lock_and_a_missing_stamp_are_reported(tree):
    (tree / "requirements-test.lock").unlink()
    text = (tree / "requirements.lock").read_text()
    (tree / "requirements.lock").write_text(
        "\n".join(ln for ln in text.splitlines() if not ln.startswith(lockfile.DIGEST_LINE))
    )
    found = lockfile.problems(tree)
    assert found[0].startswith("requirements.lock was not generated") and "recorded None" in found[0]
    assert found[1] == "requirements-test.lock is missing; " + lockfile.FIX


def test_reordering_pyproject_keeps_the_lock_current_and_stamp_refreshes_it(tree):
    _edit(tree / "pyproject.toml", '    "polars>=1.0",\n    "duckdb>=1.1",',
          '    "duckdb >= 1.1",\n    "polars>=1.0",')
    assert lockfile.problems(tree) == []
    _edit(tree / "pyproject.toml", '"click>=8.1",', '"click>=8.0",')
    assert len(lockfile.problems(tree)) == 2
    lockfile.stamp(tree)  # what `make lock` does after resolving
    assert lockfile.problems(tree) == []


def test_the_check_command_exits_non_zero_with_the_fix(tree):
    _edit(tree / "pyproject.toml", '"click>=8.1",', '"click>=8.2",')
    script = tree / "tools" / "lockfile.py"
    script.parent.mkdir()
    shutil.copy(ROOT / "tools" / "lockfile.py", script)
    done = subprocess.run([sys.executable, str(script), "check"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "lock check: requirements.lock was not generated" in done.stderr
    assert "run `make lock`" in done.stderr
    ok = subprocess.run([sys.executable, str(ROOT / "tools" / "lockfile.py"), "check"],
                        capture_output=True, text=True)
    assert (ok.returncode, ok.stderr) == (0, "")
