"""One staging path: every landing file reaches ``staging.<contract>`` the same way.

read -> type -> check -> append. Only the first step has two routes, chosen per file:

* **fast**: a canonical CSV partition (plain UTF-8, no quotes, ISO values), the bulk
  of every build, is read and typed by DuckDB's parallel reader straight into
  ``staging.<contract>`` inside a transaction; a cell it does not recognise as
  canonical, or any broken rule, rolls the append back (nothing is loaded);
* **tolerant**: anything else (a portal variant, a broken rule, GeoJSON) is read and
  typed by :func:`etl.validate.parse_landing`, which accepts the variants.

Both routes run the same SQL rules (:func:`etl.validate.rules`). The fast route only
counts violations and, on any error, leaves the file to the tolerant route, which names
the first offending row; so the fast route can only ever accept what the tolerant one
accepts. ``tests/etl/test_ingest_fastpath.py`` checks that the two type a cell alike.

Typing. Timestamps and booleans are typed by the reader itself, because every spelling
its parser accepts the tolerant route accepts too, with the same value: for
``%Y-%m-%dT%H:%M:%SZ`` that is surrounding ASCII blanks (trimmed by both), unpadded
fields (``2023-1-1T1:0:0Z``), short years (``23-``) and year 0; for booleans
true/false/t/f/yes/no/y/n/1/0 in any case. Its one extra, the words ``epoch`` and
``[+-]infinity`` as timestamps, is caught after reading (:data:`_EPOCH`). What it
refuses (24:00:00, a leap second, a fraction, an offset, Unicode blanks, ``si``...)
only sends the file to the tolerant route. Its number and date parsers are laxer than
the contract (``5.5`` is read as 6, ``1_000``, ``0x10``, ``1e3``, ``epoch``,
``2019/03/01``), so those columns are read as text and converted only when spelled
canonically (:data:`_CANONICAL`).

Keys. The key rule is checked per file, among the appended rows only, as the tolerant
route always has. For the partitioned telemetry contracts the key holds the time column
and each monthly file holds that month's observations, so a key cannot repeat across
files as long as each row sits in its own month's file; that placement is the landing
writer's (one file per month) and is not re-checked here.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.contracts import Column, Contract
from etl.validate import (
    SQL_TYPES,
    check_rules,
    count_violations,
    finding,
    ident,
    parse_landing,
    rules,
    sniff_separator,
    staged_columns,
)


@dataclass
class Staged:
    """One landing file appended to staging."""

    rows: int
    findings: list[dict[str, object]]
    fast: bool  # took the DuckDB route


def stage_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path,
               scan: FileScan | None = None) -> Staged:
    """Validate ``path`` against ``contract`` and append it to ``staging.<contract>``.

    Raises :class:`etl.validate.LandingError` (nothing appended) on the first violation.
    """
    scan = scan or scan_file(path)
    loaded = load_csv_fast(con, contract, path, scan)
    if loaded is not None:
        return loaded
    return stage_tolerant(con, contract, path)


def stage_tolerant(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path) -> Staged:
    """The tolerant route: Polars reads and types, the shared SQL rules check."""
    frame = parse_landing(contract, path)
    con.register("_landing", frame.to_arrow())
    try:
        findings = check_rules(con, contract, Path(path), "_landing", frame.columns,
                               staging_parents(con, contract), raw=True)
        append_staging(con, contract, "_landing", frame.columns)
    finally:
        con.unregister("_landing")
    return Staged(frame.height, findings, fast=False)


def staging_parents(con: duckdb.DuckDBPyConnection,
                    contract: Contract) -> dict[str, tuple[str, str]]:
    """Foreign keys of ``contract`` whose parent is already staged: fk -> (table, column)."""
    staged = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'staging'").fetchall()}
    parents = {}
    for col in contract.columns:
        if col.fk and col.fk.split(".", 1)[0] in staged:
            table, column = col.fk.split(".", 1)
            parents[col.fk] = (f"staging.{ident(table)}", column)
    return parents


def create_staging(con: duckdb.DuckDBPyConnection, contract: Contract) -> str:
    """``staging.<contract>``, created on first use with the declared SQL types (so both
    routes give one schema); returns its quoted name."""
    table = f"staging.{ident(contract.name)}"
    types = _staged_types(contract)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                f"({', '.join(f'{ident(n)} {types[n]}' for n in staged_columns(contract))})")
    return table


def _staged_types(contract: Contract) -> dict[str, str]:
    return {c.name: SQL_TYPES[c.dtype] for c in contract.columns} | {"geometry": "VARCHAR"}


def append_staging(con: duckdb.DuckDBPyConnection, contract: Contract, source: str,
                   present: list[str] | None = None) -> None:
    """Append the checked rows of ``source`` to ``staging.<contract>``; columns not in
    ``present`` (optional columns absent from the file) are stored empty."""
    table, types = create_staging(con, contract), _staged_types(contract)
    values = ", ".join(ident(n) if present is None or n in present
                       else f"CAST(NULL AS {types[n]})" for n in staged_columns(contract))
    con.execute(f"INSERT INTO {table} SELECT {values} FROM {source}")  # noqa: S608


# --------------------------------------------------------------------- fast route

_SCAN_CHUNK = 1 << 20
#: Characters ``str.strip_chars()`` (Rust's White_Space) trims from text cells.
_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")
#: The one timestamp spelling the reader parses (its laxities: see the module docstring).
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: The reader also takes the words epoch and [+-]infinity; the instant 1970-01-01 00:00
#: (rare in telemetry) therefore leaves its file to the tolerant route.
_EPOCH = "TIMESTAMP '1970-01-01 00:00:00'"
#: Canonical spellings the fast route converts; any other non-empty cell sends the file
#: to the tolerant route. Plain digits convert to the same value in both engines.
_CANONICAL = {
    "int": r"-?[0-9]{1,18}",
    "float": r"-?[0-9]{1,300}(\.[0-9]{1,300})?",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "month": r"[0-9]{4}-[0-9]{2}",
}


@dataclass
class FileScan:
    """What one streaming pass over a file learns: its digest and its byte structure."""

    sha256: str
    size: int
    first_line: bytes | None  # None when the header is longer than the first chunk
    quotes: bool
    carriage_returns: bool
    nul_bytes: bool
    blanks: bool  # an ASCII space, tab, vertical tab or form feed anywhere
    lines: int  # records, header included; a blank one is counted too
    utf8: bool
    ascii: bool


def scan_file(path: Path) -> FileScan:
    """Hash ``path`` in 1 MiB chunks while looking for what the fast route must rule out.

    Only byte searches (memchr speed) and one newline count run beside the digest; the
    reader itself rejects records of the wrong width. Blank lines, which DuckDB skips
    where Polars reads a row of nulls, show as more lines than the reader's rows + 1
    (a search for two newlines costs more than the digest).
    """
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    size, first_line = 0, None
    quotes = crs = nuls = blanks = False
    utf8, ascii_only, last, newlines = True, True, b"", 0
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(_SCAN_CHUNK), b""):
            if not size:
                end = chunk.find(b"\n")
                first_line = chunk[:end] if end >= 0 else None  # header-only or too long
            digest.update(chunk)
            size += len(chunk)
            quotes = quotes or b'"' in chunk
            crs = crs or b"\r" in chunk
            nuls = nuls or b"\x00" in chunk
            blanks = blanks or any(b in chunk for b in (b" ", b"\t", b"\x0b", b"\x0c"))
            newlines += chunk.count(b"\n")
            if utf8 and not chunk.isascii():
                ascii_only = False
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            last = chunk[-1:]
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    lines = newlines + (last not in (b"", b"\n"))  # a last line without its newline
    return FileScan(digest.hexdigest(), size, first_line, quotes, crs, nuls, blanks, lines,
                    utf8, ascii_only and utf8)


class _GiveUp(Exception):
    """The fast route cannot vouch for this file; the tolerant route decides."""


def _fast_header(first_line: bytes | None) -> tuple[str, list[str]] | None:
    """(separator, column names) of a plain header, or None for anything unusual."""
    if not first_line or first_line.startswith(b"\xef\xbb\xbf"):
        return None
    if any(b in first_line for b in (b'"', b"\r", b"\x00")):
        return None
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    sep = sniff_separator(text)
    names = text.split(sep)
    if any(not n or n != n.strip() for n in names) or len(set(names)) != len(names):
        return None
    return sep, names


def _typed_sql(col: Column, raw: str, trimmed: bool) -> str:
    """SQL turning the raw text cell into the typed value; non-canonical text aborts.
    ``trimmed``: the file holds no character the tolerant route trims (ASCII, no blanks)."""
    if col.dtype == "str" and trimmed:
        return raw
    if col.dtype == "str":  # Unicode trimming is slow: skip it when both ends are visible ASCII
        return (f"CASE WHEN ascii({raw}) BETWEEN 33 AND 126 "
                f"AND ascii(right({raw}, 1)) BETWEEN 33 AND 126 THEN {raw} "
                f"ELSE NULLIF(trim({raw}, '{_WHITESPACE}'), '') END")
    if col.dtype == "datetime":  # typed by the reader, which also reads epoch/infinity
        return (f"CASE WHEN {raw} IS NULL OR (isfinite({raw}) AND {raw} <> {_EPOCH}) "
                f"THEN {raw} ELSE error('fast path: special timestamp') END")
    if col.dtype == "bool":  # typed by the reader
        return raw
    cast = f"({raw} || '-01')" if col.dtype == "month" else raw
    value = (f"CASE WHEN regexp_full_match({raw}, '{_CANONICAL[col.dtype]}') "
             f"THEN TRY_CAST({cast} AS {SQL_TYPES[col.dtype]}) END")
    return (f"CASE WHEN {raw} IS NULL THEN NULL "
            f"ELSE coalesce({value}, error('fast path: non-canonical cell')) END")


def load_csv_fast(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path,
                  scan: FileScan) -> Staged | None:
    """Stage a canonical CSV file through DuckDB, or return None (nothing loaded) when
    the tolerant route must judge it.

    The file is appended straight to ``staging.<contract>`` inside a transaction, checked
    there and committed; a rule error, a cell the route gives up on or any DuckDB error
    rolls the append back (and the table with it, when this file created it).
    Needs a connection in autocommit mode (the build's and the ingest's are).
    """
    path = Path(path)
    if contract.format != "csv":
        return None
    header = _fast_header(scan.first_line)
    if header is None or not scan.utf8 or scan.quotes or scan.carriage_returns \
            or scan.nul_bytes:
        return None
    sep, names = header
    if any(c.required and c.name not in names for c in contract.columns):
        return None
    con.execute("BEGIN TRANSACTION")
    try:
        staged = _load_checked(con, contract, path, sep, names, scan.lines,
                               trimmed=scan.ascii and not scan.blanks)
    except (_GiveUp, duckdb.Error):
        con.execute("ROLLBACK")
        return None
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return staged


def _read_type(col: Column | None) -> str:
    """The type the reader itself gives a column: only where its parser accepts a subset
    of the tolerant route's spellings, each to the same value (see the module docstring)."""
    return {"datetime": "TIMESTAMP", "bool": "BOOLEAN"}.get(col.dtype, "VARCHAR") \
        if col is not None else "VARCHAR"


