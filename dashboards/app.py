"""Assemble the Dash app and its Flask server (``gunicorn dashboards.app:server``).

``app.layout`` is the global frame (skip link, header, navigation, demo banner,
footer) around ``dash.page_container``; the frame is drawn per language by a
callback on the URL, and the server sets ``<html lang>`` from ``?lang=``. The first
response of a page carries its head and its first screen (``dashboards.shell``).
Unknown routes and unknown project codes answer HTTP 404 with the 404 page.
"""

from __future__ import annotations

import gc
from pathlib import Path

import dash
import flask
from dash import Dash, Input, Output

from dashboards import (
    compress,
    feeds,
    health,
    hub,
    jsonenc,
    limits,
    plotlyjs,
    precompress,
    public,
    security,
    shell,
    warehouse,
)
from dashboards.cache import init_cache
from dashboards.components import frame, routes
from dashboards.i18n import resolve_lang

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
    """Dash with ``<html lang>`` taken from the request's ``?lang=``, the page's head and
    first screen written in and its scripts deferred (``dashboards.shell``), and plotly.js
    preloaded on pages that draw charts."""

    def interpolate_index(self, **kwargs):
        kwargs["scripts"], kwargs["renderer"] = shell.deferred(kwargs.get("scripts", ""),
                                                               kwargs.get("renderer", ""))
        page = super().interpolate_index(**kwargs)
        if not flask.has_request_context():
            return page
        lang = resolve_lang(flask.request.args.get("lang"))
        page = page.replace('<html lang="it">', f'<html lang="{lang}">', 1)
        page = shell.render(page)
        if plotlyjs.draws_charts(flask.request.path, dash.page_registry):
            tag = plotlyjs.preload_tag(self.config.requests_pathname_prefix)
            page = page.replace("</head>", f"    {tag}\n    </head>", 1)
        return page

    def _serve_default_favicon(self):
        """The app's icon (assets/favicon.ico, 228 bytes: the one Dash links on its pages)
        also at ``/_favicon.ico``, which the public and hub templates link, instead of
        Dash's own (5 kB)."""
        return flask.send_from_directory(ASSETS, "favicon.ico", max_age=24 * 3600)


app = CouncilDash(
    __name__,
    use_pages=True,
    pages_folder="pages",
    assets_folder=str(ASSETS),
    title="PON Metro Milano",
    suppress_callback_exceptions=True,
    index_string=INDEX,
    include_pages_meta=False,  # the head is the shell's (dashboards.shell), per language
    update_title=None,
    compress=True,  # gzip/brotli for Dash's own scripts (plotly.js: see dashboards.plotlyjs)
    meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
)
server = app.server
compress.register(server)  # pages at zstd 6, callback replies at 1 (scripts: precompress)
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

app.layout = shell.layout()


@dash.callback(Output("frame-header", "children"), Output("frame-banner", "children"),
               Output("frame-footer", "children"), Output("skip-link", "children"),
               Input("frame-url", "pathname"), Input("frame-url", "search"))
def draw_frame(pathname: str | None, search: str | None):
    """Header, banner and footer in the URL's language, with the current page marked."""
    from dashboards.components.filters import parse_search

    lang = resolve_lang(parse_search(search).get("lang"))
    return shell.frame_parts(lang, pathname or "/", frame.safe_build_info())


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

    Then the ~136,000 objects of the loaded app are moved out of the garbage collector's
    sight (``gc.freeze``): they live as long as the process, and every full collection
    walked them all, ~70 ms landing inside about one request in thirty of a chart page (the
    callbacks' p95); after the freeze it walks only what requests leave behind.
    """
    with server.test_client() as client:
        client.get("/_dash-dependencies")
    warehouse.reset()  # the request may have opened the warehouse (X-Build-Id): release it
    gc.collect()
    gc.freeze()


finish_setup()
