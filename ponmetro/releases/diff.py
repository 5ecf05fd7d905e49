"""What changed between two warehouses, per published dataset, computed in DuckDB.

Rows are matched on the dataset's key (``meta.datasets.order_by``, the columns
that identify a row): a key only in the new build is *added*, only in the old one
*removed*, in both with a different row *changed*. When a key is not unique in
either build (or the columns differ), rows are compared whole as multisets and
nothing counts as changed. Both files are attached read-only; nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ponmetro.releases import DatasetChange


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _datasets(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, tuple[str, list[str]]]:
    rows = con.execute(f"SELECT dataset_id, table_name, order_by FROM {db}.meta.datasets"
                       ).fetchall()
    return {did: (table, list(order or ())) for did, table, order in rows}


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    schema, _, name = table.rpartition(".")
    return [tuple(r) for r in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [db, schema or "main", name]).fetchall()]


def _unique(con: duckdb.DuckDBPyConnection, rel: str, keys: list[str]) -> bool:
    cols = ", ".join(_quote(k) for k in keys)
    total, distinct = con.execute(
        f"SELECT count(*), count(DISTINCT ({cols},)) FROM {rel}").fetchone()
    return total == distinct


def _compare(con: duckdb.DuckDBPyConnection, new_rel: str, old_rel: str,
             keys: list[str]) -> tuple[int, int, int]:
    on = " AND ".join(f"n.{_quote(k)} IS NOT DISTINCT FROM o.{_quote(k)}" for k in keys)
    key_list = ", ".join(_quote(k) for k in keys)
    sql = f"""
        WITH n AS (SELECT {key_list}, hash(t) AS h FROM {new_rel} t),
             o AS (SELECT {key_list}, hash(t) AS h FROM {old_rel} t)
        SELECT count(*) FILTER (WHERE o.h IS NULL),
               count(*) FILTER (WHERE n.h IS NULL),
               count(*) FILTER (WHERE n.h <> o.h)
        FROM n FULL JOIN o ON {on}"""
    added, removed, changed = con.execute(sql).fetchone()
    return int(added), int(removed), int(changed)


def _multiset(con: duckdb.DuckDBPyConnection, new_rel: str, old_rel: str
              ) -> tuple[int, int, int]:
    added = con.execute(f"SELECT count(*) FROM (SELECT * FROM {new_rel} "
                        f"EXCEPT ALL SELECT * FROM {old_rel})").fetchone()[0]
    removed = con.execute(f"SELECT count(*) FROM (SELECT * FROM {old_rel} "
                          f"EXCEPT ALL SELECT * FROM {new_rel})").fetchone()[0]
    return int(added), int(removed), 0


def _count(con: duckdb.DuckDBPyConnection, rel: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0])


def compare(new: Path, old: Path | None) -> tuple[dict[str, DatasetChange], dict[str, int]]:
    """Per dataset of ``new``: rows, added, removed, changed against ``old`` (None: first
    release, everything added); plus the datasets only ``old`` had, with their rows."""
    con = duckdb.connect()
    try:
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("ATTACH ? AS n (READ_ONLY)", [str(new)])
        new_sets = _datasets(con, "n")
        old_sets: dict[str, tuple[str, list[str]]] = {}
        if old is not None:
            con.execute("ATTACH ? AS o (READ_ONLY)", [str(old)])
            old_sets = _datasets(con, "o")
        changes: dict[str, DatasetChange] = {}
        for did, (table, keys) in sorted(new_sets.items()):
            new_rel = f"n.{table}"
            rows = _count(con, new_rel)
            if did not in old_sets:
                changes[did] = DatasetChange(rows, rows, 0, 0)
                continue
            old_rel = f"o.{old_sets[did][0]}"
            same_columns = _columns(con, "n", table) == _columns(con, "o", old_sets[did][0])
            if not same_columns:  # a new schema: the whole dataset is replaced
                changes[did] = DatasetChange(rows, rows, _count(con, old_rel), 0)
            elif keys and _unique(con, new_rel, keys) and _unique(con, old_rel, keys):
                changes[did] = DatasetChange(rows, *_compare(con, new_rel, old_rel, keys))
            else:
                changes[did] = DatasetChange(rows, *_multiset(con, new_rel, old_rel))
        withdrawn = {did: _count(con, f"o.{table}") for did, (table, _) in old_sets.items()
                     if did not in new_sets}
        return changes, withdrawn
    finally:
        con.close()
