"""Callback responses encoded by orjson in one pass, Dash components included.

Dash encodes every callback response with ``plotly.io.json.to_json_plotly``. With
orjson installed that first tries ``orjson.dumps`` and, as soon as it meets a Dash
component (every page is one), falls back to walking the whole response in Python
(``clean_to_json_compatible``): about a third of a page callback's server time in the
first benchmark round. Here orjson calls back only for the objects it cannot encode
itself (components, through their own ``to_plotly_json``), so the walk stays in C.
Anything else unusual goes through plotly's encoder unchanged, and the output is made
HTML-safe exactly as plotly does.
"""

from __future__ import annotations

from typing import Any

import orjson
from plotly.io import _json as plotly_json

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


class _Unsupported(TypeError):
    """An object orjson cannot encode and that is not a Dash component."""


def _default(obj: Any) -> Any:
    to_plotly_json = getattr(obj, "to_plotly_json", None)
    if to_plotly_json is None:
        raise _Unsupported(type(obj).__name__)
    return to_plotly_json()


def to_json(value: Any) -> str:
    """``dash._utils.to_json`` with components encoded inside orjson (same JSON out)."""
    try:
        text = orjson.dumps(value, default=_default, option=_OPTIONS).decode("utf-8")
    except TypeError:  # decimals, pandas objects, ...: plotly's encoder knows them
        return plotly_json.to_json_plotly(value)
    return plotly_json._safe(text, plotly_json._swap_orjson)


def install() -> None:
    """Use :func:`to_json` for callback responses (the one encoder ``dash._callback`` calls)."""
    import dash._callback

    dash._callback.to_json = to_json
