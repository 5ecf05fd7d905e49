"""The first response of a Dash page: its head and its first screen, written on the server.

Dash answers every page with an empty shell that says "Loading..." until about 1 MB of
scripts has run. Here the shell gets the page's title, description, canonical URL and
IT/EN alternates (``public.seo.head``, as the public pages), and the very frame and
``layout(**query)`` that Dash is about to render, written as HTML (``public.markup``)
into ``#pm-first-screen`` before ``#react-entry-point``: readable without JavaScript,
painted before the scripts run. Dash renders into its own root, hidden at the same
place (assets/03-app.css); assets/ponmetro.js removes the first screen in the frame in
which Dash's render holds the frame and the page, so nothing moves on the screen.

A page names its head once, at registration (:func:`register_page`): its title (its
``<h1>`` too) and description, as English msgids or functions of the language and the path
variables; Dash's router shows the same title when the visitor moves between pages.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
from collections.abc import Callable
from typing import Any

import dash
import duckdb
import flask
from dash import dcc, html
from markupsafe import Markup, escape

from dashboards import warehouse
from dashboards.cache import memoize
from dashboards.components import frame, routes
from dashboards.components.filters import parse_search
from dashboards.i18n import resolve_lang, translator
from dashboards.public import markup, seo

log = logging.getLogger(__name__)
#: A title or description: an English msgid, or ``fn(lang, **path_variables) -> str``.
Text = str | Callable[..., str]
FIRST_SCREEN_ID = "pm-first-screen"
ENTRY = '<div id="react-entry-point">'
#: What an unreadable warehouse raises (the pages catch the same: ``errors.guarded``).
OUTAGE = (warehouse.WarehouseUnavailable, duckdb.Error)


def text(value: Text, lang: str, variables: dict[str, str]) -> str:
    """The title or description in ``lang``; an unreadable warehouse (a title naming an axis
    reads its name) gives the outage title, so the page still draws its outage message."""
    try:
        return value(lang, **variables) if callable(value) else translator(lang)(value)
    except OUTAGE:
        return translator(lang)("Data temporarily unavailable")


def request_lang() -> str:
    """The language of the page being answered: ``?lang=`` of a page view, or of the URL
    whose page Dash's router callback is drawing."""
    lang = flask.request.args.get("lang") if flask.has_request_context() else None
    if lang is None:
        try:
            lang = parse_search(dash.ctx.inputs.get("_pages_location.search")).get("lang")
        except Exception:  # outside a callback: no context (Dash raises its own type)
            lang = None
    return resolve_lang(lang)


def register_page(module: str, *, title: Text, description: Text, **kwargs: Any) -> None:
    """``dash.register_page`` with a head per language; Dash's router sets the tab title
    from the same ``title`` when the visitor moves between dashboards."""
    dash.register_page(
        module, title=lambda **variables: seo.full_title(text(title, request_lang(), variables)),
        head_title=title, head_description=description, **kwargs)


# ----------------------------------------------------------------- the frame

def layout(header: Any = None, banner: Any = None, footer: Any = None,
           skip: str = "Vai al contenuto principale", content: Any = None) -> html.Div:
    """The global frame (skip link, header, banner, main, footer) around ``content``
    (Dash's page container in the app; the page itself in the first screen)."""
    return html.Div([
        dcc.Location(id="frame-url", refresh=False),
        html.A(skip, href="#main-content", className="skip-link", id="skip-link"),
        html.Div(header, id="frame-header"),
        html.Div(banner, id="frame-banner"),
        html.Main(dash.page_container if content is None else content, id="main-content",
                  tabIndex="-1", className="container pm-main"),
        html.Div(footer, id="frame-footer"),
    ])


@functools.lru_cache(maxsize=256)
def frame_parts(lang: str, pathname: str, info: warehouse.BuildInfo | None) -> tuple:
    """Header, banner, footer and skip-link text: the same for every visit to a path in a
    language and build, so built once (bounded, since the path comes from the URL)."""
    _ = translator(lang)
    return (frame.header(lang, pathname), frame.demo_banner(lang, info),
            frame.footer(lang, info), _("Skip to main content"))


