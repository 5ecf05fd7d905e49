"""The DuckDB fast path of the staging load must be invisible except for speed.

Every test loads the same file twice, once through ``etl.staging.stage_file`` (fast
route first, tolerant Polars reader on any doubt) and once through the tolerant route alone, and
asserts the same staging rows, the same findings, or the same one-line error.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl.build import _files_for
from etl.contracts import Column, Contract
from etl.domains import all_contracts
from etl.staging import load_csv_fast, scan_file, stage_file, stage_tolerant
from etl.validate import LandingError

SITES = Contract(
    name="t_sites", path="sites.csv", format="csv", description="test", source="test",
    key=("site_id",),
    columns=(
        Column("site_id", "int", unique=True, min=1),
        Column("name", "str"),
        Column("kind", "str", enum=("dormitory", "shelter")),
        Column("capacity", "int", min=0, max=500),
        Column("share", "float", min=0, max=1, nullable=True),
        Column("opened_on", "date", nullable=True),
        Column("accessible", "bool", nullable=True),
    ),
)
USAGE = Contract(
    name="t_usage", path="usage/*.csv", format="csv", description="test", source="test",
    key=("month", "site_id"),
    columns=(
        Column("month", "month"),
        Column("site_id", "int", fk="t_sites.site_id"),
        Column("users", "int", min=0),
        Column("observed_at", "datetime", nullable=True, required=False),
    ),
)
STATUS = Contract(
    name="t_status", path="status/*.csv", format="csv", description="test", source="test",
    key=("station_id", "at"),
    columns=(
        Column("station_id", "str", fk="t_stations.station_id", fk_policy="report"),
        Column("at", "datetime"),
        Column("bikes", "int", min=0),
    ),
)
STATIONS = Contract(
    name="t_stations", path="stations.csv", format="csv", description="test", source="test",
    columns=(Column("station_id", "str", unique=True),),
)

SITES_CSV = ("site_id,name,kind,capacity,share,opened_on,accessible\n"
             "1,Casa Jannacci,dormitory,120,0.5,2019-03-01,true\n"
             "2,  Città Studi ,shelter,30,,,false\n"
             "3,Ortles,shelter,0,1.0,2020-02-29,\n")
USAGE_CSV = ("month,site_id,users,observed_at\n"
             "2023-01,1,5,2023-01-01T10:00:00Z\n"
             "2023-02,1,6,\n"
             "2023-01,2,7,2023-12-31T23:59:59Z\n")


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def staged(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    frame = con.sql(f"SELECT * FROM staging.{table}").pl()
    return frame.sort(frame.columns, nulls_last=True)


def new_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    return con


def both_ways(loads: list[tuple[Contract, Path]]):
    """Stage ``loads`` with the fast path and with Polars alone: the two connections,
    the findings of each, and whether each file took the fast path."""
    fast, slow = new_db(), new_db()
    fast_findings: list = []
    slow_findings: list = []
    took: list[bool] = []
    for contract, path in loads:
        staged = stage_file(fast, contract, path, scan_file(path))
        fast_findings += staged.findings
        took.append(staged.fast)
        slow_findings += stage_tolerant(slow, contract, path).findings
    return fast, slow, fast_findings, slow_findings, took


def outcome(loads: list[tuple[Contract, Path]], polars_only: bool) -> str:
    """The error message of staging ``loads``, or the staged tables as text."""
    con = new_db()
    try:
        for contract, path in loads:
            if polars_only:
                stage_tolerant(con, contract, path)
            else:
                stage_file(con, contract, path, scan_file(path))
    except LandingError as exc:
        return f"error: {exc}"
    return "\n".join(staged(con, c.name).write_csv() for c, _ in loads)


# ------------------------------------------------------------ (a) demo files


def test_demo_files_stage_identically(demo_landing):
    plan = [(c, p) for c in all_contracts() for p in _files_for(demo_landing, c, {})]
    fast, slow, fast_findings, slow_findings, took = both_ways(plan)
    for contract in {c.name: c for c, _ in plan}.values():
        schema = f"DESCRIBE staging.{contract.name}"
        assert fast.execute(schema).fetchall() == slow.execute(schema).fetchall(), contract.name
        a, b = staged(fast, contract.name), staged(slow, contract.name)
        assert a.equals(b), contract.name
    assert fast_findings == slow_findings
    assert any(f["contract"] == "mobility_station_status" for f in fast_findings)
    telemetry = [used for (c, _), used in zip(plan, took, strict=True)
                 if c.name in ("mobility_station_status", "mobility_spot_status",
                               "mobility_trips")]
    assert telemetry and all(telemetry), "canonical telemetry partitions must take the fast path"
    assert not fast.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary")\
        .fetchall()[0][0], "the scratch table is dropped"


def test_sha256_matches_hashlib(demo_landing):
    import hashlib

    path = next((demo_landing / "mobility" / "station_status").glob("*.csv"))
    scan = scan_file(path)
    assert scan.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert scan.size == path.stat().st_size


# --------------------------------------------------- (b) violations fall back

VIOLATIONS = {
    "wrong type": ("120", "12O"),
    "empty required": ("Casa Jannacci", ""),
    "blank text is empty": ("Casa Jannacci", "   "),
    "enum": ("dormitory", "hotel"),
    "min": (",30,", ",-3,"),
    "max": ("120", "501"),
    "float max": ("0.5", "1.5"),
    "bad date": ("2019-03-01", "2019-02-29"),
    "bool spelling": ("true", "on"),
    "duplicate key": ("3,Ortles", "1,Ortles"),
}


@pytest.mark.parametrize("rule", VIOLATIONS)
def test_rule_violation_gives_the_polars_error(tmp_path, rule):
    old, new = VIOLATIONS[rule]
    assert old in SITES_CSV
    path = write(tmp_path, "sites.csv", SITES_CSV.replace(old, new, 1))
    con = new_db()
    assert load_csv_fast(con, SITES, path, scan_file(path)) is None
    assert not con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0], \
        "a refused file leaves nothing behind"
    expected = outcome([(SITES, path)], polars_only=True)
    assert outcome([(SITES, path)], polars_only=False) == expected


def test_tolerated_spellings_still_load_like_polars(tmp_path):
    """TRUE, ' 5', 007 are accepted by the Polars path: the fallback keeps them."""
    text = SITES_CSV.replace("true", "TRUE").replace(",30,", ", 30 ,").replace("120", "0120")
    path = write(tmp_path, "sites.csv", text)
    result = outcome([(SITES, path)], polars_only=False)
    assert not result.startswith("error") and result == outcome([(SITES, path)], True)


# DuckDB's reader types timestamps and booleans itself (etl/staging.py's docstring):
# every spelling it accepts must be accepted by the tolerant route with the same value,
# and every other one must leave the file to the tolerant route.
#: Timestamp spellings DuckDB's strptime reads under %Y-%m-%dT%H:%M:%SZ (fast route).
READER_TIMESTAMPS = [
    " 2023-01-01T10:00:00Z", "2023-01-01T10:00:00Z ", "  2023-01-01T10:00:00Z\t",
    "\t2023-01-01T10:00:00Z", "\x0b2023-01-01T10:00:00Z", "\x0c2023-01-01T10:00:00Z",
    "2023-1-01T10:00:00Z", "2023-01-1T10:00:00Z", "2023-01-01T1:0:0Z", "23-01-01T10:00:00Z",
    "0023-01-01T10:00:00Z", "0000-01-01T00:00:00Z", "2024-02-29T10:00:00Z",
    "9999-12-31T23:59:59Z",
]
#: Spellings it refuses (the tolerant route reads or rejects them).
OTHER_TIMESTAMPS = [
    "2023-01-01T24:00:00Z", "2023-04-31T10:00:00Z", "2023-01-01T10:00:60Z",
    " 023-01-01T10:00:00Z", "2023-01-01T 1:00:00Z", "+023-01-01T10:00:00Z",
    "2023-01-01T10:00:00+01:00", "2023-01-01 10:00", "2023-01-01T10:00:00.5Z",
    "\xa02023-01-01T10:00:00Z", "2023-01-01T10:00:00Z\u3000", "2023-01-01T10:00:00z",
    "2023-01-01t10:00:00Z", "12023-01-01T10:00:00Z", "02023-01-01T10:00:00Z",
    "-2023-01-01T10:00:00Z", "2023-02-29T10:00:00Z", "2023-01-01T10:00:00", "   ",
    "2023-01-01T010:00:00Z", "2023-01-01T10:00:00ZZ", "2023-01-01T10:00:00 Z", "epoch",
    "294247-01-10T04:00:54Z", "EPOCH", " epoch", "infinity", "-infinity", "+infinity",
    "Infinity", "1970-01-01T00:00:00Z", "1970-1-1T0:0:0Z", "allballs", "now",
]


@pytest.mark.parametrize("cell", READER_TIMESTAMPS + OTHER_TIMESTAMPS)
def test_odd_timestamps_match_polars(tmp_path, cell):
    sites = write(tmp_path, "sites.csv", SITES_CSV)
    path = write(tmp_path, "usage/1.csv", USAGE_CSV.replace("2023-01-01T10:00:00Z", cell))
    loads = [(SITES, sites), (USAGE, path)]
    assert outcome(loads, polars_only=False) == outcome(loads, polars_only=True)
    *_, took = both_ways(loads) if cell in READER_TIMESTAMPS else (None, [None, None])
    assert cell not in READER_TIMESTAMPS or took == [True, True], \
        "a spelling the reader types itself stays on the fast route"


#: Boolean spellings DuckDB's reader types (any case), and others it refuses.
READER_BOOLS = ["TRUE", "True", "tRuE", "t", "T", "yes", "YES", "y", "Y", "1"]
READER_FALSE = ["FALSE", "False", "f", "F", "no", "No", "n", "N", "0"]
OTHER_BOOLS = [" true", "true ", "\ttrue", "si", "sì", "vero", "on", "off", "2", "-1", "01",
               "+1", "1.0", "ja", "truee", "   "]


@pytest.mark.parametrize("cells", [("true", c) for c in READER_BOOLS + OTHER_BOOLS]
                         + [("false", c) for c in READER_FALSE + ["falso", " no", "0.0"]])
def test_odd_booleans_match_polars(tmp_path, cells):
    old, new = cells
    path = write(tmp_path, "sites.csv", SITES_CSV.replace(old, new, 1))
    assert outcome([(SITES, path)], False) == outcome([(SITES, path)], True)
    if new in READER_BOOLS + READER_FALSE:
        *_, took = both_ways([(SITES, path)])
        assert took == [True]


@pytest.mark.parametrize("cell", [
    "2019-3-01", "2019-03-1", "2019/03/01", " 2019-03-01", "2019-03-01 ", "+2019-03-01",
    "02019-03-01", "2019-03-01T00:00:00", "2019-03-01 00:00:00", "0000-01-01",
    "-2019-03-01", "2019-03-01 (BC)", "epoch", "infinity", "20190301", "01/03/2019",
])
def test_odd_dates_match_polars(tmp_path, cell):
    """The reader's date parser is laxer than the contract: dates stay text-checked."""
    path = write(tmp_path, "sites.csv", SITES_CSV.replace("2019-03-01", cell))
    assert outcome([(SITES, path)], False) == outcome([(SITES, path)], True)


