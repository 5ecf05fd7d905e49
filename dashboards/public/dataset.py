"""``/data/<dataset-id>``: metadata, dictionary, preview, downloads, API, releases, citation.

The preview is an HTML table paged, sorted and filtered by links and a GET form,
so every preview state is a permalink (``?page=3&sort=name&desc=1&col=municipio_id&val=3``).
Rows come from the query layer, which checks every column name against the dictionary.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from dashboards import formats, releases, warehouse
from dashboards.components import quality
from dashboards.hub.labels import facet_label
from dashboards.i18n import fmt_date, fmt_number, localized_href, translator
from dashboards.public.markup import to_html
from dashboards.queries import catalog, datastore
from dashboards.writers import jsonable

PAGE_SIZE = 25
MAX_CELL = 120
#: Formats linked per kept release (the whole registry would crowd the table).
RELEASE_FORMATS = ("csv", "xlsx", "parquet")


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(jsonable(value))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…"


def _int(value, default: int) -> int:
    try:
        return max(1, min(int(str(value)), 10**9))
    except (TypeError, ValueError):
        return default


def _releases(ds: catalog.Dataset, lang: str) -> list[dict]:
    """Kept releases, newest first, with what changed in this dataset and its downloads."""
    _ = translator(lang)
    current = releases.current_id()
    out = []
    for rel in releases.kept():
        change = rel.datasets.get(ds.id)
        row = {"id": rel.id, "label": rel.id + (f" ({_('current')})" if rel.id == current
                                                 else ""),
               "created": fmt_date(rel.created, lang), "change": None, "links": []}
        if change is not None:
            first = rel.previous is None
            row["change"] = [fmt_number(change.rows, lang),
                             _("first release") if first else fmt_number(change.added, lang),
                             "–" if first else fmt_number(change.removed, lang),
                             "–" if first else fmt_number(change.changed, lang)]
            row["links"] = [{"tag": f.tag, "href": f"/download/{ds.id}.{f.key}?release={rel.id}",
                             "label": _("{fmt} as of release {id}").format(fmt=f.tag, id=rel.id)}
                            for f in map(formats.get, RELEASE_FORMATS)]
        out.append(row)
    return out


def _preview(ds: catalog.Dataset, lang: str, query: Mapping[str, str]) -> dict:
    _ = translator(lang)
    page = _int(query.get("page"), 1)
    sort = query.get("sort") if ds.column(query.get("sort") or "") else None
    desc = query.get("desc") == "1" and sort is not None
    col = query.get("col") if ds.column(query.get("col") or "") else None
    val = query.get("val") if isinstance(query.get("val"), str) else None
    text = query.get("q")[:200] if isinstance(query.get("q"), str) else None
    state = {"sort": sort, "desc": "1" if desc else None, "col": col,
             "val": val if col else None, "q": text}
    filters = {col: val} if col and val not in (None, "") else None
    error = None
    try:
        result = datastore.search(ds, filters=filters, q=text or None,
                                  sort=f"{sort} {'desc' if desc else 'asc'}" if sort else None,
                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    except datastore.QueryError as exc:
        error = exc.message
        result = datastore.search(ds, limit=PAGE_SIZE)
        state, page = {}, 1

    def href(**change) -> str:
        return localized_href(f"/data/{ds.id}", lang, **(state | change))

    total = result["total"] or 0
    pages = max(1, -(-total // PAGE_SIZE))
    header = []
    for c in result["columns"]:
        active = c.name == sort
        header.append({"name": c.name, "active": active, "desc": desc,
                       "aria": ("descending" if desc else "ascending") if active else None,
                       "href": href(sort=c.name, desc="1" if active and not desc else None,
                                    page=None),
                       "title": _("Sort by {col}").format(col=c.name)})
    filtered = {k: v for k, v in {col: val if filters else None, "q": text}.items() if k and v}
    return {
        "header": header, "rows": [[_cell(v) for v in row] for row in result["rows"]],
        "error": error, "page": page, "pages": pages,
        "page_label": _("Page {p} of {n}").format(p=fmt_number(page, lang),
                                                  n=fmt_number(pages, lang)),
        "prev": href(page=page - 1) if page > 1 else None,
        "next": href(page=page + 1) if page < pages else None,
        "total": _("{n} matching rows").format(n=fmt_number(total, lang)),
        "caption": _("Preview of {title}, page {p}").format(title=ds.title(lang), p=page),
        "columns": [c.name for c in ds.columns if c.family != "complex"],
        "col": col, "val": val or "", "q": text or "",
        "download": f"/download/{ds.id}.csv?{urlencode(filtered)}" if filtered else None,
    }


def _metadata(ds: catalog.Dataset, lang: str) -> list[tuple[str, str, str | None]]:
    """(term, text, link) pairs of the metadata list."""
    _ = translator(lang)
    coverage = "–"
    if ds.temporal_start and ds.temporal_end:
        coverage = f"{fmt_date(ds.temporal_start, lang)} – {fmt_date(ds.temporal_end, lang)}"
    return [
        (_("Identifier"), f"{ds.publisher_ipa}:{ds.id}", None),
        (_("Publisher"), f"{ds.publisher} ({_('IPA code')} {ds.publisher_ipa})", None),
        (_("Licence"), "CC BY 4.0", ds.licence_url),
        (_("Theme"), facet_label("theme", ds.theme, lang), None),
        (_("Programme axis"), str(ds.axis_id) if ds.axis_id else "–", None),
        (_("Keywords"), ", ".join(ds.keywords), None),
        (_("Update frequency"), facet_label("frequency", ds.frequency, lang), None),
        (_("Spatial coverage"), ds.spatial, None),
        (_("Temporal coverage"), coverage, None),
        (_("Last modified"), fmt_date(ds.modified, lang), None),
        (_("Rows"), fmt_number(ds.rows, lang), None),
    ]


def _api(ds: catalog.Dataset, base: str) -> str:
    sql = f'SELECT count(*) FROM "{ds.id}"'  # noqa: S608 (example shown, not run)
    return "\n".join([
        f"curl '{base}api/3/action/package_show?id={ds.id}'",
        f"curl '{base}api/3/action/datastore_search?resource_id={ds.id}&limit=5'",
        f"curl -G '{base}api/3/action/datastore_search_sql' --data-urlencode 'sql={sql}'",
        "",
        "# pip install ckanapi",
        "from ckanapi import RemoteCKAN",
        f"hub = RemoteCKAN('{base.rstrip('/')}')",
        f"page = hub.action.datastore_search(resource_id='{ds.id}', limit=100, "
        f"sort='{ds.columns[0].name}')",
    ])


def context(dataset_id: str, lang: str, query: Mapping[str, str], base: str) -> dict | None:
    """What the dataset template shows; None for an unknown dataset."""
    _ = translator(lang)
    ds = catalog.get(dataset_id)
    if ds is None:
        return None
    info = warehouse.build_info()
    citation = (f"{ds.publisher}, \"{ds.title(lang)}\", {_('version')} {info.build_id} "
                f"({fmt_date(info.built_at, lang)}), CC BY 4.0, {base}data/{ds.id}")
    return {
        "ds": ds, "title": ds.title(lang), "description": ds.description(lang),
        "suppression": (ds.suppression_en if lang == "en" else ds.suppression_it)
        if ds.suppressed else None,
        "metadata": _metadata(ds, lang),
        "quality": to_html(found) if (found := quality.findings(ds.id, lang)) else None,
        "downloads": [{"name": f.name(lang), "href": f.href(ds.id), "slug": f.slug}
                      for f in formats.links(ds)],
        "releases": _releases(ds, lang),
        "preview": _preview(ds, lang, query),
        "dictionary": [{"name": c.name, "type": c.data_type, "unit": c.unit or "",
                        "description": c.description_en if lang == "en" else c.description_it}
                       for c in ds.columns],
        "api": _api(ds, base), "citation": citation,
        "catalogue_href": localized_href("/data", lang),
    }
