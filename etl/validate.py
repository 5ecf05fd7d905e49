"""Read a landing file and check it against its contract.

Every failure raises :class:`LandingError` naming the file, the row (the header
is row 1; for GeoJSON, the feature number) and the column, so an operator can
open the file and fix it. Real portal files use ``;``, CRLF, a UTF-8 BOM, decimal
commas and sometimes Latin-1: those variants are accepted, anything else is not.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from etl.contracts import Column, Contract

_TRUE = ("true", "1", "si", "sì", "yes", "y", "t", "vero")
_FALSE = ("false", "0", "no", "n", "f", "falso")
_SNIFF_BYTES = 64 * 1024


class LandingError(Exception):
    """A landing file breaks its contract; the message is one line for operators."""

    def __init__(self, file: str | Path, message: str, row: int | None = None,
                 column: str | None = None):
        self.file, self.row, self.column, self.detail = str(file), row, column, message
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


# --------------------------------------------------------------------------- text


def _decode_probe(path: Path, head: bytes) -> str:
    """Return the encoding to read ``path`` with, or raise for unusable bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise LandingError(path, "encoding: UTF-16 or binary content; save the file as UTF-8")
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the probe window is not an error.
        if exc.start >= len(head) - 3:
            return "utf-8"
    try:
        head.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise LandingError(path, "encoding: neither UTF-8 nor Latin-1 text") from exc
    return "cp1252"


def _sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


def _ragged_row(path: Path, text: str, sep: str, width: int) -> LandingError | None:
    """The first record whose field count differs from the header's, as an error."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        for record in reader:
            if record and len(record) != width:
                return LandingError(path, f"expected {width} fields, found {len(record)} "
                                    "(truncated row or unquoted separator?)", row=reader.line_num)
    except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
        return LandingError(path, f"unreadable CSV record: {exc}", row=reader.line_num)
    return None


def read_csv_text(path: Path) -> pl.DataFrame:
    """Read a CSV file with every cell as text, whatever its encoding and separator."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf").strip(b" \t\r\n"):
        raise LandingError(path, "file is empty")
    encoding = _decode_probe(path, raw[:_SNIFF_BYTES])
    text_bytes = raw
    if encoding == "utf-8":
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A Latin-1 file whose first accented letter lies past the probe window.
            try:
                raw.decode("cp1252")
            except UnicodeDecodeError:
                row = raw[: exc.start].count(b"\n") + 1
                raise LandingError(path, "encoding: invalid UTF-8 byte", row=row) from exc
            encoding = "cp1252"
    if encoding == "cp1252":
        text_bytes = raw.decode("cp1252").encode("utf-8")
    if text_bytes.startswith(b"\xef\xbb\xbf"):
        text_bytes = text_bytes[3:]
    first_line = text_bytes[: text_bytes.find(b"\n") if b"\n" in text_bytes else None]
    sep = _sniff_separator(first_line.decode("utf-8", "replace"))
    header = [h.strip().lstrip("\ufeff").strip() for h in
              next(csv.reader([first_line.decode("utf-8", "replace").rstrip("\r")],
                              delimiter=sep), [])]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:  # Polars would rename the copy and silently drop its values
        raise LandingError(path, f"duplicate column names in header: {', '.join(repeated)}",
                           row=1)
    try:
        frame = pl.read_csv(io.BytesIO(text_bytes), separator=sep, infer_schema=False,
                            quote_char='"')
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError,
            ValueError) as exc:
        width = len(next(csv.reader([first_line.decode("utf-8", "replace")], delimiter=sep)))
        error = _ragged_row(path, text_bytes.decode("utf-8", "replace"), sep, width)
        raise error or LandingError(path, "malformed CSV (unbalanced quotes?)") from exc
    # Polars pads short rows with nulls; a separator count exposes them cheaply, and the
    # slow exact pass runs only when the count is off (or separators sit inside quotes).
    if text_bytes.count(sep.encode()) != (frame.width - 1) * (frame.height + 1):
        error = _ragged_row(path, text_bytes.decode("utf-8", "replace"), sep, frame.width)
        if error:
            raise error
    frame = frame.rename({c: c.strip().lstrip("\ufeff").strip() for c in frame.columns})
    if len(set(frame.columns)) != len(frame.columns):
        raise LandingError(path, "duplicate column names in header", row=1)
    return frame