@pytest.mark.parametrize("cell", ["2023-1", "2023-01-01", " 2023-01", "2023/01", "202301",
                                  "+2023-01", "2023-13"])
def test_odd_months_match_polars(tmp_path, cell):
    sites = write(tmp_path, "sites.csv", SITES_CSV)
    path = write(tmp_path, "usage/1.csv", USAGE_CSV.replace("2023-01,1,", f"{cell},1,"))
    loads = [(SITES, sites), (USAGE, path)]
    assert outcome(loads, polars_only=False) == outcome(loads, polars_only=True)


@pytest.mark.parametrize("cells", [
    ("5", "+5"), ("5", "5.0"), ("5", "5.5"), ("5", "1e3"), ("5", "9" * 19), ("5", "-0"), ("5", "0x10"),
    ("5", "1_000"), ("5", "٣"), ("5", " 5"), ("5", "5 "), ("5", "\t5"), ("5", "05"), ("5", "5."),
    ("5", ".5"), ("5", "5.4"), ("5", "0b101"), ("5", "1E2"), ("5", "5e0"), ("5", "- 5"),
    ("5", "1,000"), ("5", "9" * 18), ("5", "-" + "9" * 18),
])
def test_odd_numbers_match_polars(tmp_path, cells):
    old, new = cells
    sites = write(tmp_path, "sites.csv", SITES_CSV)
    path = write(tmp_path, "usage/1.csv", USAGE_CSV.replace(f",{old},", f",{new},"))
    loads = [(SITES, sites), (USAGE, path)]
    assert outcome(loads, polars_only=False) == outcome(loads, polars_only=True)


