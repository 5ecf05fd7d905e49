"""Dash components written out as HTML, so the server-rendered pages share the Dash frame.

The header, navigation, demo banner and footer are written once, as Dash components
(``dashboards.components.frame``); the public pages print the very same tree as
markup instead of keeping a second copy in a template. Only what the frame uses
is supported: ``dash.html`` elements and ``dcc.Link`` (a plain ``<a>``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

#: Dash prop names that differ from their HTML attribute.
_RENAMED = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex",
            "colSpan": "colspan", "rowSpan": "rowspan"}
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})
_SKIP = frozenset({"children", "id", "refresh", "target_runtime"})
#: Writes a component this module cannot (``kind, namespace, props``) as markup.
StandIn = Callable[[str, str, dict[str, Any]], Markup]


def _css(name: str) -> str:
    """``minHeight`` (React's spelling) as ``min-height``."""
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def _attrs(props: dict[str, Any]) -> str:
    out = []
    for name, value in sorted(props.items()):  # sorted: wildcard props (aria-*, data-*) come in hash order
        if name in _SKIP and not (name == "id" and isinstance(value, str)):
            continue
        if value is None or value is False:
            continue
        if name == "style" and isinstance(value, dict):
            value = ";".join(f"{_css(k)}:{v}" for k, v in value.items())
        attr = _RENAMED.get(name, name)
        out.append(f' {attr}' if value is True else f' {attr}="{escape(str(value))}"')
    return "".join(out)


def to_html(node: Any, stand_in: StandIn | None = None) -> Markup:
    """Markup of a Dash component tree (strings escaped, ``None`` skipped). A component may
    also be in the JSON form Dash sends (``{"type", "namespace", "props"}``), as the data
    tables build their cells. Other components are written by ``stand_in`` (the Dash page
    shell's first screen: ``dashboards.shell``), or refused."""
    if node is None:
        return Markup("")
    if isinstance(node, (list, tuple)):
        return Markup("").join(to_html(child, stand_in) for child in node)
    if isinstance(node, (str, int, float)):
        return escape(str(node))
    if isinstance(node, dict):
        kind, namespace, props = node["type"], node.get("namespace", ""), node.get("props", {})
    else:
        kind, namespace = node._type, getattr(node, "_namespace", "")
        props = node.to_plotly_json()["props"]
    tag = "a" if kind == "Link" and namespace == "dash_core_components" else kind.lower()
    if namespace not in ("dash_html_components", "dash_core_components") or \
            (namespace == "dash_core_components" and tag != "a"):
        if stand_in is not None:
            return stand_in(kind, namespace, props)
        raise TypeError(f"cannot write {namespace}.{kind} as HTML")
    attrs = _attrs(props)
    if tag in _VOID:
        return Markup(f"<{tag}{attrs}>")
    return Markup(f"<{tag}{attrs}>") + to_html(props.get("children"), stand_in) + \
        Markup(f"</{tag}>")