def read_geojson_text(path: Path, contract: Contract) -> pl.DataFrame:
    """Flatten a GeoJSON FeatureCollection: properties as text plus ``geometry``."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise LandingError(path, "file is empty")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LandingError(path, "encoding: GeoJSON must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise LandingError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                           f"{exc.msg}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise LandingError(path, "GeoJSON: expected a FeatureCollection")
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "")
    if crs and not re.search(r"(EPSG:+4326|CRS84)$", crs):
        raise LandingError(path, f"GeoJSON: coordinates must be WGS84 (EPSG:4326 / CRS84), "
                           f"found {crs!r}")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise LandingError(path, "GeoJSON: no features")
    rows: list[dict[str, str | None]] = []
    for number, feature in enumerate(features, start=1):
        geometry = (feature or {}).get("geometry") if isinstance(feature, dict) else None
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if contract.geometry_types and gtype not in contract.geometry_types:
            raise LandingError(path, f"geometry type {gtype!r} is not one of "
                               f"{', '.join(contract.geometry_types)}", row=number,
                               column="geometry")
        if not isinstance(geometry.get("coordinates"), list) or not geometry["coordinates"]:
            raise LandingError(path, "geometry has no coordinates", row=number,
                               column="geometry")
        props = feature.get("properties") or {}
        row = {k: (None if v is None else str(v)) for k, v in props.items()}
        row["geometry"] = json.dumps(geometry, separators=(",", ":"))
        rows.append(row)
    names = list(dict.fromkeys(k for r in rows for k in r))
    return pl.DataFrame([{n: r.get(n) for n in names} for r in rows],
                        schema={n: pl.String for n in names})


# ------------------------------------------------------------------------ casting


def _row_number(contract: Contract, index: int) -> int:
    return index + 1 if contract.format == "geojson" else index + 2


def _clean(name: str) -> pl.Expr:
    """Trimmed text with empty cells as null."""
    s = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _parse(s: pl.Expr, col: Column, thorough: bool = False) -> pl.Expr:
    """Text -> typed value (null where unparseable). ``thorough`` accepts rarer spellings."""
    if col.dtype == "str":
        return s
    if col.dtype == "int":
        return (s.str.replace(r"\.0+$", "") if thorough else s).cast(pl.Int64, strict=False)
    if col.dtype == "float":
        if thorough:  # decimal comma, with '.' as thousands separator (1.234,5)
            s = pl.when(s.str.contains(",")).then(
                s.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
            ).otherwise(s)
        return s.cast(pl.Float64, strict=False)
    if col.dtype == "bool":
        low = s.str.to_lowercase()
        return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False) \
            .otherwise(None)
    if col.dtype == "date":
        iso = s.str.to_date("%Y-%m-%d", strict=False)
        return iso.fill_null(s.str.to_date("%d/%m/%Y", strict=False)) if thorough else iso
    if col.dtype == "month":
        return (s + "-01").str.to_date("%Y-%m-%d", strict=False)
    if col.dtype == "datetime":
        if not thorough:  # the canonical landing form
            return s.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False, time_unit="us")
        norm = (s.str.replace("T", " ", literal=True).str.replace(r"Z$", "+00:00")
                .str.replace(r"([+-]\d\d)(\d\d)$", "$1:$2"))
        norm = pl.when(norm.str.contains(r"[+-]\d\d:\d\d$")).then(norm) \
            .otherwise(norm + "+00:00")
        norm = norm.str.replace(r"^(\d{4}-\d\d-\d\d \d\d:\d\d)([+-])", "$1:00$2")
        return norm.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", strict=False, time_unit="us",
                                    time_zone="UTC").dt.replace_time_zone(None)
    raise ValueError(f"unknown dtype {col.dtype}")


_EXPECTED = {
    "int": "a whole number", "float": "a number", "bool": "true/false",
    "date": "a date YYYY-MM-DD", "month": "a month YYYY-MM",
    "datetime": "a timestamp YYYY-MM-DDTHH:MM:SS[Z]", "str": "text",
}


def _checks(col: Column) -> list[tuple[str, pl.Expr]]:
    """(rule, expression true on offending rows) in the order errors are reported."""
    raw, v = pl.col(f"__raw_{col.name}"), pl.col(col.name)
    rules = [("type", raw.is_not_null() & v.is_null())]
    if not col.nullable:
        rules.append(("required", v.is_null()))
    if col.enum is not None:
        rules.append(("enum", v.is_not_null() & ~v.is_in(list(col.enum))))
    if col.min is not None:
        rules.append(("min", v.is_not_null() & (v < col.min)))
    if col.max is not None:
        rules.append(("max", v.is_not_null() & (v > col.max)))
    if col.unique:
        rules.append(("unique", v.is_not_null() & v.is_duplicated()))
    return rules


def _violation(path: Path, contract: Contract, col: Column, rule: str, frame: pl.DataFrame,
               mask: pl.Series) -> LandingError:
    rows = mask.arg_true()
    first = int(rows[0] if rule != "unique" else rows[-1])
    row, value = _row_number(contract, first), frame[col.name][first]
    raw = frame[f"__raw_{col.name}"][first]
    message = {
        "type": f"{raw!r} is not {_EXPECTED[col.dtype]}",
        "required": "empty value in a required column",
        "enum": f"{value!r} is not one of {', '.join(col.enum or ())}",
        "min": f"{value} is below the minimum {col.min or 0:g}",
        "max": f"{value} is above the maximum {col.max or 0:g}",
        "unique": f"duplicate value {value!r} (first at row {_row_number(contract, int(rows[0]))})",
    }[rule]
    return LandingError(path, message, row=row, column=col.name)


def cast_frame(path: Path, contract: Contract, text: pl.DataFrame) -> pl.DataFrame:
    """Turn a text frame into typed columns, enforcing every column rule in one parallel pass."""
    missing = [c.name for c in contract.columns if c.required and c.name not in text.columns]
    if missing:
        raise LandingError(path, f"missing column(s) {', '.join(missing)} "
                           f"(found: {', '.join(text.columns) or 'none'})", row=1)
    present = [c for c in contract.columns if c.name in text.columns]
    # Fast pass: cells as the reader gave them (empty cells are already null).
    frame = text.lazy().select(
        [(_clean(c.name) if c.dtype == "str" else pl.col(c.name)).alias(f"__raw_{c.name}")
         for c in present]
    ).with_columns([_parse(pl.col(f"__raw_{c.name}"), c).alias(c.name) for c in present]
                   ).collect()
    # Columns with unreadable cells get a second, tolerant pass (trimmed, other spellings).
    failed = frame.select([(pl.col(f"__raw_{c.name}").is_not_null() & pl.col(c.name).is_null())
                           .any().alias(c.name) for c in present if c.dtype != "str"])
    retry = [c for c in present if c.dtype != "str" and failed[c.name][0]]
    if retry:
        frame = frame.with_columns([_clean(f"__raw_{c.name}").alias(f"__raw_{c.name}")
                                    for c in retry])
        frame = frame.with_columns([_parse(pl.col(f"__raw_{c.name}"), c, thorough=True)
                                    .alias(c.name) for c in retry])
    rules = [(c, rule, expr) for c in present for rule, expr in _checks(c)]
    flags = frame.select([expr.any().alias(f"{i}") for i, (_, _, expr) in enumerate(rules)])
    for i, (col, rule, expr) in enumerate(rules):
        if flags[str(i)][0]:
            raise _violation(path, contract, col, rule, frame, frame.select(expr).to_series())
    typed = frame.select(
        [pl.col(c.name) if c in present else pl.lit(None, _polars_type(c)).alias(c.name)
         for c in contract.columns])
    if contract.format == "geojson" and "geometry" in text.columns:
        typed = typed.with_columns(text["geometry"])
    if contract.key:
        dup = typed.select(pl.struct(contract.key).is_duplicated()).to_series()
        if dup.any():
            last = int(dup.arg_true()[-1])
            values = ", ".join(f"{k}={typed[k][last]!r}" for k in contract.key)
            raise LandingError(path, f"duplicate key ({values})",
                               row=_row_number(contract, last), column=",".join(contract.key))
    return typed


def _polars_type(col: Column) -> pl.DataType:
    return {
        "int": pl.Int64(), "float": pl.Float64(), "str": pl.String(), "bool": pl.Boolean(),
        "date": pl.Date(), "month": pl.Date(), "datetime": pl.Datetime("us"),
    }[col.dtype]


def read_landing(contract: Contract, path: Path) -> pl.DataFrame:
    """Read one landing file and return it typed, or raise :class:`LandingError`."""
    path = Path(path)
    if contract.format == "geojson":
        text = read_geojson_text(path, contract)
    else:
        text = read_csv_text(path)
    if text.height == 0:
        raise LandingError(path, "no data rows (header only)")
    return cast_frame(path, contract, text)


def check_foreign_keys(
    contract: Contract,
    path: Path,
    frame: pl.DataFrame,
    known_keys: dict[str, pl.Series],
) -> list[dict[str, object]]:
    """Check the foreign keys of one file against keys loaded before it.

    ``known_keys`` maps ``"<contract>.<column>"`` to the values seen so far.
    ``error`` keys raise at the first orphan row; ``report`` keys (live telemetry,
    where an operator feed can name a station before describing it) come back as
    data-quality findings, so nothing is dropped silently.
    """
    findings: list[dict[str, object]] = []
    for col in contract.columns:
        if not col.fk or col.fk not in known_keys:
            continue
        values = frame[col.name]
        orphan = values.is_not_null() & ~values.is_in(known_keys[col.fk].implode())
        idx = orphan.arg_true()
        if idx.is_empty():
            continue
        if col.fk_policy == "error":
            first = int(idx[0])
            raise LandingError(path, f"{values[first]!r} has no match in {col.fk}",
                               row=_row_number(contract, first), column=col.name)
        sample = values.filter(orphan).unique().sort().head(10).to_list()
        findings.append({
            "contract": contract.name, "file": str(path), "column": col.name,
            "check": f"foreign key -> {col.fk}", "rows": int(idx.len()),
            "values": ", ".join(map(str, sample)),
        })
    return findings


# --------------------------------------------------------------------- fast path
#
# Good canonical CSV partitions (plain UTF-8, no quotes, ISO values) are the bulk
# of every build: DuckDB's parallel reader loads them and one aggregate query
# counts every rule violation. Anything the fast path is not sure of (a variant,
# a broken rule, a reader error) makes it give up; the caller then runs the
# Polars path above, which accepts the variant or raises the precise error. So the
# fast path may only ever accept a file the Polars path accepts, with equal values.

_SCAN_CHUNK = 1 << 20
#: Characters ``str.strip_chars()`` (Rust's White_Space) trims from text cells.
_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")
_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "bool": "BOOLEAN",
              "date": "DATE", "month": "DATE", "datetime": "TIMESTAMP"}
#: Canonical spellings the fast path converts; any other non-empty cell sends the file
#: to the Polars path. Plain digits convert to the same value in both engines.
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
    blank_lines: bool  # DuckDB skips blank lines where Polars reads a row of nulls
    utf8: bool


def scan_file(path: Path) -> FileScan:
    """Hash ``path`` in 1 MiB chunks while looking for what the fast path must rule out.

    Only byte searches (memchr speed) run beside the digest: counting is slower than
    hashing, and the reader itself rejects records of the wrong width.
    """
    digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")()
    size, first_line = 0, None
    quotes = crs = nuls = blank = False
    utf8, last = True, b"\n"  # a newline "before" the file makes a leading one blank
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
            blank = blank or b"\n\n" in chunk or (last == b"\n" and chunk[:1] == b"\n")
            if utf8 and not chunk.isascii():
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
    return FileScan(digest.hexdigest(), size, first_line, quotes, crs, nuls, blank, utf8)


@dataclass
class FastLoad:
    """A file the fast path loaded into ``staging``: its row count and FK findings."""

    rows: int
    findings: list[dict[str, object]]


class _GiveUp(Exception):
    """The fast path cannot vouch for this file; the Polars path decides."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    sep = _sniff_separator(text)
    names = text.split(sep)
    if any(not n or n != n.strip() for n in names) or len(set(names)) != len(names):
        return None
    return sep, names


