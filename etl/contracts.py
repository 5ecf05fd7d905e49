"""Landing contracts: the declared shape of every source file the ETL accepts.

A contract is data, not code: the validator (``etl.validate``), the staging loader,
``docs/landing.md`` and the open-data dictionaries all read the same declaration,
so a column documented is a column checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DType = Literal["int", "float", "str", "bool", "date", "datetime", "month"]
Format = Literal["csv", "geojson"]
FkPolicy = Literal["error", "report"]


@dataclass(frozen=True)
class Column:
    """One column of a landing file.

    ``dtype`` is the logical type after parsing: ``date`` is ISO ``YYYY-MM-DD``,
    ``month`` is ``YYYY-MM`` (stored as the first day of the month), ``datetime``
    is ISO 8601 in UTC (a trailing ``Z`` or offset is accepted and converted),
    ``bool`` accepts true/false, 1/0, si/no, yes/no.
    """

    name: str
    dtype: DType
    description: str = ""
    unit: str | None = None
    required: bool = True  # the column must be present in the header
    nullable: bool = False  # empty cells allowed
    unique: bool = False
    min: float | None = None
    max: float | None = None
    enum: tuple[str, ...] | None = None
    #: foreign key as "<contract name>.<column>"
    fk: str | None = None
    fk_policy: FkPolicy = "error"


@dataclass(frozen=True)
class Contract:
    """One landing source: where the file lives, what it holds, how it is checked.

    ``path`` is relative to the landing folder; a ``*`` makes it a glob of
    partitions (e.g. one file per month of telemetry) that are validated one by
    one and loaded into one staging table named ``staging.<name>``.
    GeoJSON contracts map feature properties to columns and add a ``geometry``
    column holding the feature geometry as GeoJSON text.
    """

    name: str
    path: str
    format: Format
    columns: tuple[Column, ...]
    description: str
    source: str
    key: tuple[str, ...] = ()
    optional: bool = False
    geometry_types: tuple[str, ...] = ()
    encoding_note: str = "UTF-8 (BOM tolerated); Latin-1 accepted as fallback"
    separator_note: str = "',' or ';' (detected from the header)"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def is_partitioned(self) -> bool:
        return "*" in self.path
