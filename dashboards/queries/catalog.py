"""The published-dataset catalogue as the app sees it (``meta.datasets`` + dictionary).

A dataset's ``modified`` is the later of its build and the newest ingested batch of
a landing contract it is made from (``queries.freshness``), so the dataset page, the
CKAN API and DCAT all follow the data.

The catalogue is small (tens of datasets), so it is read once per build and
searched in Python; the list of dataset ids and column names read here is the
allow-list every other query of the hub checks user input against.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from dashboards import formats, warehouse
from dashboards.cache import memoize_in_process
from dashboards.queries import freshness

THEME_LABELS = {
    "REGI": ("Regioni e città", "Regions and cities"),
    "GOVE": ("Governo e settore pubblico", "Government and public sector"),
    "ECON": ("Economia e finanze", "Economy and finance"),
    "SOCI": ("Popolazione e società", "Population and society"),
    "TRAN": ("Trasporti", "Transport"),
}
FREQUENCY_LABELS = {
    "DAILY": ("Giornaliera", "Daily"), "MONTHLY": ("Mensile", "Monthly"),
    "QUARTERLY": ("Trimestrale", "Quarterly"), "ANNUAL": ("Annuale", "Annual"),
    "IRREG": ("Irregolare", "Irregular"),
}
FACETS = ("theme", "axis", "format", "frequency")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    unit: str | None
    description_it: str
    description_en: str

    @property
    def is_complex(self) -> bool:
        """Lists, structs and maps: written as text in CSV/XLSX, not filterable."""
        t = self.data_type.upper()
        return t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION"))

    @property
    def family(self) -> str:
        """integer | number | boolean | date | datetime | string | complex."""
        t = self.data_type.upper()
        if self.is_complex:
            return "complex"
        if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                 "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}:
            return "integer"
        if t in {"FLOAT", "DOUBLE", "REAL"} or t.startswith("DECIMAL"):
            return "number"
        if t == "BOOLEAN":
            return "boolean"
        if t == "DATE":
            return "date"
        if t.startswith("TIMESTAMP"):
            return "datetime"
        return "string"


@dataclass(frozen=True)
class Dataset:
    id: str
    table: str
    domain: str
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    theme: str
    keywords: tuple[str, ...]
    frequency: str
    axis_id: int | None
    spatial: str
    temporal_start: Any
    temporal_end: Any
    modified: Any
    rows: int
    lon_column: str | None
    lat_column: str | None
    geometry_column: str | None
    suppressed: bool
    suppression_it: str | None
    suppression_en: str | None
    order_by: tuple[str, ...]
    publisher: str
    publisher_ipa: str
    licence_id: str
    licence_url: str
    columns: tuple[Column, ...]

    @property
    def located(self) -> bool:
        return bool(self.geometry_column or (self.lon_column and self.lat_column))

    @property
    def formats(self) -> tuple[formats.Format, ...]:
        """The output formats offered (the registry decides, e.g. GeoJSON if located)."""
        return formats.for_dataset(self)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_it

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_it

    def text(self) -> str:
        """Everything a free-text search matches against, lower case."""
        return " ".join([self.id, self.title_it, self.title_en, self.description_it,
                         self.description_en, self.theme, self.domain, *self.keywords,
                         *self.column_names]).lower()


@memoize_in_process
def _load() -> tuple[Dataset, ...]:
    metas = warehouse.query("SELECT * FROM meta.datasets ORDER BY dataset_id").to_dicts()
    cols = warehouse.query(
        "SELECT dataset_id, column_name, data_type, unit, description_it, description_en "
        "FROM meta.dataset_columns ORDER BY dataset_id, position").to_dicts()
    by_ds: dict[str, list[Column]] = {}
    for c in cols:
        by_ds.setdefault(c["dataset_id"], []).append(Column(
            c["column_name"], c["data_type"], c["unit"], c["description_it"] or "",
            c["description_en"] or ""))
    ingested = freshness.dataset_modified()
    out = []
    for m in metas:
        did = m.pop("dataset_id")
        if did in ingested:  # the data changed after the build: modified follows them
            m["modified"] = max(m["modified"], ingested[did])
        out.append(Dataset(
            id=did, table=m.pop("table_name"), keywords=tuple(m.pop("keywords") or ()),
            order_by=tuple(m.pop("order_by") or ()), columns=tuple(by_ds.get(did, ())),
            **m))
    return tuple(out)


def datasets() -> tuple[Dataset, ...]:
    """Every published dataset of the current build, sorted by id."""
    return _load()


def get(dataset_id: object) -> Dataset | None:
    """The dataset with this id, or None (ids are compared, never put into SQL)."""
    if not isinstance(dataset_id, str):
        return None
    for ds in datasets():
        if ds.id == dataset_id:
            return ds
    return None


def ids() -> tuple[str, ...]:
    return tuple(ds.id for ds in datasets())


def facet_value(ds: Dataset, facet: str) -> list[str]:
    """The values of one facet for a dataset (a dataset has several formats)."""
    if facet == "theme":
        return [ds.theme]
    if facet == "axis":
        return [str(ds.axis_id)] if ds.axis_id else []
    if facet == "format":
        return [f.key for f in ds.formats]
    if facet == "frequency":
        return [ds.frequency]
    return []


_WORD = re.compile(r"[\w'-]+", re.UNICODE)


def matches_text(ds: Dataset, q: str) -> bool:
    """True when every word of ``q`` occurs in the dataset's text (case-insensitive)."""
    words = _WORD.findall((q or "").lower())
    text = ds.text()
    return all(w in text for w in words)


def search(q: str = "", selected: dict[str, list[str]] | None = None
           ) -> tuple[list[Dataset], dict[str, Counter]]:
    """Datasets matching ``q`` and every selected facet value, with facet counts.

    Counts for a facet are computed with the other facets applied (the usual
    "drill-down" behaviour), so each count says how many results that click gives.
    """
    selected = {k: [v for v in vs if v] for k, vs in (selected or {}).items() if k in FACETS}
    pool = [ds for ds in datasets() if matches_text(ds, q)]

    def passes(ds: Dataset, skip: str | None) -> bool:
        for facet, values in selected.items():
            if facet != skip and values and not set(values) & set(facet_value(ds, facet)):
                return False
        return True

    results = [ds for ds in pool if passes(ds, None)]
    counts = {facet: Counter(v for ds in pool if passes(ds, facet)
                             for v in facet_value(ds, facet)) for facet in FACETS}
    return results, counts
