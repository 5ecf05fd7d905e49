"""HTML representations of the OGC API and OpenAPI resources (the HTML conformance class).

Plain server-rendered pages with the site's local stylesheets (no CDN, no script),
Italian first with English beside it, real tables with header cells and links to
every other representation, so a person with a screen reader can browse the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(("html",)), trim_blocks=True,
                   lstrip_blocks=True)
_ENV.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False)

#: Italian and English labels of the pages (Italian first).
LABELS = {
    "it": {"home": "Home", "collections": "Collezioni", "conformance": "Conformità",
           "items": "Elementi", "feature": "Elemento", "api": "Definizione dell'API",
           "next": "Pagina successiva", "prev": "Pagina precedente",
           "matched": "elementi trovati", "shown": "mostrati da", "property": "Proprietà",
           "value": "Valore", "geometry": "Geometria", "download": "Scarica GeoJSON",
           "extent": "Estensione (lon/lat WGS84)", "time": "Periodo", "other": "English",
           "json": "Questa pagina in JSON", "title": "API OGC Features - PON Metro Milano"},
    "en": {"home": "Home", "collections": "Collections", "conformance": "Conformance",
           "items": "Items", "feature": "Feature", "api": "API definition",
           "next": "Next page", "prev": "Previous page", "matched": "features matched",
           "shown": "shown from", "property": "Property", "value": "Value",
           "geometry": "Geometry", "download": "Download GeoJSON",
           "extent": "Extent (WGS84 lon/lat)", "time": "Period", "other": "Italiano",
           "json": "This page as JSON", "title": "OGC API Features - PON Metro Milan"},
}


def render(template: str, **context: Any) -> str:
    lang = context.get("lang", "it")
    return _ENV.get_template(f"{template}.html").render(t=LABELS[lang], **context)
