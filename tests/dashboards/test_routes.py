"""One place decides whether a Dash route is real (dashboards.components.routes); the
server-rendered public pages (dashboards.public) answer their own 404s."""

from __future__ import annotations

import pytest

REAL = ["/", "/axis/2", "/housing", "/note-legali"]
UNKNOWN = ["/nope", "/axis/5", "/axis/0", "/data/projects/extra"]
PUBLIC = ["/projects/MI4.1.1.c", "/data/projects", "/data", "/reporting"]
PUBLIC_UNKNOWN = ["/projects/MI9.9.9.z", "/projects/x' OR 1=1", "/data/no-such-dataset"]


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


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_answer_200_and_leave_dash(app, path):
    from dashboards.components import routes

    assert routes.is_public(path) and not routes.known(path)
    reply = app.server.test_client().get(path)
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    assert b"_dash-config" not in reply.data  # complete HTML, not the Dash shell


@pytest.mark.parametrize("path", PUBLIC_UNKNOWN)
def test_unknown_public_pages_answer_404_with_the_page(app, path):
    reply = app.server.test_client().get(path)
    assert reply.status_code == 404 and reply.mimetype == "text/html"
    assert b'id="not-found"' in reply.data


def test_links_into_public_pages_reload_the_page(app):
    """Dash's router does not know the public pages: a dcc.Link to one must reload."""
    from dashboards.components import frame, routes

    assert routes.link("x", "/data?lang=en").refresh is True
    assert routes.link("x", "/projects/MI4.1.1.c").refresh is True
    assert routes.link("x", "/axis/1").refresh is False
    assert routes.link("x", "/database").refresh is False
    from dash.development.base_component import Component

    def walk(node):
        if isinstance(node, Component):
            yield node
            yield from walk(getattr(node, "children", None))
        elif isinstance(node, (list, tuple)):
            for child in node:
                yield from walk(child)

    data = [n for n in walk(frame.header("it", "/")) if getattr(n, "href", None) == "/data"]
    assert data and all(n.refresh for n in data)
