"""Landing contracts of the programme domain: the managing authority's internal extracts.

Column names follow OpenCoesione's meaning (CUP, total public financing, EU
financing, commitments, payments) in snake_case English, so an extract from the
monitoring system maps one-to-one.
"""

from __future__ import annotations

from etl.calendar import ELIGIBILITY
from etl.contracts import Column, Contract

SOURCE = "PON Metro Milano managing authority (Comune di Milano): monitoring-system extract"
_YEAR = {"min": ELIGIBILITY.start.year, "max": ELIGIBILITY.end.year}
_LON = {"min": 8.9, "max": 9.5}
_LAT = {"min": 45.2, "max": 45.7}
_MONEY_MAX = 1e9
_COUNT_MAX = 1e9  # also rejects "inf" from an overflowing 1e400

CONTRACTS = (
    Contract(
        name="programme_axes",
        path="programme/axes.csv",
        format="csv",
        description="Priority axes of the programme for Milan, with allocation and EU rate.",
        source=SOURCE,
        key=("axis_id",),
        columns=(
            Column("axis_id", "int", "Priority axis number", unique=True, min=1, max=8),
            Column("name_it", "str", "Axis name (Italian)"),
            Column("name_en", "str", "Axis name (English)"),
            Column("fund", "str", "EU fund", enum=("FESR", "FSE")),
            Column("thematic_objective", "str", "Thematic objective (OT2, OT4, OT9)",
                   nullable=True),
            Column("category_of_region", "str", "Category of region",
                   enum=("more_developed", "transition", "less_developed")),
            Column("calculation_basis", "str", "Basis of the EU contribution",
                   enum=("public", "total")),
            Column("allocation_eur", "float", "Allocation to Milan", unit="EUR", min=0,
                   max=_MONEY_MAX),
            Column("cofinancing_rate", "float", "EU co-financing rate (share of eligible cost)",
                   min=0, max=1),
            Column("source", "str", "Where the figures come from"),
            Column("verified", "bool", "True once checked against the official programme text"),
        ),
    ),
    Contract(
        name="programme_actions",
        path="programme/actions.csv",
        format="csv",
        description="Actions of each axis (e.g. 4.1.1).",
        source=SOURCE,
        key=("action_code",),
        columns=(
            Column("action_code", "str", "Action code axis.objective.action", unique=True),
            Column("axis_id", "int", "Priority axis", fk="programme_axes.axis_id"),
            Column("name_it", "str", "Action name (Italian)"),
            Column("name_en", "str", "Action name (English)"),
            Column("source", "str", "Where the name comes from"),
            Column("verified", "bool", "True once checked against the official programme text"),
        ),
    ),
    Contract(
        name="programme_projects",
        path="programme/projects.csv",
        format="csv",
        description="Operations (projects) of the Milan operational plan.",
        source=SOURCE,
        key=("project_code",),
        columns=(
            Column("project_code", "str", "Project code of the operational plan (MI4.1.1.b)",
                   unique=True),
            Column("cup", "str", "Codice Unico di Progetto (15 characters)", unique=True,
                   nullable=True),
            Column("action_code", "str", "Action", fk="programme_actions.action_code"),
            Column("title_it", "str", "Title (Italian)"),
            Column("title_en", "str", "Title (English)"),
            Column("description_it", "str", "Summary (Italian)"),
            Column("description_en", "str", "Summary (English)"),
            Column("status", "str", "Status at extraction",
                   enum=("planned", "in_progress", "completed")),
            Column("start_date", "date", "Start date"),
            Column("end_date_planned", "date", "Planned end date"),
            Column("end_date_actual", "date", "Actual end date", nullable=True),
            Column("budget_eur", "float", "Total public financing (eligible cost)", unit="EUR",
                   min=0, max=_MONEY_MAX),
            Column("eu_financing_eur", "float", "EU financing", unit="EUR", min=0,
                   max=_MONEY_MAX),
            Column("beneficiary", "str", "Beneficiary organisation (no natural persons)"),
            Column("address", "str", "Address of the main site", nullable=True),
            Column("lon", "float", "Longitude WGS84 of the main site", nullable=True, **_LON),
            Column("lat", "float", "Latitude WGS84 of the main site", nullable=True, **_LAT),
            Column("domain", "str", "Dashboard domain",
                   enum=("digital", "housing", "social", "mobility")),
            Column("seed_title", "str", "Heading of the project in the programme text"),
        ),
        notes=("A project with several sites has empty lon/lat/address.",),
    ),
    Contract(
        name="programme_financial_transactions",
        path="programme/financial_transactions.csv",
        format="csv",
        description="Commitments and payments of each project, one row per act.",
        source=SOURCE,
        key=("transaction_id",),
        columns=(
            Column("transaction_id", "str", "Identifier of the accounting act", unique=True),
            Column("project_code", "str", "Project", fk="programme_projects.project_code"),
            Column("date", "date", "Date of the act"),
            Column("kind", "str", "Commitment (impegno) or payment (pagamento)",
                   enum=("commitment", "payment")),
            Column("amount_eur", "float", "Amount", unit="EUR", min=0, max=_MONEY_MAX),
        ),
        notes=("Cumulative payments above the project budget are reported in meta.quality.",),
    ),
    Contract(
        name="programme_indicators",
        path="programme/indicators.csv",
        format="csv",
        description="Output and result indicators with unit and 2023 target.",
        source=SOURCE,
        key=("indicator_code",),
        columns=(
            Column("indicator_code", "str", "Common (COxx) or programme-specific (IOxx) code",
                   unique=True),
            Column("axis_id", "int", "Priority axis", fk="programme_axes.axis_id"),
            Column("name_it", "str", "Indicator name (Italian)"),
            Column("name_en", "str", "Indicator name (English)"),
            Column("unit", "str", "Unit of measure"),
            Column("kind", "str", "Output or result indicator", enum=("output", "result")),
            Column("fund", "str", "EU fund", enum=("FESR", "FSE")),
            Column("target_2023", "float", "Target value for 2023", min=0, max=_COUNT_MAX),
            Column("source", "str", "Where code, name and target come from"),
            Column("verified", "bool", "True once checked against the official programme text"),
        ),
    ),
    Contract(
        name="programme_indicator_values",
        path="programme/indicator_values.csv",
        format="csv",
        description="Cumulative yearly indicator values per project: S (selected) and F "
                    "(achieved).",
        source=SOURCE,
        key=("indicator_code", "project_code", "year", "series"),
        columns=(
            Column("indicator_code", "str", "Indicator",
                   fk="programme_indicators.indicator_code"),
            Column("project_code", "str", "Project", fk="programme_projects.project_code"),
            Column("year", "int", "Reference year", **_YEAR),
            Column("series", "str", "S = forecast from selected operations, F = achieved",
                   enum=("S", "F")),
            Column("value", "float", "Cumulative value at the end of the year", min=0,
                   max=_COUNT_MAX),
            Column("reported_on", "date", "Date the value was recorded"),
        ),
        notes=("Values are cumulative: a decrease from one year to the next is reported in "
               "meta.quality.",),
    ),
    Contract(
        name="programme_grants",
        path="programme/grants.csv",
        format="csv",
        description="Grants awarded to organisations: Neighbourhood School (MI3.3.1.e), "
                    "Lorenteggio social-innovation contributions (MI3.3.1.b), civic "
                    "crowdfunding (MI3.3.1.c). No personal data.",
        source=SOURCE,
        key=("grant_id",),
        columns=(
            Column("grant_id", "str", "Grant identifier", unique=True),
            Column("project_code", "str", "Project", fk="programme_projects.project_code"),
            Column("call", "str", "Call or edition"),
            Column("phase", "int", "Phase of the call", nullable=True, min=1, max=9),
            Column("amount_eur", "float", "Amount awarded", unit="EUR", min=0, max=500_000),
            Column("awarded_on", "date", "Award date"),
            Column("neighbourhood", "str", "Neighbourhood of the funded activity",
                   nullable=True),
            Column("lon", "float", "Longitude WGS84", nullable=True, **_LON),
            Column("lat", "float", "Latitude WGS84", nullable=True, **_LAT),
        ),
        notes=("Neighbourhood School grants (MI3.3.1.e) are capped at EUR 25,000: a larger "
               "amount stops the build.",),
    ),
    Contract(
        name="programme_performance_framework",
        path="programme/performance_framework.csv",
        format="csv",
        description="Performance framework (Reg. 1303/2013 Annex II): per axis, the financial "
                    "indicator and the key output indicators with their 2018 milestone and 2023 "
                    "target.",
        source=SOURCE,
        key=("axis_id", "indicator_id"),
        optional=True,
        columns=(
            Column("axis_id", "int", "Priority axis", fk="programme_axes.axis_id"),
            Column("indicator_id", "str", "Indicator id in the performance framework (F1 for "
                   "the financial indicator, else the output indicator code)"),
            Column("indicator_type", "str", "Financial or output indicator",
                   enum=("financial", "output")),
            Column("indicator_code", "str", "Output indicator measured (empty for financial)",
                   nullable=True, fk="programme_indicators.indicator_code"),
            Column("name_it", "str", "Indicator name (Italian)"),
            Column("name_en", "str", "Indicator name (English)"),
            Column("unit", "str", "Unit of measure"),
            Column("milestone_2018", "float", "Milestone for 2018", min=0, max=_MONEY_MAX),
            Column("target_2023", "float", "Final target for 2023", min=0, max=_MONEY_MAX),
            Column("source", "str", "Where milestone and target come from"),
            Column("verified", "bool", "True once checked against the official programme text"),
        ),
        notes=("Optional: without it the performance-framework marts are empty. "
               "Technical-assistance axes have no performance framework (Reg. 1303/2013 "
               "Annex II point 1). The financial indicator is measured as payments to date, "
               "the proxy of certified expenditure also used by Table 6.",),
    ),
)