def _canonical_sql(col: Column, raw: str) -> str:
    """True where the cell is spelled canonically. Timestamps, the widest column of
    telemetry, avoid the regex: a fixed LIKE shape and a leading digit leave
    strptime (which rejects signs, inner spaces and out-of-range fields) only
    digits to read; its one laxity, a leading space, is what the digit test bars."""
    if col.dtype == "datetime":
        return f"({raw} LIKE '____-__-__T__:__:__Z' AND {raw} >= '0' AND {raw} < ':')"
    return f"regexp_full_match({raw}, '{_CANONICAL[col.dtype]}')"


def _typed_sql(col: Column, raw: str) -> str:
    """SQL turning the raw text cell into the typed value; non-canonical text aborts."""
    if col.dtype == "str":  # Unicode trimming is slow: skip it when both ends are visible ASCII
        return (f"CASE WHEN ascii({raw}) BETWEEN 33 AND 126 "
                f"AND ascii(right({raw}, 1)) BETWEEN 33 AND 126 THEN {raw} "
                f"ELSE NULLIF(trim({raw}, '{_WHITESPACE}'), '') END")
    if col.dtype == "bool":
        value = f"CASE {raw} WHEN 'true' THEN true WHEN 'false' THEN false END"
    else:
        cast = f"({raw} || '-01')" if col.dtype == "month" else raw
        if col.dtype == "datetime":
            convert = f"TRY_STRPTIME({raw}, '%Y-%m-%dT%H:%M:%SZ')"
        else:
            convert = f"TRY_CAST({cast} AS {_SQL_TYPES[col.dtype]})"
        value = f"CASE WHEN {_canonical_sql(col, raw)} THEN {convert} END"
    return (f"CASE WHEN {raw} IS NULL THEN NULL "
            f"ELSE coalesce({value}, error('fast path: non-canonical cell')) END")


