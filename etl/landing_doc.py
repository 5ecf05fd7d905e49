"""Render the landing contracts as Markdown (docs/landing.md is this output, kept in sync by a test)."""

from __future__ import annotations

from etl.contracts import Column, Contract
from etl.domains import DOMAINS

HEADER = """# Landing contracts

Generated from the contract declarations in `etl/domains/*/` by `ponmetro contracts`
(a test fails when this file is out of date). Every landing file is validated against
its contract before anything is loaded; the first violation stops the build with a
one-line message naming the file, the row (the header is row 1; for GeoJSON, the
feature number) and the column, and the previous warehouse stays untouched.

Accepted everywhere: UTF-8 with or without BOM (Latin-1/cp1252 as fallback), `,` or `;`
separators (detected from the header), LF or CRLF line ends, decimal commas, extra
columns (ignored). Dates are `YYYY-MM-DD` (or `DD/MM/YYYY`), months `YYYY-MM`,
timestamps ISO 8601 (converted to UTC; no offset means UTC), booleans
true/false, 1/0, si/no, yes/no. Partitioned sources (`*` in the path) may be split
into any number of files with the same header.
"""


def _rule(col: Column) -> str:
    rules = []
    if col.unique:
        rules.append("unique")
    if col.nullable:
        rules.append("may be empty")
    if not col.required:
        rules.append("optional column")
    if col.min is not None:
        rules.append(f">= {col.min:g}")
    if col.max is not None:
        rules.append(f"<= {col.max:g}")
    if col.enum:
        rules.append("one of " + ", ".join(f"`{v}`" for v in col.enum))
    if col.fk:
        verb = "must match" if col.fk_policy == "error" else "reported if no match in"
        rules.append(f"{verb} `{col.fk}`")
    return "; ".join(rules)


def _contract(c: Contract) -> str:
    lines = [f"### `{c.path}` ({c.format.upper()})", "", c.description, "",
             f"- Staging table: `staging.{c.name}`",
             f"- Source: {c.source}"]
    if c.key:
        lines.append(f"- Key: ({', '.join(c.key)}) unique")
    if c.geometry_types:
        lines.append(f"- Geometry: {', '.join(c.geometry_types)} (WGS84 lon/lat)")
    if c.optional:
        lines.append("- Optional file")
    lines += [f"- {note}" for note in c.notes]
    lines += ["", "| column | type | unit | rules | description |", "|---|---|---|---|---|"]
    for col in c.columns:
        desc = col.description.replace("|", "/")
        lines.append(f"| `{col.name}` | {col.dtype} | {col.unit or ''} | {_rule(col)} | {desc} |")
    return "\n".join(lines) + "\n"


def render() -> str:
    parts = [HEADER]
    for domain in DOMAINS:
        title = domain.__name__.rsplit(".", 1)[-1].capitalize()
        summary = (domain.__doc__ or "").strip().splitlines()[0] if domain.__doc__ else ""
        parts.append(f"## {title}\n\n{summary}\n")
        parts += [_contract(c) for c in domain.CONTRACTS]
    return "\n".join(parts)
