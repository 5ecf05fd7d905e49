"""Read a landing file and check it against its contract.

Every failure raises :class:`LandingError` naming the file, the row (the header
is row 1; for GeoJSON, the feature number) and the column, so an operator can
open the file and fix it. Real portal files use ``;``, CRLF, a UTF-8 BOM, decimal
commas and sometimes Latin-1: those variants are accepted, anything else is not.
"""

from __future__ import annotations

import csv
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


def sniff_separator(header_line: str) -> str:
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
    sep = sniff_separator(first_line.decode("utf-8", "replace"))
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
#: The SQL type each logical type is stored as in ``staging`` (and typed to by both readers).
SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "bool": "BOOLEAN",
             "date": "DATE", "month": "DATE", "datetime": "TIMESTAMP"}


def parse_frame(path: Path, contract: Contract, text: pl.DataFrame) -> pl.DataFrame:
    """Type a text frame; the rules are checked afterwards, in SQL (:func:`check_rules`).

    Returns every contract column present in the file typed (unreadable cells null),
    ``__raw_<name>``
    beside each non-text column (the cell as read, for the type rule and its message),
    ``__row`` (the row number an operator sees) and, for GeoJSON, ``geometry``.
    """
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
    first_row = _row_number(contract, 0)
    typed = frame.select(
        [pl.col(c.name) for c in present]
        + [pl.col(f"__raw_{c.name}") for c in present if c.dtype != "str"]
        + [(pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("__row")])
    if contract.format == "geojson" and "geometry" in text.columns:
        typed = typed.with_columns(text["geometry"])
    return typed


def _polars_type(col: Column) -> pl.DataType:
    return {
        "int": pl.Int64(), "float": pl.Float64(), "str": pl.String(), "bool": pl.Boolean(),
        "date": pl.Date(), "month": pl.Date(), "datetime": pl.Datetime("us"),
    }[col.dtype]


def staged_columns(contract: Contract) -> list[str]:
    """The columns of ``staging.<contract>``: the contract's, plus GeoJSON's geometry."""
    return [c.name for c in contract.columns] + (["geometry"] if contract.format == "geojson"
                                                 else [])


def parse_landing(contract: Contract, path: Path) -> pl.DataFrame:
    """Read one landing file and type it (see :func:`parse_frame`); rules not yet checked."""
    path = Path(path)
    if contract.format == "geojson":
        text = read_geojson_text(path, contract)
    else:
        text = read_csv_text(path)
    if text.height == 0:
        raise LandingError(path, "no data rows (header only)")
    return parse_frame(path, contract, text)


def read_landing(contract: Contract, path: Path) -> pl.DataFrame:
    """Read one landing file and return it typed, or raise :class:`LandingError`.

    The rules run in DuckDB, the same SQL the staging load runs (:func:`check_rules`).
    """
    frame = parse_landing(contract, path)
    with duckdb.connect() as con:
        con.register("landing", frame.to_arrow())
        check_rules(con, contract, Path(path), "landing", frame.columns, parents={}, raw=True)
    return frame.select(
        pl.col(name) if name in frame.columns
        else pl.lit(None, _polars_type(contract.column(name))).alias(name)
        for name in staged_columns(contract) if name != "geometry" or name in frame.columns)


def check_foreign_keys(
    contract: Contract,
    path: Path,
    frame: pl.DataFrame,
    known_keys: dict[str, pl.Series],
) -> list[dict[str, object]]:
    """Check the foreign keys of one typed file against keys loaded before it.

    ``known_keys`` maps ``"<contract>.<column>"`` to the values seen so far. The
    check is the staging load's own SQL rule (:func:`rules`), run here in memory.
    """
    frame = frame.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + _row_number(contract, 0)).alias("__row"))
    with duckdb.connect() as con:
        con.register("landing", frame.to_arrow())
        parents = {}
        for i, (fk, keys) in enumerate(known_keys.items()):
            con.register(f"_parent{i}", keys.to_frame("k").to_arrow())
            parents[fk] = (f"_parent{i}", "k")
        return check_rules(con, contract, Path(path), "landing", frame.columns,
                           parents=parents, raw=False, kinds=("fk",))


# --------------------------------------------------------------------- the rules
#
# Every column rule of a contract is written once, here, in SQL over typed rows. Both
# staging readers (DuckDB's for canonical CSV, the tolerant Polars reader for the rest)
# produce the same typed columns and are checked by these same expressions, so the two
# routes cannot disagree on a rule: the fast route only counts (and on any violation
# hands the file to the tolerant route), the tolerant route also locates the first
# offending row for the message. Errors are reported in the order listed: per column
# type, required, enum, min, max, unique; then the key; then the foreign keys.