@pytest.mark.parametrize("share", ["nan", "inf", "-inf", "1e-1", ".5", "5.", "0.50000000",
                                   "+0.5", " 0.5", "NaN", "Infinity", "1_0.5", "0x10", "1e400",
                                   "1E-1", "1.5e", "5d", "-0.0", "0,5"])
def test_odd_floats_match_polars(tmp_path, share):
    path = write(tmp_path, "sites.csv", SITES_CSV.replace("0.5", share))
    assert outcome([(SITES, path)], False) == outcome([(SITES, path)], True)


@pytest.mark.parametrize("name", ["blank line", "quote in cell", "quoted newline",
                                  "ragged", "nul byte", "trailing blank line",
                                  "two trailing blank lines", "no final newline",
                                  "blank last line without newline"])
def test_structural_oddities_match_polars(tmp_path, name):
    text = {
        "blank line": SITES_CSV.replace("\n2,", "\n\n2,"),
        "quote in cell": SITES_CSV.replace("Casa Jannacci", 'Casa "J" Jannacci'),
        "quoted newline": SITES_CSV.replace("Casa Jannacci", '"Casa\nJannacci"'),
        "ragged": SITES_CSV + "4,Short\n",
        "nul byte": SITES_CSV.replace("Ortles", "Ort\x00les"),
        "trailing blank line": SITES_CSV + "\n",
        "two trailing blank lines": SITES_CSV + "\n\n",
        "no final newline": SITES_CSV.rstrip("\n"),
        "blank last line without newline": SITES_CSV + "\n ",
    }[name]
    path = write(tmp_path, "sites.csv", text)
    assert outcome([(SITES, path)], False) == outcome([(SITES, path)], True)


