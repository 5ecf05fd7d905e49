"""One place decides whether a route is real (dashboards.components.routes)."""

from __future__ import annotations

import pytest

REAL = ["/", "/axis/2", "/projects/MI4.1.1.c", "/data/projects", "/data", "/housing",
        "/reporting", "/note-legali"]
UNKNOWN = ["/nope", "/axis/5", "/axis/0", "/projects/MI9.9.9.z", "/projects/x' OR 1=1",
           "/data/no-such-dataset", "/data/projects/extra"]


@pytest.mark.parametrize("path", REAL)
def test_real_routes_are_known_and_answer_200(app, path):
    from dashboards.components import routes

    assert routes.known(path)
    assert app.server.test_client().get(path).status_code == 200


@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_routes_answer_404_with_the_page(app, path):
    from dashboards.components import routes

    assert not routes.known(path)
    reply = app.server.test_client().get(path)
    assert reply.status_code == 404 and reply.mimetype == "text/html"


def test_every_parameterised_page_has_a_check(app):
    """A new page with a parameter must say which values exist (else every value is real)."""
    import dash

    from dashboards.components import routes

    templates = {p["path_template"] for p in dash.page_registry.values()
                 if p.get("path_template")}
    assert templates == set(routes.PARAMETERS)
