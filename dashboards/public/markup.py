"""Dash components written out as HTML, so the server-rendered pages share the Dash frame.

The header, navigation, demo banner and footer are written once, as Dash components
(``dashboards.components.frame``); the public pages print the very same tree as
markup instead of keeping a second copy in a template. Only what the frame uses
is supported: ``dash.html`` elements and ``dcc.Link`` (a plain ``<a>``).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

#: Dash prop names that differ from their HTML attribute.
_RENAMED = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex",
            "colSpan": "colspan", "rowSpan": "rowspan"}
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})
_SKIP = frozenset({"children", "id", "refresh", "target_runtime"})


def _attrs(component: Any) -> str:
    out = []
    props = component.to_plotly_json()["props"]
    for name, value in props.items():
        if name in _SKIP and not (name == "id" and isinstance(value, str)):
            continue
        if value is None or value is False:
            continue
        if name == "style" and isinstance(value, dict):
            value = ";".join(f"{k}:{v}" for k, v in value.items())
        attr = _RENAMED.get(name, name)
        out.append(f' {attr}' if value is True else f' {attr}="{escape(str(value))}"')
    return "".join(out)


def to_html(node: Any) -> Markup:
    """Markup of a Dash component tree (strings escaped, ``None`` skipped)."""
    if node is None:
        return Markup("")
    if isinstance(node, (list, tuple)):
        return Markup("").join(to_html(child) for child in node)
    if isinstance(node, (str, int, float)):
        return escape(str(node))
    namespace = getattr(node, "_namespace", "")
    tag = "a" if node._type == "Link" and namespace == "dash_core_components" else \
        node._type.lower()
    if namespace not in ("dash_html_components", "dash_core_components") or \
            (namespace == "dash_core_components" and tag != "a"):
        raise TypeError(f"cannot write {namespace}.{node._type} as HTML")
    attrs = _attrs(node)
    if tag in _VOID:
        return Markup(f"<{tag}{attrs}>")
    return Markup(f"<{tag}{attrs}>") + to_html(getattr(node, "children", None)) + \
        Markup(f"</{tag}>")
