"""OpenCoesione connector: the real export sample parses exactly; a synthetic export in
the same format (BOM, every field quoted, decimal commas, AAAAMMGG, ':::' lists) and
as Parquet refreshes the programme landing files."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from etl.connectors import opencoesione as oc
from etl.connectors.cli import opencoesione as oc_cli
from etl.connectors.errors import ConnectorError
from etl.validate import LandingError

SAMPLE = "opencoesione/progetti_beni_confiscati_20181031.csv"


def test_real_sample_amounts_parse_exactly(realdata):
    path = realdata / SAMPLE
    frame = oc.read_export(path.read_bytes(), str(path))
    assert frame.height == 290 and frame.columns[0] == "COD_LOCALE_PROGETTO"  # BOM stripped
    # reference values read independently with the csv module
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    for column in ("FINANZ_TOTALE_PUBBLICO", "OC_FINANZ_TOT_PUB_NETTO", "TOT_PAGAMENTI"):
        parsed = [oc.parse_amount(v, str(path), i + 2, column)
                  for i, v in enumerate(frame[column])]
        expected = [Decimal(r[column].replace(",", ".")) if r[column].strip() else None
                    for r in rows]
        assert parsed == expected, column
    first = oc.parse_amount(frame["FINANZ_TOTALE_PUBBLICO"][0], "s", 2, "x")
    assert first == Decimal("1016124.00") and str(first) == "1016124.00"
    total = sum(oc.parse_amount(v, "s", 0, "x") or Decimal(0)
                for v in frame["FINANZ_TOTALE_PUBBLICO"])
    assert total == Decimal("188225579.73")  # exact, no binary-float drift


def test_real_sample_has_pon_metro_rows_but_none_in_milan(realdata, plan_copy):
    path = realdata / SAMPLE
    frame = oc.read_export(path.read_bytes(), str(path))
    assert oc.select(frame, str(path), comune="CATANIA").height >= 1  # by name, no code
    assert oc.select(frame, str(path)).height == 0
    with pytest.raises(ConnectorError, match=r"no project of programme 2014IT16M2OP004 in "
                       r"comune 003015146 among 290 rows"):
        oc.import_projects(str(path), plan_copy, echo=lambda _: None)


def test_missing_project_list_is_explained(realdata, tmp_path):
    with pytest.raises(ConnectorError, match="no project list to update"):
        oc.import_projects(str(realdata / SAMPLE), tmp_path, echo=lambda _: None)


@pytest.mark.parametrize("value, expected", [
    ("1016124,00", Decimal("1016124.00")), ("1.016.124,5", Decimal("1016124.5")),
    ("1016124.25", Decimal("1016124.25")), (" ", None), ("", None),
    ("99999999999999999999,99", Decimal("99999999999999999999.99")),
])
def test_amount_formats(value, expected):
    assert oc.parse_amount(value, "f", 2, "A") == expected


@pytest.mark.parametrize("value", ["12,3,4", "abc", "NaN", "1e400x"])
def test_bad_amounts_name_row_and_column(value):
    with pytest.raises(LandingError, match=r"f, row 7, column 'FINANZ_UE'"):
        oc.parse_amount(value, "f", 7, "FINANZ_UE")


def test_dates_and_lists():
    assert str(oc.parse_date("20150101", "f", 2, "D")) == "2015-01-01"
    assert oc.parse_date(" ", "f", 2, "D") is None
    with pytest.raises(LandingError, match=r"row 4, column 'D'.*AAAAMMGG"):
        oc.parse_date("20181332", "f", 4, "D")
    assert oc.split_list("003015146:::003015147") == ["003015146", "003015147"]


# ------------------------------------------------- synthetic export in the real format


@pytest.fixture(scope="module")
def programme_landing(tmp_path_factory) -> Path:
    """Only the programme domain's demo files, with their manifest."""
    from etl.demo import DemoContext
    from etl.domains import programme

    out = tmp_path_factory.mktemp("programme")
    ctx = DemoContext(out=out)
    programme.generate(ctx)
    (out / "manifest.json").write_text(json.dumps({"seed": 42, "scale": 1,
                                                   "files": ctx.written}))
    return out


HEADER = ["COD_LOCALE_PROGETTO", "CUP", "OC_CODICE_PROGRAMMA", "OC_DESCRIZIONE_PROGRAMMA",
          "OC_TITOLO_PROGETTO", "OC_SINTESI_PROGETTO", "FINANZ_UE", "FINANZ_TOTALE_PUBBLICO",
          "IMPEGNI", "TOT_PAGAMENTI", "OC_STATO_PROGETTO", "OC_DATA_INIZIO_PROGETTO",
          "OC_DATA_FINE_PROGETTO_PREVISTA", "OC_DATA_FINE_PROGETTO_EFFETTIVA",
          "DATA_AGGIORNAMENTO", "OC_DENOM_BENEFICIARIO", "COD_COMUNE", "DEN_COMUNE"]