def _load_checked(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, sep: str,
                  names: list[str], lines: int, trimmed: bool) -> Staged:
    """Append ``path`` to staging and check the appended rows (inside the caller's
    transaction). The rows appended are those at ``rowid >= before``: staging tables are
    only ever appended to, and a rolled-back append gives its row ids back."""
    declared = {c.name: c for c in contract.columns}
    columns = "{" + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': "
                              f"'{_read_type(declared.get(n))}'" for n in names) + "}"
    select = ", ".join(
        (_typed_sql(c, ident(c.name), trimmed) if c.name in names
         else f"CAST(NULL AS {SQL_TYPES[c.dtype]})") for c in contract.columns)
    table = create_staging(con, contract)
    before = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: S608
    rows = con.execute(
        f"INSERT INTO {table} ({', '.join(ident(c.name) for c in contract.columns)}) "
        f"SELECT {select} FROM read_csv(?, columns={columns}, "
        "header=true, delim=?, quote='\"', escape='\"', new_line='\\n', auto_detect=false, "
        "strict_mode=true, null_padding=false, ignore_errors=false, encoding='utf-8', "
        "skip=0, comment='', allow_quoted_nulls=true, nullstr='', parallel=true, "
        f"timestampformat='{_TIMESTAMP_FORMAT}')",
        [str(path), sep]).fetchall()[0][0]
    if rows == 0 or rows + 1 != lines:  # header only, or blank lines the reader skipped
        raise _GiveUp
    appended = f"(SELECT * FROM {table} WHERE rowid >= {int(before)})"
    if con.execute(f"SELECT count(*) FROM {appended}").fetchall()[0][0] != rows:  # noqa: S608
        raise _GiveUp  # row ids not dense after all: never check the wrong rows
    checks = rules(contract, names, appended, staging_parents(con, contract), raw=False)
    counts = count_violations(con, appended, checks)
    if any(n and not rule.report for rule, n in zip(checks, counts, strict=True)):
        raise _GiveUp
    findings = [finding(con, contract, path, appended, rule, n)
                for rule, n in zip(checks, counts, strict=True) if n and rule.report]
    return Staged(rows, findings, fast=True)
