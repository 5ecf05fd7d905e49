"""Descriptions of a dataset for machines: CKAN package dicts, Frictionless packages.

Built from the catalogue only (no SQL), with absolute URLs under the request's
base URL, so the same dataset looks the same through every door.
"""

from __future__ import annotations

from typing import Any

from dashboards import formats
from dashboards.formats import Format
from dashboards.queries.catalog import FREQUENCY_LABELS, THEME_LABELS, Dataset
from etl.catalog import LICENCE_ID, LICENCE_TITLE, LICENCE_URL

ORG_NAME = "comune-di-milano"
ORG_TITLE = "Comune di Milano"
#: The format whose resource is the DataStore table and carries the dataset id.
DATASTORE_FORMAT = "csv"
#: The format of the data files of Data Packages and of the whole-catalogue zip.
PACKAGE_FORMAT = "csv"
FRICTIONLESS_TYPES = {"integer": "integer", "number": "number", "boolean": "boolean",
                      "date": "date", "datetime": "datetime", "string": "string",
                      "complex": "string"}


def resource_id(ds: Dataset, fmt: Format) -> str:
    """The CSV resource carries the dataset id (it is the DataStore table)."""
    return ds.id if fmt.key == DATASTORE_FORMAT else f"{ds.id}.{fmt.key}"


def download_url(base: str, ds: Dataset, fmt: Format) -> str:
    return f"{base}download/{ds.id}.{fmt.key}"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def organization() -> dict[str, Any]:
    return {"id": ORG_NAME, "name": ORG_NAME, "title": ORG_TITLE, "type": "organization",
            "description": "Comune di Milano (codice IPA c_f205)", "is_organization": True,
            "state": "active", "approval_status": "approved", "image_url": ""}


def group(theme: str, count: int | None = None) -> dict[str, Any]:
    label_it, label_en = THEME_LABELS.get(theme, (theme, theme))
    out = {"id": theme.lower(), "name": theme.lower(), "title": label_it,
           "display_name": label_it, "description": label_en, "type": "group",
           "state": "active", "is_organization": False, "image_display_url": ""}
    if count is not None:
        out["package_count"] = count
    return out


def resource(base: str, ds: Dataset, fmt: Format, position: int) -> dict[str, Any]:
    return {
        "id": resource_id(ds, fmt), "package_id": ds.id, "position": position,
        "name": f"{ds.title_it} ({fmt.label})", "format": fmt.label,
        "mimetype": fmt.media_type,
        "url": download_url(base, ds, fmt), "url_type": "", "state": "active",
        "description": ds.description_it, "datastore_active": fmt.key == DATASTORE_FORMAT,
        "created": _iso(ds.modified), "last_modified": _iso(ds.modified),
        "metadata_modified": _iso(ds.modified), "license_type": ds.licence_url,
        "distribution_format": fmt.label,
    }


def package(base: str, ds: Dataset) -> dict[str, Any]:
    """A CKAN package dict with the ckanext-dcatapit fields dati.gov.it harvests."""
    resources = [resource(base, ds, fmt, i) for i, fmt in enumerate(ds.formats)]
    modified = _iso(ds.modified)
    return {
        "id": ds.id, "name": ds.id, "title": ds.title_it, "notes": ds.description_it,
        "title_translated": {"it": ds.title_it, "en": ds.title_en},
        "notes_translated": {"it": ds.description_it, "en": ds.description_en},
        "type": "dataset", "state": "active", "private": False, "isopen": True,
        "license_id": ds.licence_id, "license_title": LICENCE_TITLE,
        "license_url": ds.licence_url, "owner_org": ORG_NAME,
        "organization": organization(), "author": ds.publisher,
        "maintainer": ds.publisher, "url": f"{base}data/{ds.id}", "version": None,
        "metadata_created": modified, "metadata_modified": modified,
        "tags": [{"name": k, "display_name": k, "state": "active"} for k in ds.keywords],
        "groups": [group(ds.theme)], "num_tags": len(ds.keywords),
        "resources": resources, "num_resources": len(resources), "extras": [],
        # ckanext-dcatapit
        "identifier": f"{ds.publisher_ipa}:{ds.id}", "theme": ds.theme,
        "publisher_name": ds.publisher, "publisher_identifier": ds.publisher_ipa,
        "holder_name": ds.publisher, "holder_identifier": ds.publisher_ipa,
        "modified": ds.modified.date().isoformat(), "frequency": ds.frequency,
        "frequency_label": FREQUENCY_LABELS.get(ds.frequency, (ds.frequency,))[0],
        "language": "ITA,ENG", "geographical_name": ds.spatial,
        "temporal_coverage": ([{"temporal_start": _iso(ds.temporal_start),
                                "temporal_end": _iso(ds.temporal_end)}]
                              if ds.temporal_start else []),
        "axis": ds.axis_id, "domain": ds.domain, "rows": ds.rows,
        "suppression_note": ds.suppression_it,
        "data_dictionary": [{"id": c.name, "type": c.data_type, "unit": c.unit,
                             "description_it": c.description_it,
                             "description_en": c.description_en} for c in ds.columns],
    }


def table_schema(ds: Dataset) -> dict[str, Any]:
    fields = []
    for col in ds.columns:
        field: dict[str, Any] = {"name": col.name, "type": FRICTIONLESS_TYPES[col.family],
                                 "title": col.description_en,
                                 "description": col.description_it}
        if col.unit:
            field["unit"] = col.unit
        if col.family == "datetime":
            field["format"] = "%Y-%m-%dT%H:%M:%S"
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def csv_resource(ds: Dataset, path: str) -> dict[str, Any]:
    csv = formats.by_key(PACKAGE_FORMAT)
    return {"name": ds.id, "path": path, "title": ds.title_it, "description":
            ds.description_it, "format": csv.key, "mediatype": csv.media_type,
            "encoding": "utf-8", "schema": table_schema(ds)}


def datapackage(datasets: list[Dataset], *, name: str, title: str,
                paths: dict[str, str], modified: str) -> dict[str, Any]:
    """A Frictionless Data Package; ``paths`` maps dataset id to its CSV path."""
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": name, "id": name, "title": title, "created": modified,
        "licenses": [{"name": LICENCE_ID, "path": LICENCE_URL, "title": LICENCE_TITLE}],
        "contributors": [{"title": ORG_TITLE, "roles": ["publisher"]}],
        "resources": [csv_resource(ds, paths[ds.id]) for ds in datasets],
    }