# ----------------------------------------------------------------- the first screen

def _radio(props: dict[str, Any]) -> Markup:
    """dcc.RadioItems as Dash 4 draws it (native radios in labels, the chosen one checked)."""
    key, value = escape(str(props.get("id", ""))), props.get("value")
    inline = " dash-radioitems-inline" if props.get("inline") else ""
    options = []
    for option in props.get("options") or []:
        checked = " checked" if option["value"] == value else ""
        options.append(Markup(
            f'<label class="dash-options-list-option{inline}">'
            f'<span class="dash-options-list-option-wrapper"><input type="radio" name="{key}" '
            f'class="dash-options-list-option-checkbox" value="{escape(str(option["value"]))}"'
            f'{checked}></span><span class="dash-options-list-option-text"><span>'
            f'{escape(str(option["label"]))}</span></span></label>'))
    return Markup(f'<div class="dash-options-list dash-radioitems" role="radiogroup">'
                  f'{Markup("").join(options)}</div>')


def stand_in(kind: str, namespace: str, props: dict[str, Any]) -> Markup:
    """What the first screen shows for a component only React can draw: a box of the size
    React will fill (a chart, a map), the radios as they will look, nothing for the
    invisible ones (Location, Store, Download, Interval)."""
    if namespace == "dash_core_components" and kind in ("Location", "Store", "Download", "Interval"):
        return Markup("")
    if namespace == "dash_core_components" and kind == "Graph":
        names = " ".join(filter(None, ("dash-graph", props.get("className"))))
        return markup.to_html(html.Div(className=names, style=props.get("style")))
    if namespace == "dash_core_components" and kind == "RadioItems":
        return _radio(props)
    if namespace == "dash_leaflet" and kind in ("Map", "MapContainer"):
        style = {"height": "420px", **(props.get("style") or {})}
        return markup.to_html(html.Div(className=props.get("className"), style=style))
    raise TypeError(f"cannot write {namespace}.{kind} in the first screen")


def _page(path: str) -> tuple[dict, dict[str, str]]:
    """The page Dash's router will draw for ``path`` (its 404 page for an unknown one)."""
    found = routes.match(path)
    if found is not None:
        return found
    for module, page in dash.page_registry.items():
        if module.split(".")[-1] == "not_found_404":
            return page, {}
    raise LookupError("no 404 page registered")


def _arguments(page: dict, variables: dict[str, str], args: dict[str, str]) -> dict[str, str]:
    """What Dash passes to ``layout`` (path variables, then the query), keeping only the
    parameters the layout names: the others cannot change it, and must not multiply the
    cache entries (the query string is the visitor's)."""
    fn = page.get("layout")
    if not callable(fn):
        return {}
    names = {p.name for p in inspect.signature(fn).parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in {**args, **variables}.items() if k in names}


def first_screen(path: str, args: dict[str, str]) -> tuple[str, str, str]:
    """(title, description, HTML) of the page at ``path`` for the query ``args``; an
    unreadable warehouse gives the page's own outage message, never cached."""
    page, variables = _page(path)
    if routes.match(path) is None:
        path = page.get("path", "/404")  # every unknown address draws the same 404 page
    lang = resolve_lang(args.get("lang"))
    arguments = tuple(sorted(_arguments(page, variables, args).items()))
    try:
        return _first_screen(page["module"], path, lang, arguments)
    except OUTAGE:
        return _draw(page["module"], path, lang, arguments, guarded=True)


@memoize  # keyed like the queries: a new build or batch draws it again (dashboards.cache)
def _first_screen(module: str, path: str, lang: str,
                  arguments: tuple[tuple[str, str], ...]) -> tuple[str, str, str]:
    return _draw(module, path, lang, arguments, guarded=False)