def export_rows(plan: pl.DataFrame) -> list[dict[str, str]]:
    by_code = {r["project_code"]: r for r in plan.iter_rows(named=True)}
    base = {"OC_CODICE_PROGRAMMA": "2014IT16M2OP004",
            "OC_DESCRIZIONE_PROGRAMMA": "PON FESR FSE CITTA' METROPOLITANE",
            "OC_SINTESI_PROGETTO": " ", "OC_DATA_FINE_PROGETTO_EFFETTIVA": "",
            "DATA_AGGIORNAMENTO": "20231231", "COD_COMUNE": "003015146",
            "DEN_COMUNE": "MILANO", "OC_DATA_FINE_PROGETTO_PREVISTA": "20231231"}
    return [
        {**base, "COD_LOCALE_PROGETTO": "1MI411B", "CUP": "",  # matched by code
         "OC_TITOLO_PROGETTO": "HUB DI VIA SAINT BON - RISTRUTTURAZIONE",
         "FINANZ_UE": "3100000,10", "FINANZ_TOTALE_PUBBLICO": "4133333,47",
         "IMPEGNI": "4000000,01", "TOT_PAGAMENTI": "2718281,83",
         "OC_STATO_PROGETTO": "In corso", "OC_DATA_INIZIO_PROGETTO": "20170301",
         "OC_DENOM_BENEFICIARIO": "COMUNE DI MILANO"},
        {**base, "COD_LOCALE_PROGETTO": "XX-1", "CUP": by_code["MI2.2.3.a"]["cup"],  # by CUP
         "OC_TITOLO_PROGETTO": "BIKE SHARING - NUOVE STAZIONI",
         "FINANZ_UE": "", "FINANZ_TOTALE_PUBBLICO": "1500000,50", "IMPEGNI": "1500000,50",
         "TOT_PAGAMENTI": "1500000,50", "OC_STATO_PROGETTO": "Concluso",
         "OC_DATA_INIZIO_PROGETTO": "20180115", "OC_DATA_FINE_PROGETTO_EFFETTIVA": "20211130",
         "OC_DENOM_BENEFICIARIO": "COMUNE DI MILANO"},
        {**base, "COD_LOCALE_PROGETTO": "1MI999Z", "CUP": "",  # not in the plan
         "OC_TITOLO_PROGETTO": "ALTRO", "FINANZ_UE": "1,00",
         "FINANZ_TOTALE_PUBBLICO": "1,00", "IMPEGNI": "", "TOT_PAGAMENTI": "",
         "OC_STATO_PROGETTO": "Non avviato", "OC_DATA_INIZIO_PROGETTO": "",
         "OC_DENOM_BENEFICIARIO": "X"},
        {**base, "COD_LOCALE_PROGETTO": "1TO411B", "CUP": "",  # Torino, same programme
         "COD_COMUNE": "001001272", "DEN_COMUNE": "TORINO", "OC_TITOLO_PROGETTO": "T",
         "FINANZ_UE": "1,00", "FINANZ_TOTALE_PUBBLICO": "1,00", "IMPEGNI": "",
         "TOT_PAGAMENTI": "", "OC_STATO_PROGETTO": "In corso",
         "OC_DATA_INIZIO_PROGETTO": "20170101", "OC_DENOM_BENEFICIARIO": "X"},
        {**base, "COD_LOCALE_PROGETTO": "1MI412A", "CUP": "",  # Milan, another programme
         "OC_CODICE_PROGRAMMA": "2014IT16RFOP012", "OC_TITOLO_PROGETTO": "POR",
         "FINANZ_UE": "1,00", "FINANZ_TOTALE_PUBBLICO": "1,00", "IMPEGNI": "",
         "TOT_PAGAMENTI": "", "OC_STATO_PROGETTO": "In corso",
         "OC_DATA_INIZIO_PROGETTO": "20170101", "OC_DENOM_BENEFICIARIO": "X"},
    ]


