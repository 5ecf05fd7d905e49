"""The catalogue written at build time: every declared dataset published, typed, documented."""

from __future__ import annotations

import duckdb
import pytest

from etl import catalog
from etl.domains import datasets

REQUIRED_TOPICS = {"nil", "municipi", "projects", "indicators", "indicator-values",
                   "project-finance-monthly", "housing-units-by-nil", "social-sites",
                   "social-usage-monthly", "bed-occupancy-daily", "bike-stations",
                   "station-status-hourly", "bay-occupancy-hourly", "trips-daily-od",
                   "mobility-areas", "cycle-routes"}
EU_THEMES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI",
             "SOCI", "TECH", "TRAN"}
EU_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "UNKNOWN"}


def test_every_declared_dataset_is_published(published):
    declared = {ds.id for ds in datasets()}
    assert declared == set(published), f"unpublished: {declared - set(published)}"
    assert len(published) >= 15
    assert REQUIRED_TOPICS <= set(published)


def test_ids_are_unique_and_url_safe():
    ids = [ds.id for ds in datasets()]
    assert len(ids) == len(set(ids))
    assert all(i.replace("-", "").isalnum() and i == i.lower() for i in ids)


@pytest.mark.parametrize("ds", datasets(), ids=lambda d: d.id)
def test_metadata_is_complete(ds, published):
    meta = published[ds.id]
    for key in ("title_it", "title_en", "description_it", "description_en"):
        assert meta[key] and "<" not in meta[key]
    assert meta["theme"] in EU_THEMES
    assert meta["frequency"] in EU_FREQUENCIES
    assert meta["keywords"]
    assert meta["publisher_ipa"] == "c_f205"
    assert meta["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert meta["modified"] is not None
    for col in meta["columns"]:
        assert col["description_it"] and col["description_en"], col["column_name"]


def test_dictionary_types_come_from_the_mart(warehouse, published):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for meta in published.values():
            schema, table = meta["table_name"].split(".")
            actual = dict(con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?", [schema, table]).fetchall())
            for col in meta["columns"]:
                assert actual[col["column_name"]] == col["data_type"]
            assert meta["rows"] == con.execute(
                f"SELECT count(*) FROM {meta['table_name']}").fetchall()[0][0]
    finally:
        con.close()


def test_missing_mart_is_skipped_with_a_warning(tmp_path):
    """A domain under construction must not break the build: the dataset is skipped."""
    from datetime import UTC, datetime

    from etl.build import BuildContext

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA mart")
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE mart.geo_municipi AS SELECT 1::BIGINT AS municipio_id, 'M1' AS name, "
                "'s' AS source, 9.1 AS centroid_lon, 45.4 AS centroid_lat, 1 AS area_m2, "
                "'{}' AS geometry, TRUE AS is_schematic")
    con.execute("CREATE TABLE mart.geo_nil AS SELECT 1 AS nil_id")  # columns missing
    ctx = BuildContext(landing=tmp_path, build_id="x", built_at=datetime.now(UTC), manifest={})
    catalog.write_catalog(con, ctx, datasets())
    assert [r[0] for r in con.execute("SELECT dataset_id FROM meta.datasets").fetchall()] == \
        ["municipi"]
    skipped = {f["file"] for f in ctx.findings}
    assert "mart.geo_nil" in skipped and "mart.programme_projects" in skipped
    assert any("declared column missing" in f["check"] for f in ctx.findings)
    con.close()


def _suppressed_count_columns(meta: dict) -> list[str]:
    return [c["column_name"] for c in meta["columns"]
            if "suppressed" in c["description_en"].lower()
            and c["data_type"] in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "DOUBLE")]


def test_no_social_count_between_1_and_4_in_published_tables(warehouse, published):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        scanned = 0
        for meta in published.values():
            if not meta["suppressed"]:
                continue
            for col in _suppressed_count_columns(meta):
                scanned += 1
                bad = con.execute(f'SELECT count(*) FROM {meta["table_name"]} '
                                  f'WHERE "{col}" BETWEEN 1 AND 4').fetchall()[0][0]
                assert bad == 0, f"{meta['dataset_id']}.{col}"
                unflagged = con.execute(f'SELECT count(*) FROM {meta["table_name"]} '
                                        f'WHERE "{col}" IS NULL AND flag IS DISTINCT FROM \'c\''
                                        ).fetchall()[0][0]
                assert unflagged == 0
        assert scanned >= 2
    finally:
        con.close()
