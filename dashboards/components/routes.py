"""Is this route real? The one place that decides, for every page and parameter.

A path names a page when it matches a registered Dash page; a parameterised page
exists only for real values (/axis/1..4). Anything else answers HTTP 404 (the page
itself explains why). The public pages (/data, /data/<id>, /projects/<code>,
/reporting) are Flask views that answer their own 404s (``dashboards.public``).
"""

from __future__ import annotations

import re

import dash
import flask
from dash import dcc

from dashboards.queries.common import AXES, as_int

#: Pages served as complete HTML by Flask (dashboards.public), not by Dash: a link to
#: them from a Dash page must load the whole page, not ask Dash's router for it.
PUBLIC_PAGES = ("/data", "/projects/", "/reporting")

#: Paths Dash and the app serve that are not pages.
_NOT_PAGES = re.compile(r"^/(_dash-|_reload-hash|_favicon|assets/|healthz)")


def is_public(href: str) -> bool:
    """Is ``href`` (path and query) one of the server-rendered public pages?"""
    path = href.split("?", 1)[0]
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/")
               for p in PUBLIC_PAGES)


def link(children, href: str, **props) -> dcc.Link:
    """A ``dcc.Link`` that reloads the page when it leads out of Dash (see PUBLIC_PAGES)."""
    return dcc.Link(children, href=href, refresh=is_public(href), **props)


def axis_exists(axis_id: object) -> bool:
    return as_int(axis_id, AXES) is not None


#: Page templates with a parameter, and whether a value names something real.
PARAMETERS = {"/axis/<axis_id>": axis_exists}


def exists(template: str, groups: tuple[str, ...]) -> bool:
    check = PARAMETERS.get(template)
    return check(groups[0]) if check else True


def match(path: str) -> tuple[dict, dict[str, str]] | None:
    """The registered page ``path`` names and its path variables (``{"axis_id": "2"}``),
    or None."""
    path = "/" + path.strip("/") if path != "/" else "/"
    for page in dash.page_registry.values():
        if page.get("path") == path:
            return page, {}
        template = page.get("path_template")
        if template:
            names = re.findall(r"<([^>/]+)>", template)
            pattern = "^" + re.sub(r"<[^>/]+>", "([^/]+)", template) + "$"
            found = re.match(pattern, path)
            if found:
                return page, dict(zip(names, found.groups(), strict=True))
    return None


def known(path: str) -> bool:
    """Does ``path`` name a page (and, for a parameterised page, a real one)?"""
    found = match(path)
    if found is None:
        return False
    page, variables = found
    template = page.get("path_template")
    return exists(template, tuple(variables.values())) if template else True


def not_found_status(response: flask.Response) -> flask.Response:
    """``after_request``: a page view of an unknown route answers 404 (with the 404 page)."""
    request = flask.request
    if (request.method == "GET" and response.status_code == 200
            and response.mimetype == "text/html" and not _NOT_PAGES.match(request.path)
            and request.blueprint is None and not known(request.path)):
        response.status_code = 404
    return response