def _draw(module: str, path: str, lang: str, arguments: tuple[tuple[str, str], ...],
          guarded: bool) -> tuple[str, str, str]:
    """Unguarded for the cache: an outage raises through it instead of being kept."""
    page = dash.page_registry[module]
    found = routes.match(path)
    variables = found[1] if found else {}
    fn = page.get("layout")
    if callable(fn):
        content = (fn if guarded else inspect.unwrap(fn))(**dict(arguments))
    else:
        content = fn
    info = frame.safe_build_info()
    header, banner, footer, skip = frame_parts(lang, path, info)
    tree = layout(header, banner, footer, skip,
                  content=html.Div(html.Div(content, id="_pages_content")))
    name = page.get("name", "")
    title = text(page.get("head_title") or name, lang, variables)
    description = text(page.get("head_description") or title, lang, variables)
    return title, description, str(markup.to_html(tree, stand_in))


#: Dash's babel polyfill (core-js 2, 30 kB on the wire): only browsers without ES modules
#: run it; every browser with them (all since 2018) skips ``nomodule`` and never fetches it.
POLYFILL = re.compile(r'<script defer (src="[^"]*/dash/deps/polyfill@[^"]*")')
#: DataTable's bundle, which Dash lists on every page; no page draws a DataTable
#: (``test_no_page_uses_dash_table`` in tests/public/test_dashboard_shell.py fails if one
#: starts to: then drop this).
DASH_TABLE = re.compile(r'<script defer src="[^"]*/dash/dash_table/[^"]*"></script>\s*')


def deferred(scripts: str, renderer: str) -> tuple[str, str]:
    """Dash's script tags with ``defer`` (fetched in parallel, run in order once the page is
    parsed, so they no longer hold the first paint), and the renderer started when they have
    run (``DOMContentLoaded`` fires after deferred scripts). The polyfill is left to the
    browsers without ES modules and DataTable's bundle out (:data:`POLYFILL`,
    :data:`DASH_TABLE`)."""
    started, count = re.subn(
        r"var renderer = (new DashRenderer\([^<]*?\));",
        r'window.addEventListener("DOMContentLoaded", function () { window.renderer = \1; });',
        renderer, count=1)
    if count == 0:  # a renderer this module does not know: leave Dash's order alone
        return scripts, renderer
    scripts = scripts.replace("<script src=", "<script defer src=")
    scripts = DASH_TABLE.sub("", POLYFILL.sub(r"<script defer nomodule \1", scripts))
    return scripts, started


def head_tags(head: seo.Head) -> str:
    """Description, canonical and IT/EN alternates, and the web fonts of the first screen
    preloaded as on the public pages (text laid out once: no shift when they arrive)."""
    from dashboards.public.views import font_preloads

    links = [f'<meta name="description" content="{escape(head.description)}">',
             f'<link rel="canonical" href="{escape(head.canonical)}">']
    links += [f'<link rel="alternate" hreflang="{code}" href="{escape(href)}">'
              for code, href in head.alternates]
    links += [f'<link rel="preload" href="{escape(font)}" as="font" type="font/woff2" '
              "crossorigin>" for font in font_preloads()]
    return "\n        ".join(links)


def render(index: str) -> str:
    """Dash's index page for the current request, with the page's head and first screen."""
    request = flask.request
    lang = resolve_lang(request.args.get("lang"))
    try:
        title, description, body = first_screen(request.path, request.args.to_dict())
    except TypeError:  # a component with no stand-in yet: Dash's plain shell still works
        log.exception("no first screen for %s", request.path)
        return index
    head = seo.head(request.url_root, request.path, lang, title, description)
    index = index.replace("<title>", f"{head_tags(head)}\n        <title>", 1)
    index = _replace_title(index, head.title)
    return index.replace(ENTRY, f'<div id="{FIRST_SCREEN_ID}">{body}</div>\n{ENTRY}', 1)


def _replace_title(index: str, title: str) -> str:
    start, end = index.find("<title>"), index.find("</title>")
    if start < 0 or end < start:
        return index
    return index[:start] + f"<title>{escape(title)}</title>" + index[end + len("</title>"):]
