"""Filters that live in the URL: radio groups in a fieldset, and the URL <-> filter sync.

Each filtered page holds its own ``dcc.Location`` (``refresh=False``). Changing a
filter writes the query string (pushState, so back/forward step through
filter states); moving through history writes the filters back. The page
layout reads the same parameters, so a copied link reproduces the view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from dash import dcc, html

from dashboards.i18n import DEFAULT, resolve_lang

ALL = "all"


def radio(key: str, legend: str, options: list[tuple[str, str]], value: str) -> html.Fieldset:
    """A labelled radio group (native inputs: keyboard and screen-reader friendly)."""
    values = [v for v, _ in options]
    return html.Fieldset([
        html.Legend(legend),
        dcc.RadioItems(id=key, options=[{"label": label, "value": v} for v, label in options],
                       value=value if value in values else values[0], inline=True),
    ])


def parse_search(search: str | None) -> dict[str, str]:
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def build_search(lang: str | None, values: dict[str, Any]) -> str:
    """``?lang=en&municipio=3``: the language first, then non-default filters in order."""
    query: dict[str, str] = {}
    if resolve_lang(lang) != DEFAULT:
        query["lang"] = resolve_lang(lang)
    for name, value in values.items():
        if value not in (None, "", ALL):
            query[name] = str(value)
    return "?" + urlencode(query) if query else ""


def location(key: str) -> dcc.Location:
    return dcc.Location(id=key, refresh=False)


def filter_bar(children: list[Any], label: str) -> html.Div:
    return html.Div(children, className="pm-filters", role="search", **{"aria-label": label})


def register_sync(url_id: str, params: dict[str, str], defaults: dict[str, str],
                  normalise: Any = None) -> None:
    """Keep ``url_id``'s query string and the filter components ``params`` in step.

    ``params`` maps a query parameter to the id of the radio group holding it.
    One callback owns both directions (Dash allows a circular update within one
    callback); it returns no_update where nothing changed so charts do not
    re-render for nothing. ``normalise(values) -> values`` fixes combinations that
    cannot stand (a NIL outside the chosen municipio) before they reach the URL, so
    history never holds an impossible view.
    """
    from dash import Input, Output, callback, ctx, no_update

    names = list(params)

    @callback(Output(url_id, "search"), *[Output(params[n], "value") for n in names],
              Input(url_id, "search"), *[Input(params[n], "value") for n in names],
              prevent_initial_call=True)
    def _sync(search: str | None, *values: Any):
        query = parse_search(search)
        current = dict(zip(names, values, strict=True))
        fix = normalise or (lambda values: values)
        if ctx.triggered_id == url_id:
            wanted = fix({n: query.get(n, defaults.get(n, ALL)) for n in names})
            return no_update, *[wanted[n] if wanted[n] != current[n] else no_update
                                for n in names]
        fixed = fix(dict(current))
        fresh = build_search(query.get("lang"), {
            n: (v if v != defaults.get(n, ALL) else None) for n, v in fixed.items()})
        return (fresh if fresh != (search or "") else no_update), *[
            fixed[n] if fixed[n] != current[n] else no_update for n in names]
