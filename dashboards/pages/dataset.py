"""``/data/<dataset-id>``: metadata, dictionary, preview, downloads, API and citation.

The preview is an accessible HTML table paged, sorted and filtered by links and
a GET form, so every preview state is a permalink
(``?page=3&sort=name&desc=1&col=municipio_id&val=3``). Rows come from the query
layer, which checks every column name against the dictionary.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import flask
from dash import dcc, html

from dashboards import formats, releases, warehouse
from dashboards.components import quality
from dashboards.hub.labels import facet_label
from dashboards.i18n import fmt_date, fmt_number, localized_href, resolve_lang, translator
from dashboards.queries import catalog, datastore


def page_title(dataset_id=None, **_query) -> str:
    """The browser title names the dataset (Italian title; the page body follows ?lang)."""
    try:
        ds = catalog.get(dataset_id)
    except warehouse.WarehouseUnavailable:
        ds = None
    return f"{ds.title_it if ds else 'Dataset'} · Open data PON Metro Milano"


dash.register_page(__name__, path_template="/data/<dataset_id>", title=page_title,
                   name="Dataset")

PAGE_SIZE = 25
MAX_CELL = 120


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(datastore.jsonable(value))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…"


def _page_href(ds: catalog.Dataset, lang: str, state: dict, **change) -> str:
    return localized_href(f"/data/{ds.id}", lang, **(state | change))


def _int(value, default: int) -> int:
    try:
        return max(1, min(int(str(value)), 10**9))
    except (TypeError, ValueError):
        return default


#: Formats linked per kept release (the whole registry would crowd the table).
RELEASE_FORMATS = ("csv", "xlsx", "parquet")


def _releases(ds: catalog.Dataset, lang: str):
    """Kept releases, newest first, with what changed in this dataset and its downloads."""
    _ = translator(lang)
    kept = releases.kept()
    if not kept:
        return None
    current = releases.current_id()
    rows = []
    for rel in kept:
        change = rel.datasets.get(ds.id)
        label = rel.id + (f" ({_('current')})" if rel.id == current else "")
        if change is None:
            cells = [html.Td(_("not in this release"), colSpan=4), html.Td("–")]
        else:
            first = rel.previous is None
            cells = [html.Td(fmt_number(change.rows, lang)),
                     html.Td(_("first release") if first else fmt_number(change.added, lang)),
                     html.Td("–" if first else fmt_number(change.removed, lang)),
                     html.Td("–" if first else fmt_number(change.changed, lang)),
                     html.Td([html.A(f.tag, href=f"/download/{ds.id}.{f.key}?release={rel.id}",
                                     download="", className="me-2",
                                     **{"aria-label": _("{fmt} as of release {id}").format(
                                         fmt=f.tag, id=rel.id)})
                              for f in map(formats.get, RELEASE_FORMATS)])]
        rows.append(html.Tr([html.Th(label, scope="row"),
                             html.Td(fmt_date(rel.created, lang)), *cells],
                            **{"data-release": rel.id}))
    return html.Section([
        html.H2(_("Releases"), id="releases-title"),
        html.P(_("Each release is a full build of the data. Download this dataset exactly as "
                 "it was in any kept release; changes are counted against the release "
                 "before, matching rows by their key."), className="small"),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(_("Release"), scope="col"),
                                html.Th(_("Published"), scope="col"),
                                html.Th(_("Rows"), scope="col"),
                                html.Th(_("Rows added"), scope="col"),
                                html.Th(_("Rows removed"), scope="col"),
                                html.Th(_("Rows changed"), scope="col"),
                                html.Th(_("Downloads"), scope="col")])),
            html.Tbody(rows)], className="table table-sm", id="releases-table"),
            className="table-responsive", tabIndex="0", role="region",
            **{"aria-labelledby": "releases-title"}),
    ], **{"aria-labelledby": "releases-title"})


def _preview(ds: catalog.Dataset, lang: str, query: dict):
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
        state = {}
    total = result["total"] or 0
    pages = max(1, -(-total // PAGE_SIZE))
    header = []
    for c in result["columns"]:
        active = c.name == sort
        aria = ("descending" if desc else "ascending") if active else None
        next_desc = "1" if active and not desc else None
        header.append(html.Th(html.A(
            [c.name, html.Span(" ▼" if active and desc else " ▲" if active else "",
                               **{"aria-hidden": "true"})],
            href=_page_href(ds, lang, state, sort=c.name, desc=next_desc, page=None),
            title=_("Sort by {col}").format(col=c.name)),
            scope="col", **{"aria-sort": aria, "data-col": c.name}))
    body = [html.Tr([html.Td(_cell(v)) for v in row]) for row in result["rows"]]
    nav = html.Nav(html.Ul([
        html.Li(html.A(_("Previous"), href=_page_href(ds, lang, state, page=page - 1),
                         className="page-link", id="preview-prev"), className="page-item")
        if page > 1 else None,
        html.Li(html.Span(_("Page {p} of {n}").format(p=fmt_number(page, lang),
                                                     n=fmt_number(pages, lang)),
                          className="page-link", id="preview-page"), className="page-item"),
        html.Li(html.A(_("Next"), href=_page_href(ds, lang, state, page=page + 1),
                         className="page-link", id="preview-next"), className="page-item")
        if page < pages else None,
    ], className="pagination"), **{"aria-label": _("Preview pages")})
    options = [html.Option(c.name, value=c.name, selected=c.name == col)
               for c in ds.columns if c.family != "complex"]
    form = html.Form([
        html.Div([
            html.Label(_("Column"), htmlFor="preview-col", className="form-label"),
            html.Select([html.Option(_("(choose)"), value="")] + options, id="preview-col",
                        name="col", className="form-select"),
        ], className="col-md-3"),
        html.Div([
            html.Label(_("equals"), htmlFor="preview-val", className="form-label"),
            dcc.Input(id="preview-val", name="val", value=val or "", className="form-control",
                      maxLength=1000),
        ], className="col-md-3"),
        html.Div([
            html.Label(_("Text contains"), htmlFor="preview-q", className="form-label"),
            dcc.Input(id="preview-q", name="q", value=text or "", type="search",
                      className="form-control", maxLength=200),
        ], className="col-md-3"),
        *([dcc.Input(type="hidden", name="lang", value=lang, id="preview-lang")]
          if lang != "it" else []),
        html.Div(html.Button(_("Filter"), type="submit", className="btn btn-primary mt-4",
                             id="preview-submit"), className="col-md-3"),
    ], action=f"/data/{ds.id}", method="get", className="row g-2 mb-3",
        **{"aria-label": _("Filter the preview")})
    filtered_query = {k: v for k, v in {col: val if filters else None, "q": text}.items()
                      if k and v}
    return html.Section([
        html.H2(_("Preview"), id="preview-title"),
        form,
        html.P(error, role="alert", className="alert alert-danger", id="preview-error")
        if error else None,
        html.P(_("{n} matching rows").format(n=fmt_number(total, lang)), id="preview-total",
               **{"aria-live": "polite"}),
        html.Div(html.Table([
            html.Caption(_("Preview of {title}, page {p}").format(title=ds.title(lang), p=page)),
            html.Thead(html.Tr(header)), html.Tbody(body)],
            className="table table-sm table-striped", id="preview-table"),
            className="table-responsive", tabIndex="0", role="region",
            **{"aria-labelledby": "preview-title"}),
        nav,
        html.P(html.A(_("Download these filtered rows (CSV)"),
                      href=f"/download/{ds.id}.csv?{urlencode(filtered_query)}",
                      id="preview-download")) if filtered_query else None,
    ], **{"aria-labelledby": "preview-title"})


def _metadata(ds: catalog.Dataset, lang: str, built_at) -> html.Dl:
    _ = translator(lang)
    coverage = "–"
    if ds.temporal_start and ds.temporal_end:
        coverage = f"{fmt_date(ds.temporal_start, lang)} – {fmt_date(ds.temporal_end, lang)}"
    pairs = [
        (_("Identifier"), f"{ds.publisher_ipa}:{ds.id}"),
        (_("Publisher"), f"{ds.publisher} ({_('IPA code')} {ds.publisher_ipa})"),
        (_("Licence"), html.A("CC BY 4.0", href=ds.licence_url, rel="license")),
        (_("Theme"), facet_label("theme", ds.theme, lang)),
        (_("Programme axis"), str(ds.axis_id) if ds.axis_id else "–"),
        (_("Keywords"), ", ".join(ds.keywords)),
        (_("Update frequency"), facet_label("frequency", ds.frequency, lang)),
        (_("Spatial coverage"), ds.spatial),
        (_("Temporal coverage"), coverage),
        (_("Last modified"), fmt_date(ds.modified, lang)),
        (_("Rows"), fmt_number(ds.rows, lang)),
    ]
    items = []
    for term, value in pairs:
        items += [html.Dt(term, className="col-sm-3"), html.Dd(value, className="col-sm-9")]
    return html.Dl(items, className="row", id="dataset-metadata")


def _dictionary(ds: catalog.Dataset, lang: str):
    _ = translator(lang)
    rows = [html.Tr([html.Th(html.Code(c.name), scope="row"), html.Td(c.data_type),
                     html.Td(c.unit or ""),
                     html.Td(c.description_en if lang == "en" else c.description_it)])
            for c in ds.columns]
    return html.Section([
        html.H2(_("Data dictionary"), id="dictionary-title"),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(_("Column"), scope="col"),
                                html.Th(_("Type"), scope="col"),
                                html.Th(_("Unit"), scope="col"),
                                html.Th(_("Description"), scope="col")])),
            html.Tbody(rows)], className="table table-sm", id="dictionary-table"),
            className="table-responsive"),
    ], **{"aria-labelledby": "dictionary-title"})


def _downloads(ds: catalog.Dataset, lang: str):
    _ = translator(lang)
    links = [html.Li(html.A(f.name(lang), href=f.href(ds.id), download="",
                            **{"data-format": f.slug})) for f in formats.links(ds)]
    links.append(html.Li(html.A(_("Frictionless Data Package"),
                                href=f"/data/{ds.id}/datapackage.json",
                                **{"data-format": "datapackage"})))
    return html.Section([html.H2(_("Downloads"), id="downloads-title"),
                         html.Ul(links, id="dataset-downloads"),
                         html.P(_("Filter any download with query parameters named after the "
                                  "columns, e.g. ?municipio_id=3 or ?month__gte=2020-01-01."),
                                className="small")],
                        **{"aria-labelledby": "downloads-title"})


def _api(ds: catalog.Dataset, lang: str, base: str):
    _ = translator(lang)
    first = ds.columns[0].name
    sql = f'SELECT count(*) FROM "{ds.id}"'  # noqa: S608 (example shown, not run)
    examples = "\n".join([
        f"curl '{base}api/3/action/package_show?id={ds.id}'",
        f"curl '{base}api/3/action/datastore_search?resource_id={ds.id}&limit=5'",
        f"curl -G '{base}api/3/action/datastore_search_sql' "
        f"--data-urlencode 'sql={sql}'",
        "",
        "# pip install ckanapi",
        "from ckanapi import RemoteCKAN",
        f"hub = RemoteCKAN('{base.rstrip('/')}')",
        f"page = hub.action.datastore_search(resource_id='{ds.id}', limit=100, "
        f"sort='{first}')",
    ])
    return html.Section([html.H2(_("API"), id="api-title"),
                         html.P(_("The hub answers the CKAN Action API; ckanapi and other "
                                  "CKAN clients work unchanged.")),
                         html.Pre(html.Code(examples), tabIndex="0", className="pm-code",
                                  style={"overflowX": "auto"})],
                        **{"aria-labelledby": "api-title"})


def _cite(ds: catalog.Dataset, lang: str, base: str, build_id: str, built_at):
    _ = translator(lang)
    citation = (f"{ds.publisher}, \"{ds.title(lang)}\", {_('version')} {build_id} "
                f"({fmt_date(built_at, lang)}), CC BY 4.0, {base}data/{ds.id}")
    return html.Section([html.H2(_("Licence and how to cite"), id="cite-title"),
                         html.P(_("You may copy, adapt and redistribute these data for any "
                                  "purpose, including commercially, as long as you credit "
                                  "the source (Creative Commons Attribution 4.0).")),
                         html.Blockquote(citation, className="pm-citation", id="citation")],
                        **{"aria-labelledby": "cite-title"})


def layout(dataset_id=None, lang=None, **query):
    lang = resolve_lang(lang)
    _ = translator(lang)
    try:
        ds = catalog.get(dataset_id)
        info = warehouse.build_info()
    except warehouse.WarehouseUnavailable as exc:
        return html.Div([html.H1(_("Open data")), html.P(f"{_('Data unavailable')}: {exc}",
                                                          role="alert")])
    if ds is None:
        return html.Div([
            html.H1(_("Dataset not found")),
            html.P(_("There is no published dataset with this identifier.")),
            html.A(_("Back to the catalogue"), href=localized_href("/data", lang)),
        ], id="dataset-not-found")
    base = flask.request.url_root if flask.has_request_context() else "/"
    return html.Div([
        html.Nav(html.Ol([
            html.Li(html.A(_("Open data"), href=localized_href("/data", lang)),
                    className="breadcrumb-item"),
            html.Li(ds.title(lang), className="breadcrumb-item active",
                    **{"aria-current": "page"})], className="breadcrumb"),
            **{"aria-label": _("Breadcrumb")}),
        html.H1(ds.title(lang), id="dataset-title"),
        html.P(ds.description(lang), className="lead"),
        html.Div([html.H2(_("Confidentiality"), className="h5"),
                  html.P(ds.suppression_en if lang == "en" else ds.suppression_it)],
                 className="alert alert-info", role="note", id="dataset-suppression")
        if ds.suppressed else None,
        _metadata(ds, lang, info.built_at),
        quality.findings(ds.id, lang),
        _downloads(ds, lang),
        _releases(ds, lang),
        _preview(ds, lang, query),
        _dictionary(ds, lang),
        _api(ds, lang, base),
        _cite(ds, lang, base, info.build_id, info.built_at),
    ])
