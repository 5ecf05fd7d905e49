"""The open-data catalogue: which marts are published, with their metadata.

Every published dataset is declared exactly once here: id, mart table, titles and
descriptions in Italian and English, EU theme, keywords, frequency, axis,
coverage and a data dictionary (unit and IT/EN description per column). At
build time :func:`write_catalog` reads the *actual* schema of each mart, so the
types in ``meta.dataset_columns`` always match what downloads and the API serve.
A declared dataset whose mart (or one of whose columns) is missing is skipped
with a build warning, so domains under construction never break the build; the
test suite checks that the final build publishes every declared dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from etl.calendar import ELIGIBILITY, TELEMETRY

PUBLISHER_IT = "Comune di Milano"
PUBLISHER_IPA = "c_f205"
LICENCE_ID = "CC-BY-4.0"
LICENCE_TITLE = "Creative Commons Attribution 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

SUPPRESSION_IT = (
    "Dati aggregati, nessun dato personale. Soppressione primaria: i conteggi tra 1 e 4 "
    "(tra 1 e 9 per le categorie particolari, es. disabilità) sono oscurati: valore vuoto e "
    "flag = 'c'; gli zeri sono pubblicati. Soppressione secondaria: in ogni gruppo di celle il "
    "cui totale è pubblicato o ricavabile (stesso mese o giorno) vengono oscurate altre celle "
    "finché nessuna cella nascosta può essere ricalcolata dai totali. Lo schema è stabile nel "
    "tempo, quindi il confronto tra rilasci non rivela valori.")
SUPPRESSION_EN = (
    "Aggregates only, no personal data. Primary suppression: counts from 1 to 4 (1 to 9 for "
    "special categories such as disability) are suppressed: empty value and flag = 'c'; zeros "
    "are published. Secondary suppression: in every group of cells whose total is published "
    "or derivable (same month or day) further cells are suppressed until no hidden cell can "
    "be recomputed from totals. The pattern is stable over time, so comparing releases "
    "reveals nothing.")


@dataclass(frozen=True)
class Col:
    """One column of a published dataset: unit and the IT/EN description."""

    name: str
    it: str = ""
    en: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Dataset:
    """One published dataset, backed by one mart table and declared beside that mart's SQL
    (``dataset=`` of an :class:`etl.marts.Mart` in ``etl/domains/<domain>/``)."""

    id: str
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    theme: str  # EU data-theme code
    keywords: tuple[str, ...]
    frequency: str  # EU frequency code
    columns: tuple[Col | str, ...]
    order_by: tuple[str, ...]
    axis: int | None = None
    spatial_it: str = "Comune di Milano"
    temporal: tuple[date, date] | None = None
    lon: str | None = None  # located by point columns ...
    lat: str | None = None
    geometry: str | None = None  # ... or by a GeoJSON geometry column
    suppressed: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    table: str = ""  # the mart it is declared beside (etl.marts.Mart sets it)
    domain: str = ""  # the domain package it is declared in (etl.domains.datasets sets it)


#: Columns that mean the same thing in every dataset.
COMMON: dict[str, Col] = {c.name: c for c in (
    Col("nil_id", "Codice del NIL (Nucleo di Identità Locale); vuoto fuori dal comune",
        "NIL (local identity unit) code; empty outside the city"),
    Col("municipio_id", "Numero del municipio (1-9); vuoto fuori dal comune",
        "Municipio (district) number (1-9); empty outside the city"),
    Col("project_code", "Codice del progetto PON Metro (es. MI4.1.1.b)",
        "PON Metro project code (e.g. MI4.1.1.b)"),
    Col("axis_id", "Asse del programma (1-4)", "Programme axis (1-4)"),
    Col("lon", "Longitudine WGS84", "WGS84 longitude", "degrees"),
    Col("lat", "Latitudine WGS84", "WGS84 latitude", "degrees"),
    Col("month", "Mese (primo giorno del mese)", "Month (first day of the month)"),
    Col("date", "Giorno", "Day"),
    Col("hour", "Ora di inizio, UTC", "Start of the hour, UTC"),
    Col("name", "Nome", "Name"),
    Col("address", "Indirizzo", "Address"),
    Col("geometry", "Geometria GeoJSON (WGS84)", "GeoJSON geometry (WGS84)"),
    Col("station_id", "Identificativo della stazione bike sharing", "Bike-sharing station id"),
    Col("area_id", "Identificativo dell'area di mobilità condivisa", "Shared-mobility area id"),
    Col("site_id", "Identificativo della sede del servizio", "Service site id"),
    Col("vehicle_type_id", "Tipo di veicolo (GBFS)", "Vehicle type (GBFS)"),
    Col("indicator_code", "Codice dell'indicatore (es. CO40, IO01)",
        "Indicator code (e.g. CO40, IO01)"),
    Col("year", "Anno", "Year"),
    Col("flag", "Flag di riservatezza: 'c' = valore oscurato, altrimenti vuoto",
        "Confidentiality flag: 'c' = suppressed value, otherwise empty"),
    Col("centroid_lon", "Longitudine del centroide", "Centroid longitude", "degrees"),
    Col("centroid_lat", "Latitudine del centroide", "Centroid latitude", "degrees"),
    Col("area_m2", "Superficie", "Area", "m2"),
)}

#: Programme datasets cover the eligibility period (etl.calendar says why, not the data years).
PROGRAMME_YEARS = (ELIGIBILITY.start, ELIGIBILITY.end)
TELEMETRY_YEARS = (TELEMETRY.start, TELEMETRY.end)


def _resolve(col: Col | str) -> Col:
    if isinstance(col, Col):
        return col
    return COMMON[col]


def declared_columns(ds: Dataset) -> list[Col]:
    return [_resolve(c) for c in ds.columns]


def _mart_schema(con: duckdb.DuckDBPyConnection, qualified: str) -> dict[str, str] | None:
    schema, table = qualified.split(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table]).fetchall()
    return {name: dtype for name, dtype in rows} or None


def _warn(ctx, ds: Dataset, column: str, reason: str) -> None:
    ctx.findings.append({"contract": "catalog", "file": ds.table, "column": column,
                         "check": f"publication of dataset '{ds.id}' ({reason})",
                         "rows": 0, "values": "dataset skipped"})


def write_catalog(con: duckdb.DuckDBPyConnection, ctx, declared: tuple[Dataset, ...]) -> None:
    """Write ``meta.datasets`` and ``meta.dataset_columns`` for the ``declared`` datasets
    (``etl.domains.datasets()``) whose marts were built."""
    modified = ctx.built_at.replace(tzinfo=None)
    datasets, columns = [], []
    for ds in declared:
        schema = _mart_schema(con, ds.table)
        if schema is None:
            _warn(ctx, ds, "*", "mart table missing")
            continue
        declared = declared_columns(ds)
        missing = [c.name for c in declared if c.name not in schema]
        if missing:
            _warn(ctx, ds, ", ".join(missing), "declared column missing from the mart")
            continue
        rows = con.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0]  # noqa: S608 (declared name)
        start, end = ds.temporal or (None, None)
        datasets.append({
            "dataset_id": ds.id, "table_name": ds.table, "domain": ds.domain,
            "title_it": ds.title_it, "title_en": ds.title_en,
            "description_it": ds.description_it, "description_en": ds.description_en,
            "theme": ds.theme, "keywords": list(ds.keywords), "frequency": ds.frequency,
            "axis_id": ds.axis, "spatial": ds.spatial_it,
            "temporal_start": start, "temporal_end": end,
            "modified": modified, "rows": rows,
            "lon_column": ds.lon, "lat_column": ds.lat, "geometry_column": ds.geometry,
            "suppressed": ds.suppressed,
            "suppression_it": SUPPRESSION_IT if ds.suppressed else None,
            "suppression_en": SUPPRESSION_EN if ds.suppressed else None,
            "order_by": list(ds.order_by),
            "publisher": PUBLISHER_IT, "publisher_ipa": PUBLISHER_IPA,
            "licence_id": LICENCE_ID, "licence_url": LICENCE_URL,
        })
        for pos, col in enumerate(declared, start=1):
            columns.append({"dataset_id": ds.id, "position": pos, "column_name": col.name,
                            "data_type": schema[col.name], "unit": col.unit or None,
                            "description_it": col.it, "description_en": col.en})
    ctx.write_table(con, "meta.datasets", pl.DataFrame(datasets, schema={
        "dataset_id": pl.String, "table_name": pl.String, "domain": pl.String,
        "title_it": pl.String, "title_en": pl.String, "description_it": pl.String,
        "description_en": pl.String, "theme": pl.String, "keywords": pl.List(pl.String),
        "frequency": pl.String, "axis_id": pl.Int32, "spatial": pl.String,
        "temporal_start": pl.Date, "temporal_end": pl.Date, "modified": pl.Datetime("us"),
        "rows": pl.Int64, "lon_column": pl.String, "lat_column": pl.String,
        "geometry_column": pl.String, "suppressed": pl.Boolean,
        "suppression_it": pl.String, "suppression_en": pl.String,
        "order_by": pl.List(pl.String), "publisher": pl.String,
        "publisher_ipa": pl.String, "licence_id": pl.String, "licence_url": pl.String}))
    ctx.write_table(con, "meta.dataset_columns", pl.DataFrame(columns, schema={
        "dataset_id": pl.String, "position": pl.Int32, "column_name": pl.String,
        "data_type": pl.String, "unit": pl.String, "description_it": pl.String,
        "description_en": pl.String}))
