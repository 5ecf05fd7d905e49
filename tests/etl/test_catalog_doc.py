"""The dataset table of docs/open-data.md is generated from the mart records and must not drift."""

from __future__ import annotations

from dataclasses import replace

import pytest

from etl import catalog_doc
from etl.domains import datasets


def test_open_data_table_is_current():
    doc = catalog_doc.DOC.read_text("utf-8")
    assert doc == catalog_doc.render(doc), "run: .venv/bin/python -m etl.catalog_doc"


def test_table_lists_every_dataset_once_with_its_mart():
    table = catalog_doc.render_table()
    for ds in datasets():
        assert table.count(f"| `{ds.id}` | `{ds.table}` |") == 1, ds.id
    assert len(table.strip().splitlines()) == 2 + len(datasets())


def test_a_changed_declaration_changes_the_table(monkeypatch):
    first = datasets()[0]
    renamed = replace(first, title_en="A title no one wrote")
    monkeypatch.setattr(catalog_doc, "all_datasets",
                        lambda: (renamed, *datasets()[1:]))
    doc = catalog_doc.DOC.read_text("utf-8")
    assert "A title no one wrote" in catalog_doc.render(doc)
    assert catalog_doc.render(doc) != doc


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="markers"):
        catalog_doc.render("# Open data\n\nno table here\n")


def test_every_mart_table_is_declared_beside_its_sql():
    """A dataset's table is always the mart record it sits in (no hand-typed table name)."""
    from etl.domains import DOMAINS

    for domain in DOMAINS:
        for mart in domain.MARTS:
            if mart.dataset is not None:
                assert mart.dataset.table == f"mart.{mart.name}"
