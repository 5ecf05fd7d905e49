"""Programme domain: the seed text, the money rules, cumulative indicators, bad extracts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl.domains.programme import CONTRACTS, seed
from etl.validate import LandingError, check_foreign_keys, read_landing

SEED_TEXT = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / \
    "pon-metro-milano-projects.txt"
_BOILERPLATE = re.compile(r"^(Visit the page|Go to the platform|Updated:)")
_CONTRACT = {c.name: c for c in CONTRACTS}


def seed_headings(text: str) -> list[str]:
    """Project headings of the programme text, in order, duplicates kept.

    A heading is a short line without closing punctuation that is not a bullet, a
    numbered item or boilerplate; a line right after a heading is its subtitle.
    The preamble ends at the line "These are the projects ...".
    """
    lines = [ln.strip() for ln in text.splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("These are the projects"))
    headings: list[str] = []
    previous_was_heading = False
    for line in lines[start + 1:]:
        if not line:
            continue
        is_heading = (len(line) <= 120 and not line.endswith((".", ":", ";", ","))
                      and ":" not in line and not re.match(r"^([•\-–]|\d+\.|[a-z]{1,2}\.)", line)
                      and not _BOILERPLATE.match(line))
        if is_heading and not previous_was_heading:
            headings.append(line)
            previous_was_heading = True
        else:
            previous_was_heading = False
    return headings


@pytest.fixture(scope="module")
def con(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def test_every_seed_heading_is_a_project(con):
    if not SEED_TEXT.exists():
        pytest.skip(f"programme seed text not present at {SEED_TEXT}")
    headings = seed_headings(SEED_TEXT.read_text("utf-8"))
    assert len(headings) == 28, headings
    titles = [r[0] for r in con.execute("SELECT seed_title FROM mart.programme_projects").fetchall()]
    assert Counter(headings) == Counter(titles)


def test_the_28_fixed_project_codes(con):
    codes = {r[0] for r in con.execute("SELECT project_code FROM mart.programme_projects").fetchall()}
    assert codes == {p.code for p in seed.PROJECTS}
    assert len(codes) == 28
    farmhouse = con.execute("SELECT address, nil_id FROM mart.programme_projects "
                            "WHERE project_code = 'MI4.1.1.a'").fetchone()
    assert farmhouse[0] == "Via De Lemene 51/55/59" and farmhouse[1] is not None


def test_allocation_matches_published_milan_total(con):
    total = con.execute("SELECT sum(allocation_eur) FROM mart.programme_axes").fetchone()[0]
    assert total == pytest.approx(40_355_143.14, abs=0.005)
    assert con.execute("SELECT bool_and(NOT verified) FROM mart.programme_axes").fetchone()[0]


def test_money_never_exceeds_budget(con):
    bad = con.execute("""SELECT project_code FROM mart.programme_projects
        WHERE paid_eur > committed_eur + 0.005 OR committed_eur > budget_eur + 0.005
           OR eu_financing_eur > budget_eur""").fetchall()
    assert bad == []
    monthly = con.execute("""SELECT count(*) FROM mart.programme_project_finance_monthly f
        JOIN mart.programme_projects p USING (project_code)
        WHERE f.paid_cum_eur > f.committed_cum_eur + 0.005
           OR f.committed_cum_eur > p.budget_eur + 0.005""").fetchone()[0]
    assert monthly == 0
    per_axis = con.execute("SELECT sum(budget_eur) <= any_value(allocation_eur) FROM "
                           "mart.programme_projects JOIN mart.programme_axes USING (axis_id) GROUP BY axis_id"
                           ).fetchall()
    assert all(ok for (ok,) in per_axis)


def test_axis_totals_are_sums_over_projects(con):
    diff = con.execute("""
        WITH p AS (SELECT axis_id, sum(committed_eur) c, sum(paid_eur) pd
                   FROM mart.programme_projects GROUP BY 1),
             a AS (SELECT axis_id, committed_cum_eur c, paid_cum_eur pd
                   FROM mart.programme_axis_finance_monthly
                   WHERE month = (SELECT max(month) FROM mart.programme_axis_finance_monthly))
        SELECT max(abs(coalesce(p.c, 0) - a.c)), max(abs(coalesce(p.pd, 0) - a.pd))
        FROM a LEFT JOIN p USING (axis_id)""").fetchone()
    assert diff[0] < 0.01 and diff[1] < 0.01


def test_cumulative_values_only_grow(con):
    falling = con.execute("""SELECT count(*) FROM (
        SELECT value < lag(value) OVER (PARTITION BY indicator_code, project_code, series
                                        ORDER BY year) AS down
        FROM mart.programme_indicator_values) WHERE down""").fetchone()[0]
    assert falling == 0
    f_above_s = con.execute("""SELECT count(*) FROM mart.programme_indicator_values f
        JOIN mart.programme_indicator_values s USING (indicator_code, project_code, year)
        WHERE f.series = 'F' AND s.series = 'S' AND f.value > s.value""").fetchone()[0]
    assert f_above_s == 0
    progress = con.execute("""SELECT count(*) FROM (
        SELECT value < lag(value) OVER (PARTITION BY indicator_code, series ORDER BY year)
               AS down FROM mart.programme_indicator_progress) WHERE down""").fetchone()[0]
    assert progress == 0


def test_targets_match_programme_figures(con):
    targets = dict(con.execute("SELECT indicator_code, target_2023 FROM mart.programme_indicators"
                               ).fetchall())
    assert targets["IO03"] == 35 and targets["IO04"] == 33 and targets["IO05"] == 4
    assert targets["IO08"] == 9 and targets["IO02"] == 1000


def test_neighbourhood_school_grants_within_cap(con):
    over = con.execute("SELECT count(*) FROM mart.programme_grants WHERE project_code = 'MI3.3.1.e' "
                       "AND amount_eur > 25000").fetchone()[0]
    assert over == 0
    columns = [r[0] for r in con.execute("DESCRIBE mart.programme_grants").fetchall()]
    assert not any("name" in c for c in columns)


# ------------------------------------------------------------------ bad extracts


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_orphan_project_in_transactions(tmp_path, demo_landing):
    projects = read_landing(_CONTRACT["programme_projects"],
                            demo_landing / "programme/projects.csv")
    bad = _write(tmp_path, "financial_transactions.csv",
                 "transaction_id,project_code,date,kind,amount_eur\n"
                 "T1,MI1.1.1.a,2018-01-05,commitment,100\n"
                 "T2,MI9.9.9.z,2018-02-05,payment,50\n")
    contract = _CONTRACT["programme_financial_transactions"]
    frame = read_landing(contract, bad)
    with pytest.raises(LandingError) as err:
        check_foreign_keys(contract, bad, frame,
                           {"programme_projects.project_code": projects["project_code"]})
    assert err.value.row == 3 and err.value.column == "project_code"
    assert "MI9.9.9.z" in str(err.value)


def test_unknown_series(tmp_path):
    bad = _write(tmp_path, "indicator_values.csv",
                 "indicator_code,project_code,year,series,value,reported_on\n"
                 "CO40,MI4.1.1.c,2020,S,80,2020-12-20\n"
                 "CO40,MI4.1.1.c,2020,X,10,2020-12-20\n")
    with pytest.raises(LandingError) as err:
        read_landing(_CONTRACT["programme_indicator_values"], bad)
    assert (err.value.row, err.value.column) == (3, "series")


def test_negative_amount(tmp_path):
    bad = _write(tmp_path, "financial_transactions.csv",
                 "transaction_id;project_code;date;kind;amount_eur\n"
                 "T1;MI1.1.1.a;2018-01-05;payment;-1.500,00\n")
    with pytest.raises(LandingError) as err:
        read_landing(_CONTRACT["programme_financial_transactions"], bad)
    assert (err.value.row, err.value.column) == (2, "amount_eur")
    assert "minimum" in str(err.value)


@pytest.mark.parametrize("header,row,column", [
    ("indicator_code,project_code,year,series,value,reported_on",
     "CO40,MI4.1.1.c,2031,S,80,2031-12-20", "year"),
    ("indicator_code,project_code,year,series,value,reported_on",
     "CO40,MI4.1.1.c,2020,S,1e400,2020-12-20", "value"),
    ("indicator_code,project_code,year,series,value,reported_on",
     "CO40,MI4.1.1.c,2020,F,ten,2020-12-20", "value"),
])
def test_bad_indicator_values(tmp_path, header, row, column):
    bad = _write(tmp_path, "iv.csv", f"{header}\n{row}\n")
    with pytest.raises(LandingError) as err:
        read_landing(_CONTRACT["programme_indicator_values"], bad)
    assert err.value.column == column


def test_missing_column_is_named(tmp_path):
    bad = _write(tmp_path, "grants.csv", "grant_id,project_code,call,amount_eur\n"
                 "G1,MI3.3.1.e,Scuola 2019,1000\n")
    with pytest.raises(LandingError, match="awarded_on"):
        read_landing(_CONTRACT["programme_grants"], bad)


def test_grant_above_cap_stops_the_build(tmp_path, demo_landing):
    from etl.build import build

    grants = pl.read_csv(demo_landing / "programme/grants.csv", infer_schema=False)
    grants = grants.with_columns(
        pl.when(pl.col("grant_id") == "MI3.3.1.e-002").then(pl.lit("25000.01"))
        .otherwise(pl.col("amount_eur")).alias("amount_eur"))
    bad = tmp_path / "grants.csv"
    grants.write_csv(bad)
    target = tmp_path / "w.duckdb"
    with pytest.raises(LandingError) as err:
        build(demo_landing, target, overrides={"programme_grants": bad}, progress=False)
    assert "MI3.3.1.e-002" in str(err.value) and err.value.row == 3
    assert not target.exists()


def test_seed_heading_parser_ignores_subtitles():
    text = ("preamble\nThese are the projects that Milan is developing\n\nHeading one\n"
            "A subtitle line\nBody text.\n• bullet item\nVisit the page dedicated to it\n"
            "Heading two\nBody: with colon\n")
    assert seed_headings(text) == ["Heading one", "Heading two"]


def test_axes_and_objectives_exist_in_the_opencoesione_reference(realdata, con):
    """Axis numbers and names, and each action's specific objective, are real ones."""
    path = realdata / "opencoesione" / "po_linee_azioni.csv"
    if not path.exists():
        pytest.skip(f"OpenCoesione reference table not present at {path}")
    table = pl.read_csv(path, separator=";", infer_schema=False).filter(
        pl.col("OC_CODICE_PROGRAMMA") == "2014IT16M2OP004")

    def unmangle(text: str) -> str:  # the file is double-encoded UTF-8 (SostenibilitÃ )
        try:
            return text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text

    names = {int(k): unmangle(v) for k, v in zip(table["OC_COD_ARTICOLAZ_PROGRAMMA"],
                                                   table["OC_DESCR_ARTICOLAZ_PROGRAMMA"],
                                                   strict=True)}
    objectives = set(table["OC_COD_SUBARTICOLAZ_PROGRAMMA"])
    for axis_id, name_it in con.execute("SELECT axis_id, name_it FROM mart.programme_axes").fetchall():
        assert axis_id in names
        assert names[axis_id].lower()[:30] == name_it.lower()[:30], (axis_id, names[axis_id])
    for (action,) in con.execute("SELECT action_code FROM mart.programme_actions").fetchall():
        assert action.rsplit(".", 1)[0] in objectives, action


def test_demo_extract_is_deterministic(tmp_path):
    from etl.demo import DemoContext
    from etl.domains import programme

    first, second = DemoContext(out=tmp_path / "a"), DemoContext(out=tmp_path / "b")
    programme.generate(first)
    programme.generate(second)
    assert set(first.written) == {c.path for c in CONTRACTS}
    for relpath in first.written:
        assert (tmp_path / "a" / relpath).read_bytes() == (tmp_path / "b" / relpath).read_bytes()
    other = DemoContext(out=tmp_path / "c", seed=7)
    programme.generate(other)
    assert (tmp_path / "c/programme/financial_transactions.csv").read_bytes() != \
        (tmp_path / "a/programme/financial_transactions.csv").read_bytes()