def ident(name: str) -> str:
    """A quoted SQL identifier (every generated statement quotes names this way)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Rule:
    """One rule as SQL: ``where`` is true on an offending row (it may use window
    functions), ``count`` counts the offending rows in one aggregate over the table."""

    kind: str  # type, required, enum, min, max, unique, key, fk
    column: Column | None  # None for the key
    where: str
    count: str
    parent: str | None = None  # fk: the relation holding the parent keys

    @property
    def report(self) -> bool:
        """A finding to record rather than an error (``fk_policy='report'``)."""
        return self.kind == "fk" and self.column is not None \
            and self.column.fk_policy == "report"


def rules(contract: Contract, names: list[str], table: str,
          parents: dict[str, tuple[str, str]], raw: bool) -> list[Rule]:
    """The rules of ``contract`` over the present columns ``names`` of ``table``.

    ``parents`` maps a foreign key ``"<contract>.<column>"`` to (relation, column) of
    the keys loaded so far; ``raw`` adds the type rule (a cell as read but unreadable).
    """
    out: list[Rule] = []
    for col in contract.columns:
        if col.name not in names:
            continue
        v = ident(col.name)

        def per_row(kind: str, where: str, col: Column = col) -> None:
            out.append(Rule(kind, col, where, f"count(*) FILTER (WHERE {where})"))

        if raw and col.dtype != "str":
            per_row("type", f"{ident('__raw_' + col.name)} IS NOT NULL AND {v} IS NULL")
        if not col.nullable:
            per_row("required", f"{v} IS NULL")
        if col.enum is not None:
            per_row("enum", f"{v} NOT IN ({', '.join(map(_literal, col.enum))})")
        if col.min is not None:
            per_row("min", f"{v} < {float(col.min)!r}")
        if col.max is not None:
            per_row("max", f"{v} > {float(col.max)!r}")
        if col.unique:
            out.append(Rule("unique", col,
                            f"{v} IS NOT NULL AND count(*) OVER (PARTITION BY {v}) > 1",
                            f"count({v}) - count(DISTINCT {v})"))
    if contract.key:
        key = ", ".join(ident(k) for k in contract.key)
        if len(contract.key) == 1:
            # rows less distinct keys, a NULL key being one more: the same count in the
            # table's one pass (and, for a ``unique`` key column, the same count(DISTINCT))
            count = (f"count(*) - count(DISTINCT {key}) "
                     f"- CAST(count({key}) < count(*) AS BIGINT)")
        else:
            count = f"count(*) - (SELECT count(*) FROM (SELECT DISTINCT {key} FROM {table}))"
        out.append(Rule("key", None, f"count(*) OVER (PARTITION BY {key}) > 1", count))
    for col in contract.columns:
        if col.name not in names or not col.fk or col.fk not in parents:
            continue
        relation, pcol = parents[col.fk]
        # per row, not per distinct value first: probing the parent's few keys costs no
        # more than grouping the column (measured, docs/performance.md)
        where = (f"{ident(col.name)} IS NOT NULL AND {ident(col.name)} NOT IN "
                 f"(SELECT {ident(pcol)} FROM {relation} WHERE {ident(pcol)} IS NOT NULL)")
        out.append(Rule("fk", col, where, f"(SELECT count(*) FROM {table} WHERE {where})",
                        parent=relation))
    return out


def count_violations(con: duckdb.DuckDBPyConnection, table: str,
                     checks: list[Rule]) -> list[int]:
    """Offending rows per rule, in one pass over ``table``."""
    if not checks:
        return []
    return list(con.execute(f"SELECT {', '.join(r.count for r in checks)} "  # noqa: S608
                            f"FROM {table}").fetchall()[0])


def violation(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, table: str,
              rule: Rule) -> LandingError:
    """The one-line error for ``rule``, at its first offending row (``table`` has __row).

    A repeated value or key is reported where it repeats (the last offending row).
    """
    col = rule.column
    first, last = con.execute(
        f"SELECT min(__row), max(__row) FROM (SELECT __row, ({rule.where}) AS __bad "  # noqa: S608
        f"FROM {table}) WHERE __bad").fetchall()[0]
    row = last if rule.kind in ("unique", "key") else first
    if rule.kind == "key":
        values = con.execute(f"SELECT {', '.join(ident(k) for k in contract.key)} "  # noqa: S608
                             f"FROM {table} WHERE __row = ?", [row]).fetchall()[0]
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(contract.key, values, strict=True))
        return LandingError(path, f"duplicate key ({shown})", row=row,
                            column=",".join(contract.key))
    assert col is not None
    raw_sql = ident("__raw_" + col.name) if rule.kind == "type" else "NULL"
    value, raw = con.execute(f"SELECT {ident(col.name)}, {raw_sql} FROM {table} "  # noqa: S608
                             "WHERE __row = ?", [row]).fetchall()[0]
    message = {
        "type": lambda: f"{raw!r} is not {_EXPECTED[col.dtype]}",
        "required": lambda: "empty value in a required column",
        "enum": lambda: f"{value!r} is not one of {', '.join(col.enum or ())}",
        "min": lambda: f"{value} is below the minimum {col.min or 0:g}",
        "max": lambda: f"{value} is above the maximum {col.max or 0:g}",
        "unique": lambda: f"duplicate value {value!r} (first at row {first})",
        "fk": lambda: f"{value!r} has no match in {col.fk}",
    }[rule.kind]()
    return LandingError(path, message, row=row, column=col.name)


def finding(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, table: str,
            rule: Rule, rows: int) -> dict[str, object]:
    """A report-only foreign key as a data-quality finding (nothing dropped silently)."""
    assert rule.column is not None
    v = ident(rule.column.name)
    sample = con.execute(f"SELECT DISTINCT {v} AS v FROM {table} "  # noqa: S608
                         f"WHERE {rule.where} ORDER BY v LIMIT 10").fetchall()
    return {"contract": contract.name, "file": str(path), "column": rule.column.name,
            "check": f"foreign key -> {rule.column.fk}", "rows": int(rows),
            "values": ", ".join(str(v) for (v,) in sample)}


def check_rules(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, table: str,
                names: list[str], parents: dict[str, tuple[str, str]], raw: bool,
                kinds: tuple[str, ...] | None = None) -> list[dict[str, object]]:
    """Raise the first violated rule of ``table``; return the report-only findings."""
    checks = [r for r in rules(contract, names, table, parents, raw)
              if kinds is None or r.kind in kinds]
    counts = count_violations(con, table, checks)
    for rule, n in zip(checks, counts, strict=True):
        if n and not rule.report:
            raise violation(con, contract, path, table, rule)
    return [finding(con, contract, path, table, rule, n)
            for rule, n in zip(checks, counts, strict=True) if n and rule.report]
