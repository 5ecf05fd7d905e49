"""Row-level queries over published datasets: search, stream, read-only SQL.

Every statement is assembled from identifiers that come from the catalogue
(dataset table names and dictionary column names, checked against the
allow-list and then quoted) and values bound as parameters. User-written SQL
(``datastore_search_sql``) is parsed by DuckDB itself and accepted only when it
is one SELECT whose tables are all published datasets and whose functions are
not system, file or setting functions; it then runs over views of the published
columns with a row cap and a timeout.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from dashboards import formats, warehouse
from dashboards.queries import catalog
from dashboards.queries.catalog import Column, Dataset

DEFAULT_LIMIT = 100
MAX_LIMIT = 32000
SQL_MAX_ROWS = 32000
SQL_TIMEOUT_S = 10.0
MAX_VALUE_CHARS = 1000
#: Words of a full-text ``q`` taken into account.
MAX_WORDS = 20
RANGE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_INT64 = (-(2**63), 2**63 - 1)


class QueryError(ValueError):
    """User input that cannot be answered; ``field`` names the offending parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def quote(name: str) -> str:
    """Quote an identifier that has already been checked against the allow-list."""
    return '"' + name.replace('"', '""') + '"'


# ----------------------------------------------------------------- parameter checking

def _convert(col: Column, value: Any, field: str) -> Any:
    """Turn one user value into a Python value of the column's type, or raise."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise QueryError(field, "expected a single value")
    text = str(value).strip() if not isinstance(value, bool) else value
    if isinstance(text, str) and len(text) > MAX_VALUE_CHARS:
        raise QueryError(field, f"value longer than {MAX_VALUE_CHARS} characters")
    family = col.family
    try:
        if family == "integer":
            if isinstance(value, bool):
                raise ValueError
            number = int(text) if not isinstance(value, float) else int(value)
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            if not _INT64[0] <= number <= _INT64[1]:
                raise ValueError
            return number
        if family == "number":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError
            return number
        if family == "boolean":
            if isinstance(value, bool):
                return value
            lowered = str(text).lower()
            if lowered in {"true", "1", "yes"}:
                return True
            if lowered in {"false", "0", "no"}:
                return False
            raise ValueError
        if family == "date":
            return date.fromisoformat(str(text))
        if family == "datetime":
            return datetime.fromisoformat(str(text).replace("Z", "+00:00")).replace(tzinfo=None)
        if family == "complex":
            raise QueryError(field, f"column '{col.name}' cannot be filtered")
        return str(text)
    except QueryError:
        raise
    except (ValueError, TypeError, OverflowError):
        raise QueryError(field, f"'{str(value)[:40]}' is not a valid {family} for column "
                                f"'{col.name}'") from None


def check_column(ds: Dataset, name: Any, field: str) -> Column:
    col = ds.column(name) if isinstance(name, str) else None
    if col is None:
        raise QueryError(field, f"unknown field '{str(name)[:60]}' in dataset '{ds.id}'")
    return col


def where_clause(ds: Dataset, filters: dict[str, Any] | None, q: Any = None,
                 ) -> tuple[str, list[Any]]:
    """``WHERE`` text and parameters for CKAN-style ``filters`` and ``q``.

    ``filters``: ``{column: value}``, ``{column: [v1, v2]}`` (any of) or
    ``{column: {"gte": a, "lt": b}}`` (ranges). ``q``: text searched in every
    text column, or ``{column: text}``.
    """
    parts: list[str] = []
    params: list[Any] = []
    if filters is not None and not isinstance(filters, dict):
        raise QueryError("filters", "must be an object {field: value}")
    for name, value in (filters or {}).items():
        col = check_column(ds, name, "filters")
        ident = quote(col.name)
        if isinstance(value, dict):
            if not value:
                raise QueryError("filters", f"empty range for '{col.name}'")
            for op, bound in value.items():
                if op not in RANGE_OPS:
                    raise QueryError("filters", f"unknown operator '{str(op)[:20]}' "
                                                f"(use {', '.join(RANGE_OPS)})")
                converted = _convert(col, bound, "filters")
                if converted is None:
                    raise QueryError("filters", f"range bound for '{col.name}' is null")
                parts.append(f"{ident} {RANGE_OPS[op]} ?")
                params.append(converted)
        elif isinstance(value, list):
            if not value:
                raise QueryError("filters", f"empty list for '{col.name}'")
            if len(value) > 1000:
                raise QueryError("filters", "at most 1000 values per field")
            values = [_convert(col, v, "filters") for v in value]
            non_null = [v for v in values if v is not None]
            alternatives = [f"{ident} IN ({', '.join('?' * len(non_null))})"] if non_null else []
            if len(non_null) < len(values):
                alternatives.append(f"{ident} IS NULL")
            parts.append("(" + " OR ".join(alternatives) + ")")
            params += non_null
        else:
            converted = _convert(col, value, "filters")
            if converted is None:
                parts.append(f"{ident} IS NULL")
            else:
                parts.append(f"{ident} = ?")
                params.append(converted)
    if q not in (None, "", {}):
        if isinstance(q, dict):
            targets = [(check_column(ds, k, "q"), v) for k, v in q.items()]
        elif isinstance(q, str):
            # CKAN's plain full text: every word must occur in some text column.
            if len(q) > MAX_VALUE_CHARS:
                raise QueryError("q", "search text must be a short string")
            words = q.split()[:MAX_WORDS]
            text_cols = [c for c in ds.columns if c.family == "string"]
            for word in words:
                alternatives = [f"contains(lower(CAST({quote(c.name)} AS VARCHAR)), ?)"
                                for c in text_cols]
                params += [word.lower()] * len(text_cols)
                parts.append("(" + (" OR ".join(alternatives) or "FALSE") + ")")
            targets = []
        else:
            raise QueryError("q", "must be a string or an object {field: text}")
        alternatives = []
        for col, text in targets:
            if not isinstance(text, (str, int, float)) or len(str(text)) > MAX_VALUE_CHARS:
                raise QueryError("q", "search text must be a short string")
            alternatives.append(f"contains(lower(CAST({quote(col.name)} AS VARCHAR)), ?)")
            params.append(str(text).lower())
        if targets:
            parts.append("(" + (" OR ".join(alternatives) or "FALSE") + ")")
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def order_clause(ds: Dataset, sort: Any, selected: list[Column] | None = None,
                 pinned: frozenset[str] = frozenset()) -> str:
    """``ORDER BY`` from ``"col1, col2 desc nulls last"`` (default: the dataset's key).

    ``selected``: the columns of a ``SELECT DISTINCT``, which may only be sorted by
    returned columns (by default its key columns, else every returned column).
    ``pinned``: key columns an equality filter holds to one value, left out of the default
    order (same rows, same order; a top-N on fewer keys is a third cheaper).
    """
    names = None if selected is None else [c.name for c in selected]
    if sort in (None, ""):
        keys = [c for c in ds.order_by if ds.column(c) and c not in pinned]
        if names is not None:
            keys = [c for c in keys if c in names] or names
        return (" ORDER BY " + ", ".join(quote(c) for c in keys)) if keys else ""
    if isinstance(sort, list):
        sort = ",".join(str(s) for s in sort)
    if not isinstance(sort, str) or len(sort) > 2000:
        raise QueryError("sort", "must be a string like 'field desc, other'")
    items, chosen = [], set()
    for raw in sort.split(","):
        words = raw.split()
        if not words:
            raise QueryError("sort", "empty sort item")
        col = check_column(ds, words[0].strip('"'), "sort")
        if names is not None and col.name not in names:
            raise QueryError("sort", f"with distinct, sort by returned fields only "
                                     f"('{col.name}' is not in fields)")
        rest = [w.lower() for w in words[1:]]
        direction = "ASC"
        if rest and rest[0] in ("asc", "desc"):
            direction = rest.pop(0).upper()
        nulls = ""
        if rest[:1] == ["nulls"] and len(rest) == 2 and rest[1] in ("first", "last"):
            nulls = f" NULLS {rest[1].upper()}"
            rest = []
        if rest:
            raise QueryError("sort", f"cannot understand '{raw.strip()[:40]}'")
        items.append(f"{quote(col.name)} {direction}{nulls}")
        chosen.add(col.name)
    # The key breaks ties, so pages of one sort never overlap and every plan (page with
    # or without its total, any LIMIT) puts equal values in the same order.
    items += [quote(c) for c in ds.order_by if ds.column(c) and c not in chosen
              and (names is None or c in names)]
    return " ORDER BY " + ", ".join(items)


def pinned(filters: Any) -> frozenset[str]:
    """Columns that (already checked) ``filters`` hold to one non-null value."""
    if not isinstance(filters, dict):
        return frozenset()
    return frozenset(name for name, value in filters.items()
                     if value is not None and not isinstance(value, (dict, list)))


def select_columns(ds: Dataset, fields: Any) -> list[Column]:
    if fields in (None, "", []):
        return list(ds.columns)
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",")]
    if not isinstance(fields, list) or len(fields) > 500:
        raise QueryError("fields", "must be a list of field names")
    return [check_column(ds, f, "fields") for f in fields]


def _projection(cols: list[Column], mode: str = "native") -> str:
    """The SELECT list in one projection mode, named by the output format's record
    (``dashboards/formats.py``): ``native`` (Arrow types, for Parquet/GeoJSON), ``csv``
    (ISO text timestamps, lists as text), ``excel_csv`` (as csv, decimal comma for
    Italian Excel), ``xlsx`` (native dates and numbers, lists as text) and ``json``
    (ISO timestamps, native lists)."""
    if mode not in formats.PROJECTIONS:
        raise ValueError(f"unknown projection mode {mode!r}")
    out = []
    for col in cols:
        ident = quote(col.name)
        if mode not in ("native", "json") and col.is_complex:
            out.append(f"CAST({ident} AS VARCHAR) AS {ident}")
        elif mode in ("csv", "excel_csv", "json") and col.family == "datetime":
            out.append(f"strftime({ident}, '%Y-%m-%dT%H:%M:%S') AS {ident}")
        elif mode == "excel_csv" and col.family == "number":
            out.append(f"replace(CAST({ident} AS VARCHAR), '.', ',') AS {ident}")
        else:
            out.append(ident)
    return ", ".join(out)


def build_query(ds: Dataset, *, fields: Any = None, filters: Any = None, q: Any = None,
                sort: Any = None, mode: str = "native", default_order: bool = True,
                distinct: bool = False) -> tuple[str, list[Any], list[Column]]:
    """The checked SELECT for one dataset; identifiers only from the catalogue.

    ``default_order=False`` keeps the mart's own row order when no sort is asked
    for, so a full download streams without sorting the whole table in memory
    (the marts are written in key order by the ETL).
    """
    select, where, order, params, cols = _parts(
        ds, fields=fields, filters=filters, q=q, sort=sort, mode=mode,
        default_order=default_order, distinct=distinct)
    return f"{select} FROM {ds.table}{where}{order}", params, cols  # noqa: S608 (allow-listed)


def _parts(ds: Dataset, *, fields: Any, filters: Any, q: Any, sort: Any, mode: str,
           default_order: bool, distinct: bool,
           ) -> tuple[str, str, str, list[Any], list[Column]]:
    """:func:`build_query` in pieces: the SELECT list, the WHERE (its values are
    ``params``) and the ORDER BY, so :func:`search` can add its total to the same WHERE."""
    cols = select_columns(ds, fields)
    where, params = where_clause(ds, filters, q)
    order = order_clause(ds, sort, cols if distinct else None,
                         frozenset() if distinct else pinned(filters)) \
        if sort not in (None, "") or default_order else ""
    select = "SELECT DISTINCT" if distinct else "SELECT"
    return f"{select} {_projection(cols, mode)}", where, order, params, cols


# ----------------------------------------------------------------- results

def _run(sql: str, params: list[Any]) -> tuple[list[str], list[tuple]]:
    cur = warehouse.cursor()
    try:
        res = cur.execute(sql, params)
        names = [d[0] for d in res.description]
        return names, res.fetchall()
    except (duckdb.ConversionException, duckdb.InvalidInputException,
            duckdb.OutOfRangeException) as exc:
        raise QueryError("filters", str(exc).splitlines()[0][:200]) from None
    finally:
        cur.close()


def search(ds: Dataset, *, fields: Any = None, filters: Any = None, q: Any = None,
           sort: Any = None, limit: Any = DEFAULT_LIMIT, offset: Any = 0,
           include_total: bool = True, distinct: bool = False) -> dict[str, Any]:
    """One page of rows plus the total: the core of ``datastore_search`` and previews.

    ``distinct``: only distinct rows of the returned fields (CKAN's ``distinct``);
    the total then counts distinct rows. One value of the first key column takes its
    total from :func:`key_total`.
    """
    limit = _bounded_int(limit, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT)
    offset = _bounded_int(offset, "offset", 0, 0, 2**62)
    select, where, order, params, cols = _parts(
        ds, fields=fields, filters=filters, q=q, sort=sort, mode="native",
        default_order=True, distinct=distinct)
    rest = f" FROM {ds.table}{where}{order}"
    sql = select + rest
    total = key_total(ds, filters, q) if include_total and not distinct else None
    if total is not None:
        rows = _run(sql + " LIMIT ? OFFSET ?", [*params, limit, offset])[1] if limit else []
        return {"columns": cols, "rows": rows, "total": total, "limit": limit,
                "offset": offset}
    if include_total and not distinct and limit:
        # The page and its total in one statement (one plan, one round trip); the count
        # is an uncorrelated subquery on the same WHERE, run once. An empty page carries
        # no total: counted.
        counted = f"{select}, (SELECT count(*) FROM {ds.table}{where}){rest}"  # noqa: S608
        _, rows = _run(counted + " LIMIT ? OFFSET ?", [*params, *params, limit, offset])
        if rows:
            total = rows[0][-1]
            rows = [row[:-1] for row in rows]
        else:
            total = count(ds, filters=filters, q=q)
        return {"columns": cols, "rows": rows, "total": total, "limit": limit,
                "offset": offset}
    _, rows = _run(sql + " LIMIT ? OFFSET ?", [*params, limit, offset])
    if include_total:
        if distinct:
            total = _run(f"SELECT count(*) FROM ({sql}) AS d", params)[1][0][0]  # noqa: S608
        else:
            total = count(ds, filters=filters, q=q)
    return {"columns": cols, "rows": rows, "total": total, "limit": limit, "offset": offset}


def count(ds: Dataset, *, filters: Any = None, q: Any = None, at_most: int | None = None
          ) -> int:
    """Rows of ``ds`` that ``filters`` and ``q`` select (checked as in :func:`search`).

    ``at_most``: stop counting there (the scan ends early, reading fewer blocks into
    the buffer pool); the answer is then ``min(rows, at_most)``. One value of the first
    key column is looked up (:func:`key_total`), not counted.
    """
    where, params = where_clause(ds, filters, q)
    total = key_total(ds, filters, q)
    if total is not None:
        return total if at_most is None else min(total, int(at_most))
    if at_most is None:
        return _run(f"SELECT count(*) FROM {ds.table}{where}", params)[1][0][0]  # noqa: S608
    return _run(f"SELECT count(*) FROM (SELECT 1 FROM {ds.table}{where} LIMIT ?)",  # noqa: S608
                [*params, int(at_most)])[1][0][0]


#: Values of a dataset's first key column past which no per-value totals are kept.
KEY_TOTALS_MAX_VALUES = 50_000
#: Data versions (build, live batch, kept release) whose key totals stay in memory.
KEY_TOTALS_VERSIONS = 4
_key_totals: dict[tuple[str, str], dict[Any, int] | None] = {}
_key_totals_lock = threading.Lock()


def key_total(ds: Dataset, filters: Any, q: Any = None) -> int | None:
    """Rows matching ``filters`` when they hold the dataset's first key column (text or
    integer) to one value and nothing else (a station, a project: the commonest API
    question), else None (count with SQL).

    One ``GROUP BY`` per data version and dataset (read once per worker: ~30 ms for
    10.1 M rows at scale 100) knows every value's rows; counting the matching rows again
    for each page read all of them a second time (0.6-0.9 ms for a 34,561-row station).
    ``filters`` must already be checked (``where_clause``).
    """
    if q not in (None, "", {}) or not isinstance(filters, dict) or len(filters) != 1 \
            or not ds.order_by:
        return None
    ((name, value),) = filters.items()
    col = ds.column(ds.order_by[0])
    if col is None or name != col.name or col.family not in ("string", "integer") \
            or value is None or isinstance(value, (dict, list)):
        return None
    counts = _key_counts(ds, col)
    return None if counts is None else counts.get(_convert(col, value, "filters"), 0)


def _key_counts(ds: Dataset, col: Column) -> dict[Any, int] | None:
    """``{value: rows}`` of ``col`` in the data version being read, or None past
    ``KEY_TOTALS_MAX_VALUES`` values; computed once per version under a lock, so the
    first requests after a new build wait for one scan instead of running one each."""
    version = warehouse.data_identity()
    key = (version, ds.id)
    with _key_totals_lock:
        if key in _key_totals:
            return _key_totals[key]
        counts = _count_by_value(ds, col)
        if warehouse.data_identity() == version:  # not switched to a new build meanwhile
            _key_totals[key] = counts
            while len({v for v, _ in _key_totals}) > KEY_TOTALS_VERSIONS:
                oldest = next(iter(_key_totals))[0]
                for stale in [k for k in _key_totals if k[0] == oldest]:
                    del _key_totals[stale]
        return counts


def _count_by_value(ds: Dataset, col: Column) -> dict[Any, int] | None:
    """The GROUP BY behind :func:`_key_counts`. A large table first estimates its
    distinct values (HyperLogLog, constant memory, ~50 ms for 10.1 M rows): a key with
    millions of values would otherwise build millions of groups only to be dropped."""
    ident = quote(col.name)
    if ds.rows > KEY_TOTALS_MAX_VALUES:
        estimate = _run(f"SELECT approx_count_distinct({ident}) "  # noqa: S608 (catalogue)
                        f"FROM {ds.table}", [])[1][0][0]
        if estimate > KEY_TOTALS_MAX_VALUES:
            return None
    _, rows = _run(f"SELECT {ident}, count(*) FROM {ds.table} "  # noqa: S608 (catalogue)
                   f"GROUP BY {ident} LIMIT {KEY_TOTALS_MAX_VALUES + 1}", [])
    return dict(rows) if len(rows) <= KEY_TOTALS_MAX_VALUES else None


def _bounded_int(value: Any, field: str, default: int, low: int, high: int) -> int:
    """Parse an integer parameter; values above ``high`` are capped, not refused."""
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or number < low:
        raise QueryError(field, f"must be an integer >= {low}")
    return min(number, high)


@contextmanager
def stream(ds: Dataset, *, fields: Any = None, filters: Any = None, q: Any = None,
           sort: Any = None, mode: str = "native", batch_size: int = 20_000,
           ) -> Iterator[tuple[pa.RecordBatchReader, list[Column]]]:
    """Arrow record batches of the whole (filtered) dataset, in constant memory.

    Parameters are checked (and the statement prepared) before the first batch,
    so a bad filter fails before any response byte is sent.
    """
    sql, params, cols = build_query(ds, fields=fields, filters=filters, q=q, sort=sort,
                                    mode=mode, default_order=False)
    cur = warehouse.cursor()
    try:
        try:
            reader = cur.sql(sql, params=params or None).to_arrow_reader(batch_size)
        except (duckdb.ConversionException, duckdb.InvalidInputException,
                duckdb.OutOfRangeException) as exc:
            raise QueryError("filters", str(exc).splitlines()[0][:200]) from None
        yield reader, cols
    finally:
        cur.close()


# ----------------------------------------------------------------- read-only SQL

#: Functions that reveal the system, read files or change state are never allowed.
_DENY_PREFIXES = ("read_", "duckdb_", "pragma_", "pg_", "sqlite_", "parquet_", "iceberg_",
                  "delta_", "json_execute", "load_", "install_", "current_setting",
                  "enable_", "disable_", "set_", "icu_", "which_secret", "st_read")
_DENY_NAMES = {"glob", "getenv", "query", "query_table", "sniff_csv", "checkpoint",
               "force_checkpoint", "current_database", "current_catalog", "current_schema",
               "current_schemas", "current_user", "session_user", "user", "current_role",
               "version", "platform", "database_size", "nextval", "currval", "txid_current",
               "has_table_privilege", "has_schema_privilege", "col_description",
               "obj_description", "shobj_description", "format_pg_type",
               "pg_typeof", "system", "shell", "import_database", "export_database",
               "repeat", "range", "generate_series", "lpad", "rpad", "printf", "format",
               "make_timestamp_ns"}
_ALLOWED_TABLE_REFS = {"BASE_TABLE", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST"}


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def check_sql(sql: Any) -> list[Dataset]:
    """Parse with DuckDB; accept one SELECT over published datasets only, else raise."""
    if not isinstance(sql, str) or not sql.strip():
        raise QueryError("sql", "a SELECT statement is required")
    if len(sql) > 20_000:
        raise QueryError("sql", "statement longer than 20000 characters")
    if "\x00" in sql:
        raise QueryError("sql", "statement contains a NUL character")
    cur = warehouse.cursor()
    try:
        parsed = json.loads(cur.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    finally:
        cur.close()
    if parsed.get("error"):
        message = str(parsed.get("error_message", "not a SELECT statement"))
        raise QueryError("sql", "only a single read-only SELECT is allowed ("
                         + message.splitlines()[0][:160] + ")")
    statements = parsed.get("statements") or []
    if len(statements) != 1:
        raise QueryError("sql", "exactly one SELECT statement is allowed")
    published = {ds.id: ds for ds in catalog.datasets()}
    ctes: set[str] = set()
    for node in _walk(statements[0]):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            ctes |= {entry.get("key") for entry in cte_map.get("map", [])}
    used: dict[str, Dataset] = {}
    for node in _walk(statements[0]):
        kind = node.get("type")
        if node.get("class") == "FUNCTION" or kind == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if node.get("schema") or node.get("catalog") or name in _DENY_NAMES or \
                    name.startswith(_DENY_PREFIXES):
                raise QueryError("sql", f"function '{name[:40]}' is not allowed")
        if kind in {"TABLE_FUNCTION", "SHOW_REF", "COLUMN_DATA", "DELIM_GET"}:
            raise QueryError("sql", "table functions and SHOW/DESCRIBE are not allowed")
        if kind == "BASE_TABLE":
            name = node.get("table_name", "")
            if node.get("schema_name") or node.get("catalog_name"):
                raise QueryError("sql", "refer to datasets by id only (no schema names); "
                                        f"'{name[:60]}' is not published")
            if name in published:
                used[name] = published[name]
            elif name not in ctes:
                raise QueryError("sql", f"'{name[:60]}' is not a published dataset")
    return list(used.values())


def run_sql(sql: str, *, max_rows: int = SQL_MAX_ROWS, timeout_s: float = SQL_TIMEOUT_S
            ) -> dict[str, Any]:
    """Run a checked SELECT over views of the published columns, capped and timed."""
    used = check_sql(sql)
    views = ", ".join(
        f"{quote(ds.id)} AS (SELECT {_projection(list(ds.columns))} FROM {ds.table})"  # noqa: S608
        for ds in used)
    # The user text was parsed above: one SELECT over published datasets only.
    wrapped = (f"WITH {views} " if views else "") + \
        f"SELECT * FROM ({sql.strip().rstrip(';')}\n) AS q LIMIT {int(max_rows) + 1}"  # noqa: S608
    cur = warehouse.cursor()
    timer = threading.Timer(timeout_s, cur.interrupt)
    timer.start()
    try:
        res = cur.execute(wrapped)
        names = [d[0] for d in res.description]
        types = [str(d[1]) for d in res.description]
        rows = res.fetchall()
    except duckdb.InterruptException:
        raise QueryError("sql", f"query cancelled after {timeout_s:g} s") from None
    except duckdb.Error as exc:
        raise QueryError("sql", str(exc).splitlines()[0][:200]) from None
    finally:
        timer.cancel()
        cur.close()
    truncated = len(rows) > max_rows
    return {"names": names, "types": types, "rows": rows[:max_rows], "truncated": truncated}