def write_export(rows: list[dict[str, str]], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER, delimiter=";", quoting=csv.QUOTE_ALL,
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return path


@pytest.fixture
def plan_copy(programme_landing, tmp_path) -> Path:
    import shutil

    out = tmp_path / "landing"
    shutil.copytree(programme_landing, out)
    return out


def _check_refreshed(out: Path) -> None:
    from etl.domains.programme.contracts import CONTRACTS
    from etl.validate import read_landing

    contracts = {c.name: c for c in CONTRACTS}
    projects = read_landing(contracts["programme_projects"], out / "programme/projects.csv")
    hub = projects.filter(pl.col("project_code") == "MI4.1.1.b").row(0, named=True)
    assert hub["budget_eur"] == 4133333.47 and hub["eu_financing_eur"] == 3100000.10
    assert hub["status"] == "in_progress" and str(hub["start_date"]) == "2017-03-01"
    assert hub["title_it"] == "HUB DI VIA SAINT BON - RISTRUTTURAZIONE"
    assert hub["title_en"]  # kept from the plan: OpenCoesione has no English title
    bikes = projects.filter(pl.col("project_code") == "MI2.2.3.a").row(0, named=True)
    assert bikes["status"] == "completed" and str(bikes["end_date_actual"]) == "2021-11-30"
    raw = (out / "programme/projects.csv").read_text()
    assert "4133333.47" in raw and "1500000.50" in raw  # exact decimals on disk
    money = read_landing(contracts["programme_financial_transactions"],
                         out / "programme/financial_transactions.csv")
    oc_rows = money.filter(pl.col("transaction_id").str.starts_with("OC-"))
    assert oc_rows.height == 4
    hub_paid = oc_rows.filter((pl.col("project_code") == "MI4.1.1.b")
                              & (pl.col("kind") == "payment"))
    assert hub_paid["amount_eur"][0] == 2718281.83 and str(hub_paid["date"][0]) == "2023-12-31"
    # the other projects' acts are kept; the two refreshed ones have only OC totals
    assert money.filter(pl.col("project_code").is_in(["MI4.1.1.b", "MI2.2.3.a"])).height == 4
    assert money.height > 4
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    entry = manifest["programme/projects.csv"]
    assert entry["synthetic"] is True  # still holds 26 demo projects: stays labelled demo
    assert "OpenCoesione" in entry["source"] and "26 projects" in entry["note"]


def test_import_csv_refreshes_projects_and_money(plan_copy, tmp_path):
    plan = pl.read_csv(plan_copy / "programme/projects.csv")
    export = write_export(export_rows(plan), tmp_path / "progetti_esteso_20240101.csv")
    lines: list[str] = []
    report = oc.import_projects(str(export), plan_copy, echo=lines.append)
    assert report.startswith("updated 2 projects")
    assert any(line.startswith("warning: 1 OpenCoesione projects") and "1MI999Z" in line
               for line in lines)
    _check_refreshed(plan_copy)


def test_import_parquet_gives_the_same_result(plan_copy, tmp_path):
    plan = pl.read_csv(plan_copy / "programme/projects.csv")
    path = tmp_path / "progetti.parquet"
    pl.DataFrame(export_rows(plan)).write_parquet(path)
    oc.import_projects(str(path), plan_copy, echo=lambda _: None)
    _check_refreshed(plan_copy)


def test_import_by_download_through_the_cli(plan_copy, tmp_path, http_server, monkeypatch):
    plan = pl.read_csv(plan_copy / "programme/projects.csv")
    # served from a temporary folder through the same local server
    export = write_export(export_rows(plan), tmp_path / "export.csv")
    monkeypatch.setattr("tests.connectors.conftest.REALDATA", tmp_path)
    result = CliRunner().invoke(oc_cli, ["import", f"{http_server.base}/realdata/export.csv",
                                         "--out", str(plan_copy)])
    assert result.exit_code == 0, result.output
    assert "updated 2 projects" in result.output
    _check_refreshed(plan_copy)
    assert export.exists()


@pytest.mark.parametrize("column, value, message", [
    ("OC_DATA_INIZIO_PROGETTO", "20171301", r"row 2, column 'OC_DATA_INIZIO_PROGETTO'"),
    ("FINANZ_TOTALE_PUBBLICO", "4.133.333,47,1", r"row 2, column 'FINANZ_TOTALE_PUBBLICO'"),
    ("OC_STATO_PROGETTO", "Sospeso", r"row 2, column 'OC_STATO_PROGETTO'.*Sospeso"),
])
def test_bad_export_cells_are_named(plan_copy, tmp_path, column, value, message):
    plan = pl.read_csv(plan_copy / "programme/projects.csv")
    rows = export_rows(plan)
    rows[0][column] = value
    with pytest.raises(LandingError, match=message):
        oc.import_projects(str(write_export(rows, tmp_path / "bad.csv")), plan_copy,
                           echo=lambda _: None)


def test_export_without_programme_columns_is_refused(plan_copy, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("A;B\n1;2\n")
    with pytest.raises(LandingError, match="no OC_CODICE_PROGRAMMA column"):
        oc.import_projects(str(path), plan_copy, echo=lambda _: None)


def test_no_match_in_the_plan_is_an_error(plan_copy, tmp_path):
    plan = pl.read_csv(plan_copy / "programme/projects.csv")
    rows = [export_rows(plan)[2]]
    with pytest.raises(ConnectorError, match="none of the 1 selected projects matches"):
        oc.import_projects(str(write_export(rows, tmp_path / "x.csv")), plan_copy,
                           echo=lambda _: None)
