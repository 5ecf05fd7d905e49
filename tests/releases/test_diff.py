"""What changed between two warehouses: matched by key, NULL keys, duplicate keys, new
schemas, datasets that appear and disappear (small real DuckDB files)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ponmetro.releases import DatasetChange
from ponmetro.releases.diff import compare


def _warehouse(path: Path, tables: dict[str, tuple[list[str], str]]) -> Path:
    """``{dataset_id: (key columns, CREATE TABLE ... AS body)}`` into a tiny warehouse."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA mart; CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.datasets (dataset_id VARCHAR, table_name VARCHAR, "
                "order_by VARCHAR[])")
    for did, (keys, body) in tables.items():
        table = "mart." + did.replace("-", "_")
        con.execute(f"CREATE TABLE {table} AS {body}")
        con.execute("INSERT INTO meta.datasets VALUES (?, ?, ?)", [did, table, keys])
    con.close()
    return path


def test_changes_by_key_and_fallbacks(tmp_path):
    old = _warehouse(tmp_path / "old.duckdb", {
        "keyed": (["a"], "SELECT * FROM (VALUES (1, 'x'), (2, 'y'), (NULL, 'n')) t(a, b)"),
        "dup": (["a"], "SELECT * FROM (VALUES (1, 'x'), (1, 'x'), (2, 'y')) t(a, b)"),
        "schema": (["a"], "SELECT * FROM (VALUES (1, 'x'), (2, 'y')) t(a, b)"),
        "gone": (["a"], "SELECT * FROM (VALUES (1), (2), (3)) t(a)"),
    })
    new = _warehouse(tmp_path / "new.duckdb", {
        "keyed": (["a"], "SELECT * FROM (VALUES (1, 'x'), (2, 'z'), (NULL, 'n'), (3, 'w')) "
                         "t(a, b)"),
        "dup": (["a"], "SELECT * FROM (VALUES (1, 'x'), (2, 'y'), (2, 'y'), (4, 'q')) t(a, b)"),
        "schema": (["a"], "SELECT * FROM (VALUES (1, 'x', 0), (2, 'y', 0), (3, 'z', 0)) "
                          "t(a, b, c)"),
        "fresh": (["a"], "SELECT * FROM (VALUES (1), (2)) t(a)"),
    })
    changes, withdrawn = compare(new, old)
    assert changes == {
        "keyed": DatasetChange(rows=4, added=1, removed=0, changed=1),  # NULL key matched
        "dup": DatasetChange(rows=4, added=2, removed=1, changed=0),    # whole-row multiset
        "schema": DatasetChange(rows=3, added=3, removed=2, changed=0),  # replaced
        "fresh": DatasetChange(rows=2, added=2, removed=0, changed=0),
    }
    assert withdrawn == {"gone": 3}


def test_first_release_and_identical_builds(tmp_path):
    one = _warehouse(tmp_path / "one.duckdb", {
        "keyed": (["a", "b"], "SELECT range AS a, range % 7 AS b, [range] AS l, "
                              "{'s': range} AS st FROM range(1000)")})
    changes, withdrawn = compare(one, None)
    assert changes == {"keyed": DatasetChange(1000, 1000, 0, 0)} and withdrawn == {}
    changes, _ = compare(one, one)
    assert changes == {"keyed": DatasetChange(1000, 0, 0, 0)}
    assert changes["keyed"].unchanged
