"""OpenCoesione project exports (CSV or Parquet) into the programme landing files.

OpenCoesione republishes, every two months, the monitoring data of every cohesion
project: CSV with ';', every field quoted, decimal commas, ``AAAAMMGG`` dates and
``:::``-joined lists, or the same columns as Parquet. The importer keeps the projects
of one programme (default 2014IT16M2OP004, PON Città Metropolitane) in one comune
(default 003015146, Milano), matches them to the operational-plan project codes (by
CUP, else by the code inside COD_LOCALE_PROGETTO) and refreshes what OpenCoesione is
authoritative for: CUP, Italian title and summary, status, dates, public and EU
financing, beneficiary, commitments and payments to date. Fields OpenCoesione does not
carry (English texts, action, dashboard domain) stay as in the landing project list.
Amounts are parsed as decimals, never through binary floats, so totals match exactly.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from etl.connectors.errors import ConnectorError
from etl.connectors.fetch import DEFAULT_TIMEOUT, fetch_bytes
from etl.connectors.landing import Landing
from etl.connectors.located import read_portal_csv
from etl.validate import LandingError, read_landing

PROGRAMME_CODE = "2014IT16M2OP004"
#: OC_DESCRIZIONE_PROGRAMMA of 2014IT16M2OP004, for exports without the code column.
PROGRAMME_NAMES = {PROGRAMME_CODE: "PON FESR FSE CITTA' METROPOLITANE"}
MILANO = "003015146"
COMUNE_NAMES = {MILANO: "MILANO"}
LIST_SEPARATOR = ":::"
PROJECTS_PATH = "programme/projects.csv"
TRANSACTIONS_PATH = "programme/financial_transactions.csv"
ATTRIBUTION = "OpenCoesione (opencoesione.gov.it), CC BY 4.0"

STATUS = {"non avviato": "planned", "in corso": "in_progress", "concluso": "completed",
          "liquidato": "completed"}
AMOUNTS = ("FINANZ_TOTALE_PUBBLICO", "FINANZ_UE", "IMPEGNI", "TOT_PAGAMENTI",
           "OC_FINANZ_TOT_PUB_NETTO")
DATES = ("OC_DATA_INIZIO_PROGETTO", "OC_DATA_FINE_PROGETTO_PREVISTA",
         "OC_DATA_FINE_PROGETTO_EFFETTIVA", "DATA_AGGIORNAMENTO")


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""


def parse_amount(value: object, source: str, row: int, column: str) -> Decimal | None:
    """``1016124,00`` / ``1.016.124,00`` / ``1016124.0`` as an exact Decimal (None if blank)."""
    if _blank(value):
        return None
    text = str(value).strip()
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise LandingError(source, f"{value!r} is not an amount", row=row, column=column) \
            from exc
    if not amount.is_finite():
        raise LandingError(source, f"{value!r} is not an amount", row=row, column=column)
    return amount


def parse_date(value: object, source: str, row: int, column: str) -> date | None:
    """``AAAAMMGG`` (OpenCoesione) or ISO ``YYYY-MM-DD``; None if blank."""
    if _blank(value):
        return None
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    try:
        if not match:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise LandingError(source, f"{value!r} is not a date AAAAMMGG", row=row,
                           column=column) from exc


def split_list(value: object) -> list[str]:
    """``003015146:::003015147`` as its values (blank parts dropped)."""
    if _blank(value):
        return []
    return [part.strip() for part in str(value).split(LIST_SEPARATOR) if part.strip()]


def read_export(data: bytes, source: str) -> pl.DataFrame:
    """An OpenCoesione export (CSV or Parquet) as text columns."""
    if data[:4] == b"PAR1":
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except pl.exceptions.PolarsError as exc:
            raise LandingError(source, f"unreadable Parquet ({exc})") from exc
        return frame.select(pl.all().cast(pl.String))
    return read_portal_csv(data, source)


def _list_has(values: pl.Series, wanted: str) -> pl.Series:
    """Whether each ':::'-joined cell holds ``wanted`` as one of its values."""
    parts = values.str.split(LIST_SEPARATOR).list.eval(pl.element().str.strip_chars())
    return parts.list.contains(wanted)


def select(frame: pl.DataFrame, source: str, programme: str = PROGRAMME_CODE,
           comune: str = MILANO) -> pl.DataFrame:
    """Rows of ``programme`` located in ``comune`` (code, or name when the export only
    has descriptions, as the thematic extracts do)."""
    if "OC_CODICE_PROGRAMMA" in frame.columns:
        in_programme = _list_has(frame["OC_CODICE_PROGRAMMA"], programme)
    elif "OC_DESCRIZIONE_PROGRAMMA" in frame.columns and programme in PROGRAMME_NAMES:
        in_programme = _list_has(frame["OC_DESCRIZIONE_PROGRAMMA"].str.to_uppercase(),
                                 PROGRAMME_NAMES[programme])
    else:
        raise LandingError(source, "no OC_CODICE_PROGRAMMA column to select the programme",
                           row=1)
    if "COD_COMUNE" in frame.columns and comune.isdigit():
        in_comune = _list_has(frame["COD_COMUNE"], comune.zfill(9))
    elif "DEN_COMUNE" in frame.columns:
        in_comune = _list_has(frame["DEN_COMUNE"].str.to_uppercase(),
                              COMUNE_NAMES.get(comune, comune).upper())
    else:
        raise LandingError(source, "no COD_COMUNE or DEN_COMUNE column to select the comune",
                           row=1)
    keep = (in_programme.fill_null(False) & in_comune.fill_null(False))
    return frame.with_row_index("_row", offset=2).filter(keep)


def typed_projects(selected: pl.DataFrame, source: str) -> list[dict]:
    """The selected rows with amounts as Decimal, dates as date and lists split."""
    out = []
    for row in selected.iter_rows(named=True):
        number = int(row["_row"])
        item = {k: (None if _blank(v) else str(v).strip()) for k, v in row.items()
                if k != "_row"}
        for column in AMOUNTS:
            if column in row:
                item[column] = parse_amount(row[column], source, number, column)
        for column in DATES:
            if column in row:
                item[column] = parse_date(row[column], source, number, column)
        status = (item.get("OC_STATO_PROGETTO") or "").lower()
        if status and status not in STATUS:
            raise LandingError(source, f"{item['OC_STATO_PROGETTO']!r} is not a known "
                               f"project status ({', '.join(STATUS)})", row=number,
                               column="OC_STATO_PROGETTO")
        item["_row"] = number
        out.append(item)
    return out


def _code_key(text: str | None) -> str:
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())


def match_code(project: dict, plan: pl.DataFrame) -> str | None:
    """Operational-plan code of an OpenCoesione project: same CUP, else the plan code
    found inside COD_LOCALE_PROGETTO (punctuation ignored)."""
    cup = (project.get("CUP") or "").upper()
    if cup:
        hit = plan.filter(pl.col("cup").str.to_uppercase() == cup)
        if hit.height:
            return str(hit["project_code"][0])
    local = _code_key(project.get("COD_LOCALE_PROGETTO"))
    if local:
        candidates = [c for c in plan["project_code"].to_list() if _code_key(c) in local]
        if candidates:
            return max(candidates, key=len)  # MI4.1.1.b, not a shorter prefix
    return None


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _contract(name: str):
    from etl.domains.programme.contracts import CONTRACTS

    return next(c for c in CONTRACTS if c.name == name)


def import_projects(source: str, out: Path, *, programme: str = PROGRAMME_CODE,
                    comune: str = MILANO, timeout: float = DEFAULT_TIMEOUT,
                    echo: Callable[[str], None] = print) -> str:
    """Refresh ``programme/projects.csv`` and ``financial_transactions.csv`` in ``out``."""
    landing = Landing(out)
    plan_path = landing.root / PROJECTS_PATH
    if not plan_path.exists():
        raise ConnectorError(f"{plan_path}: no project list to update (OpenCoesione does "
                             "not carry the operational-plan codes, English texts and "
                             "domains; write the demo or the managing authority's list first)")
    plan = read_landing(_contract("programme_projects"), plan_path)
    manifest = landing.read_manifest()["files"]
    plan_synthetic = bool(manifest.get(PROJECTS_PATH, {}).get("synthetic"))

    frame = read_export(fetch_bytes(source, timeout=timeout), source)
    selected = select(frame, source, programme, comune)
    if selected.height == 0:
        raise ConnectorError(f"{source}: no project of programme {programme} in comune "
                             f"{comune} among {frame.height} rows")
    projects = typed_projects(selected, source)
    updates: dict[str, dict] = {}
    unmatched = []
    for project in projects:
        code = match_code(project, plan)
        if code is None:
            unmatched.append(project.get("COD_LOCALE_PROGETTO") or f"row {project['_row']}")
        else:
            updates[code] = project
    if unmatched:
        echo(f"warning: {len(unmatched)} OpenCoesione projects match no project code of the "
             f"plan (left out): {', '.join(map(str, unmatched[:10]))}")
    if not updates:
        raise ConnectorError(f"{source}: none of the {len(projects)} selected projects "
                             "matches a project code or CUP of the plan")

    rows = []
    for base in plan.iter_rows(named=True):
        project = updates.get(base["project_code"])
        if project is None:
            rows.append(base)
            continue
        new = dict(base)
        pairs = (("cup", "CUP"), ("title_it", "OC_TITOLO_PROGETTO"),
                 ("description_it", "OC_SINTESI_PROGETTO"),
                 ("start_date", "OC_DATA_INIZIO_PROGETTO"),
                 ("end_date_planned", "OC_DATA_FINE_PROGETTO_PREVISTA"),
                 ("beneficiary", "OC_DENOM_BENEFICIARIO"))
        for column, oc in pairs:
            if project.get(oc) is not None:
                new[column] = project[oc]
        if "OC_DATA_FINE_PROGETTO_EFFETTIVA" in project:
            new["end_date_actual"] = project["OC_DATA_FINE_PROGETTO_EFFETTIVA"]
        if project.get("OC_STATO_PROGETTO"):
            new["status"] = STATUS[project["OC_STATO_PROGETTO"].lower()]
        for column, oc in (("budget_eur", "FINANZ_TOTALE_PUBBLICO"),
                           ("eu_financing_eur", "FINANZ_UE")):
            if project.get(oc) is not None:
                new[column] = _decimal_text(project[oc])
        rows.append(new)
    columns = [c.name for c in _contract("programme_projects").columns]
    text_rows = [{c: None if r.get(c) is None else str(r[c]) for c in columns} for r in rows]
    projects_frame = pl.DataFrame(text_rows, schema={c: pl.String for c in columns})
    kept = len(rows) - len(updates)
    synthetic = plan_synthetic and kept > 0
    origin = f"{ATTRIBUTION}, {Path(str(source)).name}: {len(updates)} projects"
    note = (f"{kept} projects not in the export kept from the previous list"
            f"{' (synthetic demo)' if plan_synthetic else ''}") if kept else None
    landing.write_csv(PROJECTS_PATH, projects_frame, source=origin, note=note,
                      synthetic=synthetic)
    transactions = _transactions(landing, updates, source, plan_synthetic)
    return (f"updated {len(updates)} projects from {source} ({kept} kept unchanged); "
            f"{transactions} commitment/payment totals written")


def _transactions(landing: Landing, updates: dict[str, dict], source: str,
                  plan_synthetic: bool) -> int:
    """Commitments and payments to date, one row per kind and project (OpenCoesione
    publishes cumulative totals, not single acts), replacing those projects' rows."""
    path = landing.root / TRANSACTIONS_PATH
    manifest = landing.read_manifest()["files"]
    existing_synthetic = bool(manifest.get(TRANSACTIONS_PATH, {}).get("synthetic"))
    rows = []
    for code, project in sorted(updates.items()):
        as_of = project.get("DATA_AGGIORNAMENTO")
        if as_of is None:
            continue
        for kind, column in (("commitment", "IMPEGNI"), ("payment", "TOT_PAGAMENTI")):
            if project.get(column) is not None:
                rows.append({"transaction_id": f"OC-{code}-{kind}-{as_of:%Y%m%d}",
                             "project_code": code, "date": as_of.isoformat(), "kind": kind,
                             "amount_eur": _decimal_text(project[column])})
    if not rows:
        return 0
    schema = {c: pl.String for c in ("transaction_id", "project_code", "date", "kind",
                                     "amount_eur")}
    new = pl.DataFrame(rows, schema=schema)
    if path.exists():
        old = read_landing(_contract("programme_financial_transactions"), path)
        old = old.filter(~pl.col("project_code").is_in(list(updates))).select(
            [pl.col(c).cast(pl.String) for c in schema])
        new = pl.concat([old, new])
    note = ("totals to date per project from OpenCoesione; other projects' acts kept"
            + (" (synthetic demo)" if existing_synthetic else ""))
    landing.write_csv(TRANSACTIONS_PATH, new.sort("project_code", "date"),
                      source=f"{ATTRIBUTION}, {Path(str(source)).name}", note=note,
                      synthetic=existing_synthetic and new.height > len(rows))
    return len(rows)