def test_unicode_whitespace_is_trimmed_like_polars(tmp_path):
    path = write(tmp_path, "sites.csv", SITES_CSV.replace("Ortles", "\u3000Ortles\xa0\t"))
    fast, slow, *_ = both_ways([(SITES, path)])
    assert staged(fast, "t_sites").equals(staged(slow, "t_sites"))
    assert "Ortles" in staged(fast, "t_sites")["name"].to_list()


@pytest.mark.parametrize("name", ["\tOrtles", "Ortles\x0b", "\x0cOrtles", "Ort les", "Ortles ",
                                  "\x85Ortles", "Ortles\u2028", "\u200bOrtles", "Ortlès",
                                  "\u2000Ortles\u205f"])
def test_text_cells_are_trimmed_like_polars(tmp_path, name):
    """Text is stored untouched only when the file holds nothing the tolerant route trims."""
    path = write(tmp_path, "sites.csv", SITES_CSV.replace("  Città Studi ", "Citta_Studi")
                 .replace("Casa Jannacci", "Casa_Jannacci")
                 .replace("Ortles", name))
    fast, slow, _, _, took = both_ways([(SITES, path)])
    assert took == [True]
    assert staged(fast, "t_sites").equals(staged(slow, "t_sites"))


def test_orphan_with_error_policy_gives_the_polars_error(tmp_path):
    sites = write(tmp_path, "sites.csv", SITES_CSV)
    usage = write(tmp_path, "usage/1.csv", USAGE_CSV.replace("2023-02,1,", "2023-02,9,"))
    loads = [(SITES, sites), (USAGE, usage)]
    expected = outcome(loads, polars_only=True)
    assert "'9' has no match in t_sites.site_id" in expected or "9 has no match" in expected
    assert outcome(loads, polars_only=False) == expected


# ------------------------------------------------------- (c) report findings


def test_report_policy_orphans_give_the_same_findings(tmp_path):
    stations = write(tmp_path, "stations.csv", "station_id\n1\n2\n3\n")
    lines = ["station_id,at,bikes"]
    orphans = ["9", "10", "100", "A", "b", "Z", "11", "12", "13", "14", "15", "16"]
    for i, sid in enumerate(["1", "2", *orphans, "9", "3"]):
        lines.append(f"{sid},2023-01-01T00:{i:02d}:00Z,{i}")
    status = write(tmp_path, "status/1.csv", "\n".join(lines) + "\n")
    fast, slow, fast_findings, slow_findings, took = both_ways(
        [(STATIONS, stations), (STATUS, status)])
    assert took == [True, True]
    assert fast_findings == slow_findings
    assert fast_findings[0]["rows"] == len(orphans) + 1
    assert staged(fast, "t_status").equals(staged(slow, "t_status"))


