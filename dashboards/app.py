"""Assemble the Dash app and its Flask server (``gunicorn dashboards.app:server``).

``app.layout`` is the global frame (skip link, header, navigation, demo banner,
footer) around ``dash.page_container``; the frame is drawn per language by a
callback on the URL, and the server sets ``<html lang>`` from ``?lang=``.
Unknown routes and unknown project codes answer HTTP 404 with the 404 page.
"""

from __future__ import annotations

import functools
from pathlib import Path

import dash
import flask
from dash import Dash, Input, Output, dcc, html

from dashboards import (
    feeds,
    health,
    hub,
    jsonenc,
    limits,
    plotlyjs,
    precompress,
    public,
    security,
    warehouse,
)
from dashboards.cache import init_cache
from dashboards.components import frame, routes
from dashboards.i18n import resolve_lang, translator

ASSETS = Path(__file__).resolve().parents[1] / "assets"
INDEX = """<!DOCTYPE html>
<html lang="it">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


class CouncilDash(Dash):
    """Dash with ``<html lang>`` taken from the request's ``?lang=``, and plotly.js
    preloaded on pages that draw charts."""

    def interpolate_index(self, **kwargs):
        page = super().interpolate_index(**kwargs)
        if not flask.has_request_context():
            return page
        lang = resolve_lang(flask.request.args.get("lang"))
        page = page.replace('<html lang="it">', f'<html lang="{lang}">', 1)
        if plotlyjs.draws_charts(flask.request.path, dash.page_registry):
            tag = plotlyjs.preload_tag(self.config.requests_pathname_prefix)
            page = page.replace("</head>", f"    {tag}\n    </head>", 1)
        return page


app = CouncilDash(
    __name__,
    use_pages=True,
    pages_folder="pages",
    assets_folder=str(ASSETS),
    title="PON Metro Milano",
    suppress_callback_exceptions=True,
    index_string=INDEX,
    update_title=None,
    compress=True,  # gzip/brotli for Dash's own scripts (plotly.js: see dashboards.plotlyjs)
    meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
)
server = app.server
jsonenc.install()
plotlyjs.register(server, app.config.routes_pathname_prefix)
precompress.register(server)
security.register(server)
limits.register(server)
init_cache(server)
server.register_blueprint(health.bp)
server.register_blueprint(feeds.bp)
hub.register(server)
public.register(server)

app.layout = html.Div([
    dcc.Location(id="frame-url", refresh=False),
    html.A("Vai al contenuto principale", href="#main-content", className="skip-link",
           id="skip-link"),
    html.Div(id="frame-header"),
    html.Div(id="frame-banner"),
    html.Main(dash.page_container, id="main-content", tabIndex="-1", className="container pm-main"),
    html.Div(id="frame-footer"),
])


@dash.callback(Output("frame-header", "children"), Output("frame-banner", "children"),
               Output("frame-footer", "children"), Output("skip-link", "children"),
               Input("frame-url", "pathname"), Input("frame-url", "search"))
def draw_frame(pathname: str | None, search: str | None):
    """Header, banner and footer in the URL's language, with the current page marked."""
    from dashboards.components.filters import parse_search

    lang = resolve_lang(parse_search(search).get("lang"))
    return _frame_parts(lang, pathname or "/", frame.safe_build_info())


@functools.lru_cache(maxsize=256)
def _frame_parts(lang: str, pathname: str, info: warehouse.BuildInfo | None) -> tuple:
    """The frame is the same for every visit to a path in a language and build: built
    once, it turns the frame callback (every navigation, every filter change) into a
    lookup. Bounded, since the path comes from the URL."""
    _ = translator(lang)
    return (frame.header(lang, pathname), frame.demo_banner(lang, info),
            frame.footer(lang, info), _("Skip to main content"))


app.clientside_callback(
    """function (search) {
        var lang = new URLSearchParams(search || "").get("lang");
        document.documentElement.lang = (lang === "en") ? "en" : "it";
        return window.dash_clientside.no_update;
    }""",
    Output("frame-url", "hash"), Input("frame-url", "search"))


# ----------------------------------------------------------------- HTTP 404 for unknown routes

server.after_request(routes.not_found_status)


# ----------------------------------------------------------------- setup before serving

def finish_setup() -> None:
    """Run Dash's once-per-process setup now, before this process accepts any request.

    Dash registers its component-script URLs, copies the callbacks and adds the page
    router in ``before_request`` hooks that first set a "done" flag and then do the
    work; in a threaded worker the parallel first requests of a browser would see the
    flag set and the script URLs still unregistered (404, a blank page after every
    start). One internal request through the app's own hooks completes the setup while
    no other thread can be serving. Called last, once every callback is defined.
    """
    with server.test_client() as client:
        client.get("/_dash-dependencies")
    warehouse.reset()  # the request may have opened the warehouse (X-Build-Id): release it


finish_setup()
