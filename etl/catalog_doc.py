"""Render the dataset table of docs/open-data.md from the catalogue (kept in sync by a test).

``python -m etl.catalog_doc`` rewrites the table between the markers in place, as
``ponmetro contracts`` regenerates docs/landing.md from the landing contracts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from etl.catalog import Dataset
from etl.domains import datasets as all_datasets

DOC = Path(__file__).resolve().parents[1] / "docs" / "open-data.md"
BEGIN = ("<!-- datasets: generated from the mart records (etl/domains/*/), "
         "python -m etl.catalog_doc -->")
END = "<!-- /datasets -->"


def _notes(ds: Dataset) -> str:
    notes = []
    if ds.lon or ds.geometry:
        notes.append("GeoJSON")
    if ds.suppressed:
        notes.append("suppressed")
    return ", ".join(notes)


def render_table() -> str:
    lines = ["| id | mart | title | theme | frequency | axis | notes |",
             "|---|---|---|---|---|---|---|"]
    for ds in all_datasets():
        axis = str(ds.axis) if ds.axis is not None else "–"
        cells = [f"`{ds.id}`", f"`{ds.table}`", ds.title_en, ds.theme, ds.frequency, axis,
                 _notes(ds)]
        lines.append(("| " + " | ".join(cells) + " |").replace("|  |", "| |"))
    return "\n".join(lines) + "\n"


def render(doc: str) -> str:
    """``doc`` with the text between the markers replaced by the current table."""
    head, found, rest = doc.partition(BEGIN + "\n")
    if not found or END not in rest:
        raise ValueError(f"{DOC.name}: dataset table markers missing")
    return head + BEGIN + "\n" + render_table() + END + rest.split(END, 1)[1]


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text("utf-8")), "utf-8")
    sys.exit(0)