def test_report_policy_without_orphans_has_no_finding(tmp_path):
    stations = write(tmp_path, "stations.csv", "station_id\n1\n")
    status = write(tmp_path, "status/1.csv", "station_id,at,bikes\n1,2023-01-01T00:00:00Z,3\n")
    *_, fast_findings, slow_findings, took = both_ways([(STATIONS, stations),
                                                        (STATUS, status)])
    assert fast_findings == slow_findings == [] and took == [True, True]


# -------------------------------------------------------------- (d) variants


@pytest.mark.parametrize("variant", ["semicolon", "bom", "crlf", "decimal_comma", "latin1"])
def test_portal_variants_stage_identically(tmp_path, variant):
    text = SITES_CSV
    if variant in ("semicolon", "decimal_comma"):
        text = text.replace(",", ";")
    if variant == "decimal_comma":
        text = text.replace("0.5", "0,5").replace("1.0", "1,0")
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    raw = text.encode("cp1252" if variant == "latin1" else "utf-8")
    if variant == "bom":
        raw = b"\xef\xbb\xbf" + raw
    path = write(tmp_path, "sites.csv", raw)
    plain = write(tmp_path, "plain.csv", SITES_CSV)
    fast, slow, *_ = both_ways([(SITES, path)])
    reference, *_ = both_ways([(SITES, plain)])
    assert staged(fast, "t_sites").equals(staged(slow, "t_sites"))
    assert staged(fast, "t_sites").equals(staged(reference, "t_sites"))


def test_partitions_append_and_keys_are_checked_per_file(tmp_path):
    """The composite key is unique within a partition, as in the Polars path."""
    sites = write(tmp_path, "sites.csv", SITES_CSV)
    one = write(tmp_path, "usage/1.csv", USAGE_CSV)
    two = write(tmp_path, "usage/2.csv", USAGE_CSV)  # same keys again, another file
    fast, slow, _, _, took = both_ways([(SITES, sites), (USAGE, one), (USAGE, two)])
    assert took == [True, True, True]
    assert staged(fast, "t_usage").height == 6
    assert staged(fast, "t_usage").equals(staged(slow, "t_usage"))


