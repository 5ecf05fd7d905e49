"""Data values shown as labels (statuses, stages, site types, weekdays): marked here with
``N_`` so the catalogue extraction finds them; pages translate them with ``_(value)``."""

from __future__ import annotations


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    return msgid


VALUES = (
    # project status
    N_("planned"), N_("in_progress"), N_("completed"),
    # housing unit status and renovation stages
    N_("occupied"), N_("vacant"), N_("under_renovation"), N_("renovated"), N_("works"),
    # social-service site types
    N_("public_showers"), N_("accessible_housing"), N_("social_housing_beds"),
    N_("housing_agency_point"), N_("home_services_provider"), N_("shelter"), N_("hub"),
    N_("multifunctional_space"), N_("temporary_housing"), N_("dormitory"),
    # weekdays
    N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"),
    N_("yes"), N_("no"),
    # used inside f-strings, which the extractor does not read
    N_("build"), N_("Build"), N_("Source"), N_("current page"), N_("on the previous year"),
    N_("Fund"),
    # chart legends passed as (column, label) pairs, translated where the figure is drawn
    N_("Allocation"), N_("Committed"), N_("Paid"), N_("Committed (cumulative)"),
    N_("Paid (cumulative)"), N_("Vacant units"), N_("Assignments in month"),
    # risk status words and units of the performance framework
    N_("Green"), N_("Amber"), N_("Red"), N_("platforms"), N_("stations"), N_("routes"),
    N_("persons"), N_("housing units"), N_("m2"), N_("beds"), N_("points"), N_("projects"),
    N_("areas"), N_("spaces"),
    # timeline hover labels and flag titles (f-strings)
    N_("Start"), N_("Planned end"), N_("Actual end"), N_("Status"), N_("Risk flag"),
    N_("Risk status"), N_("Axis"),
)
