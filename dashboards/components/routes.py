"""Which parameterised routes exist: /axis/1..4 and /projects/<code> of the programme."""

from __future__ import annotations

from dashboards import warehouse
from dashboards.queries import programme
from dashboards.queries.common import AXES, as_int


def axis_exists(axis_id: object) -> bool:
    return as_int(axis_id, AXES) is not None


def project_exists(code: object) -> bool:
    """True for a programme project; True as well when the warehouse cannot say (the page
    then explains the outage instead of claiming the project does not exist)."""
    try:
        return programme.exists(code)
    except (warehouse.WarehouseUnavailable, Exception):  # noqa: BLE001 - outage, not a 404
        return programme.clean_code(code) is not None


def exists(template: str, groups: tuple[str, ...]) -> bool:
    if template.startswith("/axis/"):
        return axis_exists(groups[0])
    if template.startswith("/projects/"):
        return project_exists(groups[0])
    return True
