"""Is this route real? The one place that decides, for every page and parameter.

A path names a page when it matches a registered Dash page; a parameterised page
exists only for real values: /axis/1..4, /projects/<code> of the programme,
/data/<id> of a published dataset. Anything else answers HTTP 404 (the page
itself explains why).
"""

from __future__ import annotations

import re

import dash
import flask

from dashboards import warehouse
from dashboards.queries import catalog, programme
from dashboards.queries.common import AXES, as_int

#: Paths Dash and the app serve that are not pages.
_NOT_PAGES = re.compile(r"^/(_dash-|_reload-hash|_favicon|assets/|healthz)")


def axis_exists(axis_id: object) -> bool:
    return as_int(axis_id, AXES) is not None


def project_exists(code: object) -> bool:
    """True for a programme project; True as well when the warehouse cannot say (the page
    then explains the outage instead of claiming the project does not exist)."""
    try:
        return programme.exists(code)
    except (warehouse.WarehouseUnavailable, Exception):  # noqa: BLE001 - outage, not a 404
        return programme.clean_code(code) is not None


def dataset_exists(dataset_id: object) -> bool:
    """True for a published dataset; True as well during an outage (as above)."""
    try:
        return catalog.get(str(dataset_id)) is not None
    except warehouse.WarehouseUnavailable:
        return True


#: Page templates with a parameter, and whether a value names something real.
PARAMETERS = {"/axis/<axis_id>": axis_exists, "/projects/<code>": project_exists,
              "/data/<dataset_id>": dataset_exists}


def exists(template: str, groups: tuple[str, ...]) -> bool:
    check = PARAMETERS.get(template)
    return check(groups[0]) if check else True


def known(path: str) -> bool:
    """Does ``path`` name a page (and, for a parameterised page, a real one)?"""
    path = "/" + path.strip("/") if path != "/" else "/"
    for page in dash.page_registry.values():
        if page.get("path") == path:
            return True
        template = page.get("path_template")
        if template:
            pattern = "^" + re.sub(r"<[^>/]+>", "([^/]+)", template) + "$"
            match = re.match(pattern, path)
            if match:
                return exists(template, match.groups())
    return False


def not_found_status(response: flask.Response) -> flask.Response:
    """``after_request``: a page view of an unknown route answers 404 (with the 404 page)."""
    request = flask.request
    if (request.method == "GET" and response.status_code == 200
            and response.mimetype == "text/html" and not _NOT_PAGES.match(request.path)
            and request.blueprint is None and not known(request.path)):
        response.status_code = 404
    return response