def _fk_parent(con, fk: str) -> tuple[str, str] | None:
    table, column = fk.split(".", 1)
    exists = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_schema = 'staging' AND table_name = ?",
                         [table]).fetchall()[0][0]
    return (table, column) if exists else None


def parent_keys(con, contract: Contract) -> dict[str, pl.Series]:
    """Keys already in ``staging`` that this contract's foreign keys point at."""
    known: dict[str, pl.Series] = {}
    for col in contract.columns:
        parent = _fk_parent(con, col.fk) if col.fk else None
        if parent:
            known[col.fk] = con.sql(f"SELECT DISTINCT {_ident(parent[1])} AS k "
                                    f"FROM staging.{_ident(parent[0])}").pl()["k"]
    return known


def load_csv_fast(con, contract: Contract, path: Path, scan: FileScan) -> FastLoad | None:
    """Load a canonical CSV file into ``staging.<contract>``, or return None (nothing
    loaded) when the Polars path must judge it."""
    path = Path(path)
    if contract.format != "csv":
        return None
    header = _fast_header(scan.first_line)
    if header is None or not scan.utf8 or scan.quotes or scan.carriage_returns \
            or scan.nul_bytes or scan.blank_lines:
        return None
    sep, names = header
    if any(c.required and c.name not in names for c in contract.columns):
        return None
    con.execute("DROP TABLE IF EXISTS temp._fast")
    try:
        return _load_checked(con, contract, path, sep, names)
    except (_GiveUp, duckdb.Error):
        return None
    finally:
        con.execute("DROP TABLE IF EXISTS temp._fast")


