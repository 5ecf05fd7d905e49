"""HTML elements in the JSON form Dash sends to the browser, without a component object.

A page callback answers with its whole page, and every ``html.<Tag>`` in it is built
(Dash checks each prop name), then turned back into this same JSON by
``to_plotly_json``: ~25 us per element, where a plain dict costs ~1 us. A chart card
has a dozen static elements and its data table a few hundred cells, so the cards and
tables are written with :func:`el`; the renderer receives exactly the same JSON, and
:func:`dashboards.public.markup.to_html` writes both forms.

Prop names are not checked here: only the fixed ones of this codebase are passed
(``className``, ``id``, ``role``, ``href``, ``aria-*``, ...).
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "dash_html_components"


def el(tag: str, children: Any = None, **props: Any) -> dict[str, Any]:
    """``html.<tag>(children, **props)`` as JSON; props set to None are left out, as Dash
    leaves out props never set."""
    kept = {key: value for key, value in props.items() if value is not None}
    kept["children"] = children  # always there, as in html components
    return {"type": tag, "namespace": NAMESPACE, "props": kept}


def simple(tag: str, children: Any) -> dict[str, Any]:
    """A table cell or row with only children (the hot path of data tables)."""
    return {"type": tag, "namespace": NAMESPACE, "props": {"children": children}}


def link(children: Any, href: str, **props: Any) -> dict[str, Any]:
    """``dcc.Link(children, href=href, **props)`` as JSON (client-side navigation)."""
    kept = {key: value for key, value in props.items() if value is not None}
    return {"type": "Link", "namespace": "dash_core_components",
            "props": {"children": children, "href": href, **kept}}


class _Tags:
    """``html.Div(...)`` written ``plain.html.Div(...)``: a module whose blocks are all
    static swaps its import and keeps its code as it reads."""

    def __getattr__(self, tag: str):
        if not tag[:1].isupper():
            raise AttributeError(tag)

        def make(children: Any = None, **props: Any) -> dict[str, Any]:
            return el(tag, children, **props)

        make.__name__ = tag
        setattr(self, tag, make)  # looked up once per tag
        return make


html = _Tags()
