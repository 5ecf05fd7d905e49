"""``/data``: the open-data catalogue, searchable, with facets in the URL (permalinks).

Every state of the page is a link: the search form submits ``?q=``, each facet
value is a link that adds or removes it (``?theme=SOCI,TRAN&format=geojson``),
so any view can be bookmarked or shared and works without JavaScript.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from dashboards import formats
from dashboards.hub.labels import facet_label
from dashboards.i18n import fmt_number, localized_href, translator
from dashboards.queries import catalog

FACET_TITLES = {"theme": "Theme", "axis": "Programme axis", "format": "Format",
                "frequency": "Update frequency"}
MAX_Q = 200


class BadQuery(ValueError):
    """A search text no person types (control characters): answered 400."""


def _split(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [v for v in value.split(",") if v][:20]


def _clean_q(value: object) -> str:
    q = value[:MAX_Q] if isinstance(value, str) else ""
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in q):
        raise BadQuery("control characters in the search text")
    return q


def _href(lang: str, q: str, selected: dict[str, list[str]]) -> str:
    params = {"q": q} | {f: ",".join(v) for f, v in selected.items() if v}
    return localized_href("/data", lang, **params)


def _facet(facet: str, counts, selected: dict[str, list[str]], q: str, lang: str) -> dict:
    _ = translator(lang)
    order = sorted(counts) if facet != "format" else \
        [f.key for f in formats.listed() if f.key in counts]
    items = []
    for value in order:
        chosen = value in selected.get(facet, [])
        new = dict(selected)
        new[facet] = [v for v in selected.get(facet, []) if v != value] if chosen else \
            [*selected.get(facet, []), value]
        items.append({"value": value, "chosen": chosen, "href": _href(lang, q, new),
                      "label": f"{facet_label(facet, value, lang)} ({counts[value]})"})
    return {"key": facet, "title": _(FACET_TITLES[facet]), "items": items}


def _result(ds: catalog.Dataset, lang: str) -> dict:
    _ = translator(lang)
    return {"id": ds.id, "title": ds.title(lang), "description": ds.description(lang),
            "href": localized_href(f"/data/{ds.id}", lang),
            "theme": facet_label("theme", ds.theme, lang),
            "frequency": facet_label("frequency", ds.frequency, lang),
            "rows": f"{fmt_number(ds.rows, lang)} {_('rows')}",
            "formats": " · ".join(f.key.upper() for f in ds.formats)}


def context(lang: str, args: Mapping[str, str]) -> dict:
    """What the catalogue template shows for this query (BadQuery for hostile text)."""
    _ = translator(lang)
    q = _clean_q(args.get("q"))
    selected = {f: _split(args.get(f)) for f in catalog.FACETS}
    results, counts = catalog.search(q, selected)
    summary = _("{n} datasets").format(n=len(results)) if len(results) != 1 else \
        _("1 dataset")
    return {"q": q, "max_q": MAX_Q, "summary": summary,
            "hidden": {f: ",".join(v) for f, v in selected.items() if v},
            "filtered": bool(q or any(selected.values())),
            "facets": [_facet(f, counts[f], selected, q, lang) for f in catalog.FACETS],
            "results": [_result(ds, lang) for ds in results]}
