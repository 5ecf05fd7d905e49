"""Cross-column and cross-file rules a per-column contract cannot express, written as data.

A domain lists its rules as SQL over its staged tables; :func:`enforce` runs them
after staging. An :class:`Error` stops the build at its first offending row with
the same one-line message as a contract rule (file, row, column); a
:class:`Finding` is recorded in ``meta.quality`` and the build goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from etl.contracts import Contract
from etl.validate import LandingError, ident


@dataclass(frozen=True)
class Error:
    """Refuse the file at the first row where ``where`` holds.

    ``where`` is SQL over the staged rows of ``contract`` (aliased ``t``; ``$today`` is
    the build date); ``message`` is formatted with the row's columns, and ``{value}``
    is the value of ``column``. Rows are numbered as landed, so the contract must be a
    single file.
    """

    contract: Contract
    column: str
    where: str
    message: str

    def __post_init__(self) -> None:
        if self.contract.is_partitioned:
            raise ValueError(f"{self.contract.name}: row numbers need a single landing file")


@dataclass(frozen=True)
class Finding:
    """Report the rows where ``where`` holds, listing up to ten values of ``sample``."""

    contract: Contract
    column: str
    check: str
    where: str
    sample: str


Rule = Error | Finding


def _params(sql: str, today: date) -> dict[str, object]:
    return {"today": today} if "$today" in sql else {}


def enforce(con: duckdb.DuckDBPyConnection, ctx, rules: tuple[Rule, ...]) -> None:
    """Raise the first failing :class:`Error` (in the order given); add the findings."""
    today = ctx.built_at.date() if ctx.built_at else date.today()
    for rule in rules:
        table = f"staging.{ident(rule.contract.name)}"
        file = str(ctx.landing / rule.contract.path)
        if isinstance(rule, Error):
            cur = con.execute(
                f"SELECT * FROM (SELECT row_number() OVER (ORDER BY rowid) + 1 AS __row, t.* "  # noqa: S608
                f"FROM {table} AS t) AS t WHERE {rule.where} ORDER BY __row LIMIT 1",
                _params(rule.where, today))
            names = [d[0] for d in cur.description]
            found = cur.fetchall()
            if found:
                row = dict(zip(names, found[0], strict=True))
                raise LandingError(file, rule.message.format(value=row[rule.column], **row),
                                   row=row["__row"], column=rule.column)
            continue
        count, values = con.execute(
            f"SELECT count(*), (SELECT string_agg(v, ', ' ORDER BY k) FROM "  # noqa: S608
            f"(SELECT DISTINCT CAST({ident(rule.sample)} AS VARCHAR) AS v, {ident(rule.sample)} "
            f"AS k FROM {table} AS t WHERE {rule.where} ORDER BY k LIMIT 10)) "
            f"FROM {table} AS t WHERE {rule.where}", _params(rule.where, today)).fetchall()[0]
        if count:
            ctx.findings.append({"contract": rule.contract.name, "file": file,
                                 "column": rule.column, "check": rule.check,
                                 "rows": int(count), "values": values or ""})


def summary_line(findings: list[dict[str, object]]) -> str | None:
    """One line for a build's or an ingest's output instead of one per finding.

    Findings are expected (real feeds list statuses of stations they do not describe):
    a new user must not read them as errors, yet must know where to look."""
    if not findings:
        return None
    rows = sum(int(f.get("rows") or 0) for f in findings)
    contracts = sorted({str(f["contract"]) for f in findings})
    return (f"note: {len(findings)} data-quality finding{'s' if len(findings) != 1 else ''} "
            f"({rows:,} rows; {', '.join(contracts)}) recorded in meta.quality; details: "
            f"`ponmetro quality`, or the dataset pages /data/<id>")
