"""The registry of output formats: one record per format, read by everything that offers one.

Downloads (route, media type, projection, writer, file name), the CKAN resources and
Data Package descriptions, the DCAT distributions, the dataset page, the catalogue
facets and the chart downloads all read these records, so a format is added here
and only here. The records are data; the writers they name live in ``writers.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import pyarrow as pa

from dashboards import writers

if TYPE_CHECKING:  # the catalogue imports this module, not the other way round
    from dashboards.queries.catalog import Dataset

#: The EU file-type authority table (DCAT ``dct:format``).
EU_FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
#: How the query layer renders values for a format (``datastore._projection``).
PROJECTIONS = ("native", "csv", "excel_csv", "xlsx", "json")


@dataclass(frozen=True)
class Format:
    """One output format.

    ``chunks`` streams bytes batch by batch; ``file`` writes a finished file (Parquet
    footer, XLSX zip directory) that is then streamed with its length. Exactly one is set.
    ``whole_file``: the unfiltered download is written once per data identity and sent
    from disk (``dashboards/hub/wholefiles.py``).
    A ``variant`` (e.g. ``excel`` for ``?excel=1``) shares its ``key`` with a listed
    format and is offered as a download link but not as a resource or distribution.
    """

    key: str  # file extension and URL suffix: /download/<id>.<key>
    label: str  # format name in CKAN resources
    tag: str  # short name in the catalogue facets
    name_it: str  # download link text on the dataset page
    name_en: str
    media_type: str  # IANA media type (CKAN mimetype, chart downloads)
    eu_file_type: str  # code in EU_FILE_TYPES
    mode: str  # projection of the query layer (see datastore._projection)
    chunks: Callable[[pa.RecordBatchReader, Any], Iterator[bytes]] | None = None
    file: Callable[[pa.RecordBatchReader, Any], IO[bytes]] | None = None
    charset: str | None = None  # added to the download's Content-Type
    located_only: bool = False  # offered only for datasets with coordinates or geometry
    variant: str = ""
    flags: tuple[str, ...] = ()  # query flags choosing a variant (?excel=1)
    whole_file: bool = False

    def __post_init__(self) -> None:
        if (self.chunks is None) == (self.file is None):
            raise ValueError(f"format {self.key}: give exactly one of chunks or file")
        if self.mode not in PROJECTIONS:
            raise ValueError(f"format {self.key}: unknown projection {self.mode!r}")
        if bool(self.variant) != bool(self.flags):
            raise ValueError(f"format {self.key}: a variant needs its query flags")

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type

    @property
    def eu_file_type_uri(self) -> str:
        return EU_FILE_TYPES + self.eu_file_type

    @property
    def slug(self) -> str:
        """``csv``, or ``csv-excel`` for a variant (file-name suffix, page data attribute)."""
        return f"{self.key}-{self.variant}" if self.variant else self.key

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_it

    def applies_to(self, ds: Dataset) -> bool:
        return ds.located or not self.located_only

    def file_name(self, stem: str) -> str:
        return f"{stem}-{self.variant}.{self.key}" if self.variant else f"{stem}.{self.key}"

    def write(self, reader: pa.RecordBatchReader, ds: Any, out: IO[bytes]) -> None:
        """The whole download into ``out``: the bytes a streamed response sends."""
        if self.chunks is not None:
            for chunk in self.chunks(reader, ds):
                out.write(chunk)
        else:
            with self.file(reader, ds) as fh:
                shutil.copyfileobj(fh, out, writers.CHUNK)

    def href(self, dataset_id: str) -> str:
        return f"/download/{dataset_id}.{self.key}" + (f"?{self.flags[0]}=1" if self.flags
                                                      else "")


def _geojson(reader: pa.RecordBatchReader, ds: Any) -> Iterator[bytes]:
    return writers.geojson_chunks(reader, geometry=ds.geometry_column, lon=ds.lon_column,
                                  lat=ds.lat_column)


#: Every format, in the order they are listed (resources, distributions, links, facets).
FORMATS: list[Format] = [
    Format("csv", "CSV", "CSV", "CSV (UTF-8)", "CSV (UTF-8)", "text/csv", "CSV", "csv",
           chunks=lambda reader, ds: writers.csv_chunks(reader), charset="utf-8",
           whole_file=True),
    Format("xlsx", "XLSX", "XLSX", "Excel (XLSX)", "Excel (XLSX)",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
           "xlsx", file=lambda reader, ds: writers.xlsx_file(reader, sheet_title=ds.id)),
    Format("parquet", "Parquet", "PARQUET", "Parquet", "Parquet",
           "application/vnd.apache.parquet", "PARQUET", "native",
           file=lambda reader, ds: writers.parquet_file(reader), whole_file=True),
    Format("json", "JSON", "JSON", "JSON", "JSON", "application/json", "JSON", "json",
           chunks=lambda reader, ds: writers.json_chunks(reader)),
    Format("geojson", "GeoJSON", "GeoJSON", "GeoJSON", "GeoJSON", "application/geo+json",
           "GEOJSON", "native", chunks=_geojson, located_only=True),
    Format("csv", "CSV", "CSV", "CSV per Excel (punto e virgola, BOM)",
           "CSV for Excel (semicolon, BOM)", "text/csv", "CSV", "excel_csv",
           chunks=lambda reader, ds: writers.csv_chunks(reader, delimiter=";", bom=True),
           charset="utf-8", variant="excel", flags=("excel", "bom"), whole_file=True),
]


def listed() -> list[Format]:
    """The formats offered as resources and distributions (no variants)."""
    return [f for f in FORMATS if not f.variant]


def for_dataset(ds: Dataset) -> tuple[Format, ...]:
    """The formats one dataset is offered in (GeoJSON only for located ones)."""
    return tuple(f for f in listed() if f.applies_to(ds))


def links(ds: Dataset) -> tuple[Format, ...]:
    """Every download of a dataset, variants included (the dataset page)."""
    return tuple(f for f in FORMATS if f.applies_to(ds))


def variant_flags() -> set[str]:
    """Query parameters that choose a variant, not filters."""
    return {flag for f in FORMATS for flag in f.flags}


def get(key: str, variant: str = "") -> Format | None:
    for fmt in FORMATS:
        if fmt.key == key and fmt.variant == variant:
            return fmt
    return None


def by_key(key: str) -> Format:
    """A listed format by its key; KeyError names the key when it is unknown."""
    fmt = get(key)
    if fmt is None:
        raise KeyError(f"unknown output format {key!r}")
    return fmt