def _load_checked(con, contract: Contract, path: Path, sep: str,
                  names: list[str]) -> FastLoad:
    columns = "{" + ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'"
                              for n in names) + "}"
    select = ", ".join(
        (_typed_sql(c, _ident(c.name)) if c.name in names
         else f"CAST(NULL AS {_SQL_TYPES[c.dtype]})") + f" AS {_ident(c.name)}"
        for c in contract.columns)
    con.execute(
        f"CREATE TEMP TABLE _fast AS SELECT {select} FROM read_csv(?, columns={columns}, "
        "header=true, delim=?, quote='\"', escape='\"', new_line='\\n', auto_detect=false, "
        "strict_mode=true, null_padding=false, ignore_errors=false, encoding='utf-8', "
        "skip=0, comment='', allow_quoted_nulls=true, nullstr='', parallel=true)",
        [str(path), sep])
    rows = con.execute("SELECT count(*) FROM temp._fast").fetchall()[0][0]
    if rows == 0:
        raise _GiveUp
    checks, reports = _rule_sql(con, contract, names)
    counts = con.execute(f"SELECT {', '.join(sql for sql, _ in checks)} "
                         "FROM temp._fast").fetchall()[0]
    if any(n for n, (_, report) in zip(counts, checks, strict=True) if not report):
        raise _GiveUp
    findings = []
    for n, (col, table, pcol) in zip((n for n, (_, r) in zip(counts, checks, strict=True)
                                      if r), reports, strict=True):
        if not n:
            continue
        sample = con.execute(
            f"SELECT DISTINCT {_ident(col.name)} AS v FROM temp._fast "
            f"WHERE {_orphan_sql(col, table, pcol)} ORDER BY v LIMIT 10").fetchall()
        findings.append({
            "contract": contract.name, "file": str(path), "column": col.name,
            "check": f"foreign key -> {col.fk}", "rows": int(n),
            "values": ", ".join(str(v) for (v,) in sample),
        })
    _append_staging(con, contract)
    return FastLoad(rows, findings)


