"""Landing contracts of the Social Policy Directorate extracts (sites, usage, beds)."""

from __future__ import annotations

from etl.contracts import Column, Contract

SOURCE = "Comune di Milano, Direzione Politiche Sociali: internal service extracts"

SITE_TYPES = ("dormitory", "shelter", "hub", "temporary_housing", "accessible_housing",
              "multifunctional_space", "housing_agency_point", "public_showers",
              "home_services_provider", "social_housing_beds")
CAPACITY_UNITS = ("beds", "units", "places")
#: service -> what it is; the usage extract names one of these per row
SERVICES = {
    "night_shelter": "overnight reception in a dormitory or shelter",
    "meals": "meals served at a shelter",
    "low_threshold_support": "listening, orientation and counselling for homeless people",
    "showers": "access to public showers",
    "temporary_hospitality": "short-term hospitality at the HUB",
    "social_accompaniment": "social and housing accompaniment (HUB, Living in the village)",
    "temporary_housing": "temporary apartment against housing hardship",
    "autonomy_support": "educational support towards autonomy",
    "autonomous_living_support": "protected autonomous living for people with disabilities",
    "temporary_social_housing": "bed in temporary social housing",
    "social_concierge": "social concierge in a multifunctional space",
    "community_activities": "innovative services and community animation",
    "enterprise_and_community": "start-up support for social micro-enterprises",
    "housing_agency": "rental agency advice and matching (Milano Abitare)",
    "home_services": "home care and assistance booked through WeMi",
}
BENEFICIARY_GROUPS = ("homeless_people", "families_with_children", "single_adults",
                      "older_people", "people_with_disabilities", "young_people")
#: GDPR art. 9 special categories: published with the higher suppression threshold
SPECIAL_CATEGORY_GROUPS = ("people_with_disabilities",)

SITES = Contract(
    name="social_sites",
    path="social/sites.csv",
    format="csv",
    description="Sites where the city's social services are delivered (reception, "
                "housing, spaces, desks), one row per site.",
    source=SOURCE,
    key=("site_id",),
    columns=(
        Column("site_id", "int", "Site identifier", unique=True, min=1),
        Column("name", "str", "Site name"),
        Column("site_type", "str", "Kind of site", enum=SITE_TYPES),
        Column("capacity", "int", "Capacity in capacity_unit; empty for desks and "
               "providers without a fixed capacity", nullable=True, min=0, max=10_000),
        Column("capacity_unit", "str", "beds, units (flats) or places (seats, showers); "
               "empty when capacity is empty", nullable=True, enum=CAPACITY_UNITS),
        Column("address", "str", "Street address"),
        Column("lon", "float", "Longitude (WGS84)", unit="degrees", min=8.5, max=9.8),
        Column("lat", "float", "Latitude (WGS84)", unit="degrees", min=45.0, max=46.0),
        Column("project_code", "str", "PON Metro project code financing the site or its "
               "services (e.g. MI4.2.1.b); empty otherwise", nullable=True),
        Column("opened_on", "date", "Date the site opened or reopened after renovation"),
    ),
    notes=("Sites of the metropolitan area outside Milan are allowed: they get no NIL or "
           "municipio.",),
)

USAGE = Contract(
    name="social_usage_monthly",
    path="social/usage_monthly.csv",
    format="csv",
    description="Users per site, month, service and beneficiary group: raw internal counts, "
                "kept in staging only and published only after disclosure control.",
    source=SOURCE,
    key=("month", "site_id", "service", "beneficiary_group"),
    columns=(
        Column("month", "month", "Month of service (YYYY-MM)"),
        Column("site_id", "int", "Site delivering the service", fk="social_sites.site_id"),
        Column("service", "str", "Service delivered", enum=tuple(SERVICES)),
        Column("beneficiary_group", "str", "Beneficiary group", enum=BENEFICIARY_GROUPS),
        Column("users", "int", "Distinct persons served in the month (raw count)",
               unit="persons", min=0, max=100_000),
    ),
    notes=("Raw counts: never published as such; see etl/suppression.py.",),
)

BEDS = Contract(
    name="social_bed_occupancy_daily",
    path="social/bed_occupancy_daily.csv",
    format="csv",
    description="Beds available and occupied per bedded site and night.",
    source=SOURCE,
    key=("date", "site_id"),
    columns=(
        Column("date", "date", "Night (date of the evening)"),
        Column("site_id", "int", "Bedded site", fk="social_sites.site_id"),
        Column("beds_available", "int", "Beds in service that night", unit="beds", min=0,
               max=10_000),
        Column("beds_occupied", "int", "Beds occupied that night (raw count; at most "
               "beds_available)", unit="beds", min=0, max=10_000),
    ),
)

CONTRACTS = (SITES, USAGE, BEDS)
