"""The open-data catalogue: which marts are published, with their metadata.

(Placeholder: the open-data hub fills this in.)
"""

from __future__ import annotations

import duckdb


def write_catalog(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Write ``meta.datasets`` and ``meta.dataset_columns`` for the published marts."""
    con.execute("CREATE TABLE meta.datasets (dataset_id VARCHAR, table_name VARCHAR)")