def _orphan_sql(col: Column, table: str, pcol: str) -> str:
    return (f"{_ident(col.name)} IS NOT NULL AND {_ident(col.name)} NOT IN "
            f"(SELECT {_ident(pcol)} FROM staging.{_ident(table)} "
            f"WHERE {_ident(pcol)} IS NOT NULL)")


def _rule_sql(con, contract: Contract, names: list[str]
              ) -> tuple[list[tuple[str, bool]], list[tuple[Column, str, str]]]:
    """(count expression, is a report-only finding) per rule; report FK columns."""
    checks: list[tuple[str, bool]] = []
    reports: list[tuple[Column, str, str]] = []
    for col in contract.columns:
        if col.name not in names:
            continue
        v = _ident(col.name)
        if not col.nullable:
            checks.append((f"count(*) FILTER (WHERE {v} IS NULL)", False))
        if col.enum is not None:
            allowed = ", ".join("'" + e.replace("'", "''") + "'" for e in col.enum)
            checks.append((f"count(*) FILTER (WHERE {v} NOT IN ({allowed}))", False))
        if col.min is not None:
            checks.append((f"count(*) FILTER (WHERE {v} < {float(col.min)!r})", False))
        if col.max is not None:
            checks.append((f"count(*) FILTER (WHERE {v} > {float(col.max)!r})", False))
        if col.unique:
            checks.append((f"count({v}) - count(DISTINCT {v})", False))
        parent = _fk_parent(con, col.fk) if col.fk else None
        if parent:
            orphans = (f"(SELECT count(*) FROM temp._fast "
                       f"WHERE {_orphan_sql(col, *parent)})")
            checks.append((orphans, col.fk_policy == "report"))
            if col.fk_policy == "report":
                reports.append((col, *parent))
    if contract.key:
        key = ", ".join(_ident(k) for k in contract.key)
        checks.append((f"count(*) - (SELECT count(*) FROM (SELECT DISTINCT {key} "
                       "FROM temp._fast))", False))
    return checks, reports


def _append_staging(con, contract: Contract) -> None:
    table = f"staging.{_ident(contract.name)}"
    columns = ", ".join(f"{_ident(c.name)} {_SQL_TYPES[c.dtype]}" for c in contract.columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    con.execute(f"INSERT INTO {table} SELECT * FROM temp._fast")
