"""Maps with dash-leaflet: NIL polygons, points and routes, offline by default.

The tile layer comes from ``PONMETRO_TILE_URL``; empty means no tiles at all
(the NIL polygons draw the city), so tests and offline installs never call an
external tile server. Each map has a table alternative listing what it shows.
"""

from __future__ import annotations

import os
from typing import Any

import dash_leaflet as dl
from dash import html

from dashboards.components import plain
from dashboards.i18n import translator
from ponmetro.settings import ENV_TILE_URL

PALETTE = ("#f0f5fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


def tile_url() -> str:
    return os.environ.get(ENV_TILE_URL, "").strip()


def tile_attribution() -> str:
    return os.environ.get("PONMETRO_TILE_ATTRIBUTION", "").strip()


def shade(value: float | None, top: float) -> str | None:
    """A sequential blue for ``value`` on 0..top (None for missing values)."""
    if value is None or top <= 0:
        return None
    step = min(len(PALETTE) - 1, int(value / top * (len(PALETTE) - 1) + 0.5))
    return PALETTE[step]


def choropleth(features: dict[str, Any], values: dict[int, float]) -> dict[str, Any]:
    """Copy of the NIL features with a fill colour per NIL from ``values``."""
    top = max(values.values(), default=0)
    out = []
    for feature in features["features"]:
        props = dict(feature["properties"])
        value = values.get(props["nil_id"])
        props["_fill"] = shade(value, top)
        props["value"] = value
        out.append({**feature, "properties": props})
    return {"type": "FeatureCollection", "features": out}


def point(lat: float, lon: float, label: str, color: str = "#0066cc",
          radius: int = 7) -> dict[str, Any]:
    """A GeoJSON point feature, drawn as a circle marker with ``label`` as its tooltip.

    All points of a map travel as one GeoJSON layer (``ponmetroMap.point`` in
    assets/ponmetro.js draws them): one plain dict per point instead of a Dash component
    tree, which is what made the station map slow to build and to send. The label is set
    as text in the browser, never parsed as HTML."""
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"label": label, "color": color, "radius": radius}}


def legend(items: list[tuple[str, str]]) -> dict[str, Any]:
    """A map's legend: a coloured dot (hidden from screen readers) and its words per item."""
    return plain.html.P([plain.html.Span([plain.html.Span("●", style={"color": color},
                                                          **{"aria-hidden": "true"}),
                                          f" {text}"], className="me-3")
                         for color, text in items], className="pm-footnote")


def city_map(key: str, lang: str, *, bounds: list[list[float]],
             polygons: dict[str, Any] | None = None,
             points: list[dict[str, Any]] | None = None,
             lines: dict[str, Any] | None = None, label: str) -> html.Div:
    """A Leaflet map of the city; ``label`` names it for assistive technology."""
    _ = translator(lang)
    layers: list[Any] = []
    if tile_url():
        layers.append(dl.TileLayer(url=tile_url(), attribution=tile_attribution(),
                                   maxZoom=18))
    if polygons is not None:
        layers.append(dl.GeoJSON(data=polygons, style={"variable": "ponmetroMap.style"},
                                 id=f"{key}-polygons"))
    if lines is not None:
        layers.append(dl.GeoJSON(data=lines, style={"variable": "ponmetroMap.line"},
                                 id=f"{key}-lines"))
    if points:
        layers.append(dl.GeoJSON(data={"type": "FeatureCollection", "features": points},
                                 pointToLayer={"variable": "ponmetroMap.point"},
                                 id=f"{key}-points"))
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    return html.Div(role="region", **{"aria-label": label}, children=dl.Map(
        id=key, bounds=bounds, center=center, zoom=12, children=layers, className="pm-map", scrollWheelZoom=False,
        attributionControl=bool(tile_url()), style={"height": "420px"},
        # Maps are re-drawn when filters change; without animations Leaflet never
        # touches a map that React has already removed (the `_leaflet_pos` error).
        zoomAnimation=False, fadeAnimation=False, markerZoomAnimation=False,
        trackViewport=False))
