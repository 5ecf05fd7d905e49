"""Landing contracts of the ERP public-housing extract (MM SpA, the city's ERP manager)."""

from __future__ import annotations

from etl.contracts import Column, Contract

SOURCE = "MM SpA, Divisione Casa: internal extract of the municipal ERP housing stock"
STATUSES = ("occupied", "vacant", "under_renovation", "renovated")
STAGES = ("planned", "works", "completed")
ERP_ENCODING = "Latin-1 (Windows-1252), as exported by the ERP manager; UTF-8 also accepted"
ERP_SEPARATOR = "';' with decimal commas, as exported by the ERP manager; ',' also accepted"
_PROJECT = ("PON Metro project code (e.g. MI4.1.1.c) when the item is financed by the "
            "programme; empty otherwise")

COMPLEXES = Contract(
    name="housing_complexes",
    path="housing/complexes.csv",
    format="csv",
    description="ERP residential complexes (one row per building complex) of the "
                "municipal public-housing stock.",
    source=SOURCE,
    key=("complex_id",),
    encoding_note=ERP_ENCODING,
    separator_note=ERP_SEPARATOR,
    columns=(
        Column("complex_id", "int", "Complex identifier in the ERP register", unique=True,
               min=1),
        Column("name", "str", "Complex name as used by the manager"),
        Column("address", "str", "Street address of the main entrance"),
        Column("lon", "float", "Longitude of the main entrance (WGS84)", unit="degrees",
               min=8.5, max=9.8),
        Column("lat", "float", "Latitude of the main entrance (WGS84)", unit="degrees",
               min=45.0, max=46.0),
        Column("project_code", "str", _PROJECT, nullable=True),
    ),
    notes=("NIL and municipio are not taken from the extract: the warehouse places each "
           "complex by containment of its point.",),
)

UNITS = Contract(
    name="housing_units",
    path="housing/units.csv",
    format="csv",
    description="ERP housing units (flats) with their current status at the extract date.",
    source=SOURCE,
    key=("unit_id",),
    encoding_note=ERP_ENCODING,
    separator_note=ERP_SEPARATOR,
    columns=(
        Column("unit_id", "int", "Unit identifier in the ERP register", unique=True, min=1),
        Column("complex_id", "int", "Complex the unit belongs to",
               fk="housing_complexes.complex_id"),
        Column("floor", "int", "Floor (0 = ground floor, negative = basement)", min=-2,
               max=40),
        Column("floor_area_m2", "float", "Net floor area", unit="m2", min=10, max=400),
        Column("rooms", "int", "Number of rooms (kitchen excluded)", min=1, max=12),
        Column("status", "str", "Status at the extract date: occupied (let to a household), "
               "vacant, under_renovation (works in progress), renovated (works finished, "
               "waiting for assignment)", enum=STATUSES),
        Column("accessible", "bool", "Free of architectural barriers (accessible to "
               "wheelchair users)"),
        Column("vacant_since", "date", "Date since which the unit has had no tenant; "
               "empty for occupied units", nullable=True),
        Column("project_code", "str", _PROJECT, nullable=True),
    ),
)

RENOVATIONS = Contract(
    name="housing_renovations",
    path="housing/renovations.csv",
    format="csv",
    description="Renovation works on ERP units financed by PON Metro (one row per work "
                "order on a unit).",
    source=SOURCE,
    key=("work_id",),
    encoding_note=ERP_ENCODING,
    separator_note=ERP_SEPARATOR,
    columns=(
        Column("work_id", "int", "Work-order identifier", unique=True, min=1),
        Column("unit_id", "int", "Unit the work is on", fk="housing_units.unit_id"),
        Column("project_code", "str", "PON Metro project code financing the work"),
        Column("start_date", "date", "Start of works on site"),
        Column("end_date", "date", "Completion of works (certificate date); empty while "
               "works are in progress", nullable=True),
        Column("cost_eur", "float", "Cost of the works on the unit, VAT included",
               unit="EUR", min=0, max=2_000_000),
        Column("stage", "str", "planned, works (in progress) or completed", enum=STAGES),
    ),
)

ASSIGNMENTS = Contract(
    name="housing_assignments",
    path="housing/assignments.csv",
    format="csv",
    description="Assignments (lettings) of ERP units to new tenant households. Carries no "
                "tenant data at all.",
    source=SOURCE,
    encoding_note=ERP_ENCODING,
    separator_note=ERP_SEPARATOR,
    columns=(
        Column("unit_id", "int", "Unit assigned", fk="housing_units.unit_id"),
        Column("assigned_on", "date", "Date the lease starts"),
        Column("vacant_from", "date", "Date the unit had become vacant before this "
               "assignment, when the manager recorded it", required=False, nullable=True),
    ),
    notes=("One row per assignment; a unit can appear several times over the years.",),
)

CONTRACTS = (COMPLEXES, UNITS, RENOVATIONS, ASSIGNMENTS)