def test_blank_line_across_a_read_chunk_is_seen(tmp_path):
    """A blank line split between two 1 MiB reads still keeps the file off the fast path
    (the reader skips it where the tolerant route reads a row of nulls)."""
    body = b"s,n\n" + b"s,1\n" * (((1 << 20) - 4) // 4)
    assert len(body) == 1 << 20  # the first read ends on a newline
    path = write(tmp_path, "stations.csv", body + b"\n" + b"t,2\n")
    scan = scan_file(path)
    assert scan.lines == body.count(b"\n") + 2 and scan.first_line == b"s,n"
    lines = Contract(name="t_lines", path="stations.csv", format="csv", description="t",
                     source="t", columns=(Column("s", "str", nullable=True),
                                          Column("n", "int", nullable=True)))
    assert load_csv_fast(new_db(), lines, path, scan) is None
    assert outcome([(lines, path)], False) == outcome([(lines, path)], True)
    clean = write(tmp_path, "clean.csv", body + b"t,2")  # no final newline: still a line
    assert scan_file(clean).lines == body.count(b"\n") + 1
    assert load_csv_fast(new_db(), lines, clean, scan_file(clean)) is not None


def test_a_blank_line_in_a_one_column_file_is_a_null_row_on_both_routes(tmp_path):
    path = write(tmp_path, "stations.csv", "sid\na\n\nb\n")
    lines = Contract(name="t_lines", path="stations.csv", format="csv", description="t",
                     source="t", columns=(Column("sid", "str", nullable=True),))
    assert outcome([(lines, path)], False) == outcome([(lines, path)], True)


# ------------------------------------------------- (e) one definition, one path


def test_a_rule_written_once_binds_both_routes(tmp_path, monkeypatch):
    """The rules are one SQL list: a rule added there refuses the file on either route."""
    import etl.staging
    import etl.validate

    real = etl.validate.rules

    def with_extra(contract, names, table, parents, raw):
        extra = etl.validate.Rule("max", contract.column("capacity"), '"capacity" > 100',
                                  'count(*) FILTER (WHERE "capacity" > 100)')
        return [*real(contract, names, table, parents, raw), extra]

    monkeypatch.setattr(etl.validate, "rules", with_extra)
    monkeypatch.setattr(etl.staging, "rules", with_extra)
    path = write(tmp_path, "sites.csv", SITES_CSV)
    con = new_db()
    assert load_csv_fast(con, SITES, path, scan_file(path)) is None, "fast route refuses"
    for polars_only in (True, False):
        assert outcome([(SITES, path)], polars_only) == (
            f"error: {path}, row 2, column 'capacity': 120 is above the maximum 500"), \
            "the tolerant route names the row (the message text comes from the column's max)"


def test_identifiers_are_quoted_on_both_routes(tmp_path):
    """Contract and column names that are SQL keywords or hold spaces stage alike."""
    odd = Contract(name="t sites", path="odd.csv", format="csv", description="t", source="t",
                   key=("from",),
                   columns=(Column("from", "int", unique=True), Column("a b", "str")))
    path = write(tmp_path, "odd.csv", "from,a b\n1,x\n2,y\n")
    fast, slow, _, _, took = both_ways([(odd, path)])
    assert took == [True]
    assert staged(fast, '"t sites"').equals(staged(slow, '"t sites"'))
    assert staged(fast, '"t sites"')["a b"].to_list() == ["x", "y"]
    dup = write(tmp_path, "dup.csv", "from,a b\n1,x\n1,y\n")
    assert outcome([(odd, dup)], False) == outcome([(odd, dup)], True)
    assert "duplicate value 1" in outcome([(odd, dup)], False)


# ------------------------------------------------ (f) one pass into staging


def big_status(rows: int, last: str | None = None) -> str:
    """A station_status partition of ``rows`` rows (several reader chunks); ``last``
    replaces its final row."""
    lines = ["station_id,at,bikes"] + [
        f"{i % 7 + 1},2023-01-{i // 86400 % 28 + 1:02d}T{i // 3600 % 24:02d}:"
        f"{i // 60 % 60:02d}:{i % 60:02d}Z,{i % 40}" for i in range(rows)]
    if last is not None:
        lines[-1] = last
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("last", ["9,2023-02-01T00:00:00Z,-1",          # breaks a rule
                                  "9,2023-02-01T00:00:00Z,1_000",       # not canonical
                                  "9,2023-02-01T24:00:00Z,1",           # reader refuses
                                  "1,2023-01-01T00:00:00Z,3"])          # repeats a key
def test_a_bad_last_row_leaves_nothing_appended(tmp_path, last):
    """The fast route appends in place: a file refused at its last row is undone whole,
    and the next file's checks see only its own rows (row ids given back)."""
    stations = write(tmp_path, "stations.csv", "station_id\n" + "\n".join(map(str, range(1, 8))))
    good = write(tmp_path, "status/1.csv", big_status(1000))
    bad = write(tmp_path, "status/2.csv", big_status(300_000, last))
    con = new_db()
    stage_file(con, STATIONS, stations)
    assert stage_file(con, STATUS, good).fast
    assert load_csv_fast(con, STATUS, bad, scan_file(bad)) is None
    assert con.execute("SELECT count(*) FROM staging.t_status").fetchall() == [(1000,)]
    with pytest.raises(LandingError) as error:
        stage_file(con, STATUS, bad)
    assert error.value.file == str(bad) and error.value.row == 300_001
    assert con.execute("SELECT count(*) FROM staging.t_status").fetchall() == [(1000,)]
    orphans = write(tmp_path, "status/3.csv", "station_id,at,bikes\n"
                    "8,2023-03-01T00:00:00Z,1\n1,2023-03-01T00:00:00Z,2\n")
    result = stage_file(con, STATUS, orphans)
    assert result.fast and result.rows == 2
    assert [(f["rows"], f["values"]) for f in result.findings] == [(1, "8")]
    assert con.execute("SELECT count(*) FROM staging.t_status").fetchall() == [(1002,)]


def test_a_refused_first_file_leaves_no_table(tmp_path):
    stations = write(tmp_path, "stations.csv", "station_id\n1\n")
    bad = write(tmp_path, "status/1.csv", big_status(200_000, "1,2023-02-01T00:00:00Z,-1"))
    con = new_db()
    stage_file(con, STATIONS, stations)
    assert load_csv_fast(con, STATUS, bad, scan_file(bad)) is None
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't_status'"
                       ).fetchall() == [(0,)]
