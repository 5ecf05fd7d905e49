"""What search engines read: head tags, schema.org ``Dataset`` JSON-LD, sitemap, robots.txt.

The JSON-LD of a dataset is made from the same catalogue record and the same
download URLs as its DCAT-AP_IT description (``dashboards.hub.dcat``), so the two
cannot disagree on distributions, licence or publisher.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

from dashboards.hub import describe
from dashboards.i18n import SUPPORTED, localized_href
from dashboards.queries import catalog

SITE = "PON Metro Milano"
#: The Dash dashboards listed in the sitemap beside the public pages.
DASHBOARDS = ("/", "/axis/1", "/axis/2", "/axis/3", "/axis/4", "/housing", "/social",
              "/mobility")
LEGAL = ("/note-legali", "/privacy", "/accessibilita")
DESCRIPTION_CHARS = 160


@dataclass(frozen=True)
class Head:
    """The per-page, per-language head: title, description, canonical and alternates."""

    title: str
    description: str
    canonical: str
    alternates: tuple[tuple[str, str], ...]


def _absolute(base: str, href: str) -> str:
    return base.rstrip("/") + href


def full_title(title: str) -> str:
    """A tab's title: the page first, then the site."""
    return f"{title} · {SITE}"


def head(base: str, path: str, lang: str, title: str, description: str) -> Head:
    """Title names the page first; the canonical URL drops every parameter but ``lang``."""
    short = " ".join(description.split())
    if len(short) > DESCRIPTION_CHARS:
        short = short[:DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
    alternates = tuple((code, _absolute(base, localized_href(path, code))) for code in SUPPORTED)
    return Head(title=full_title(title), description=short,
                canonical=_absolute(base, localized_href(path, lang)),
                alternates=(*alternates, ("x-default", _absolute(base, path))))


def dataset_jsonld(base: str, ds: catalog.Dataset, lang: str) -> dict:
    """schema.org ``Dataset`` of one catalogue record (distributions as in DCAT)."""
    page = f"{base}data/{ds.id}"
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": f"{page}#dataset",
        "name": ds.title(lang),
        "description": ds.description(lang),
        "url": page,
        "identifier": f"{ds.publisher_ipa}:{ds.id}",
        "keywords": list(ds.keywords),
        "inLanguage": ["it", "en"],
        "isAccessibleForFree": True,
        "license": ds.licence_url,
        "dateModified": ds.modified.date().isoformat(),
        "publisher": {"@type": "GovernmentOrganization", "name": ds.publisher,
                      "identifier": ds.publisher_ipa},
        "creator": {"@type": "GovernmentOrganization", "name": ds.publisher},
        "spatialCoverage": {"@type": "Place", "name": ds.spatial},
        "distribution": [{"@type": "DataDownload", "@id": f"{page}#{fmt.key}",
                          "name": f"{ds.title(lang)} ({fmt.key.upper()})",
                          "contentUrl": describe.download_url(base, ds, fmt),
                          "encodingFormat": fmt.media_type}
                         for fmt in ds.formats],
    }
    if ds.temporal_start and ds.temporal_end:
        data["temporalCoverage"] = f"{ds.temporal_start.isoformat()}/" \
                                   f"{ds.temporal_end.isoformat()}"
    return data


def script(data: dict) -> Markup:
    """A JSON-LD ``<script>``; ``<`` is escaped so no value can close the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return Markup(f'<script type="application/ld+json">{text}</script>')


def page_paths() -> list[str]:
    """Every page a crawler should know: dashboards, public pages, projects, datasets."""
    from dashboards.queries import programme

    return [*DASHBOARDS, "/data", *[f"/data/{i}" for i in catalog.ids()],
            *[f"/projects/{c}" for c in programme.project_codes()], "/reporting", *LEGAL]


def sitemap(base: str) -> str:
    """sitemaps.org XML with an IT/EN pair (xhtml:link alternates) for every page."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    for path in page_paths():
        links = "".join(
            f'<xhtml:link rel="alternate" hreflang="{code}" '
            f'href="{escape(_absolute(base, localized_href(path, code)))}"/>'
            for code in SUPPORTED)
        for code in SUPPORTED:
            loc = escape(_absolute(base, localized_href(path, code)))
            out.append(f"<url><loc>{loc}</loc>{links}</url>")
    out.append("</urlset>")
    return "\n".join(out) + "\n"


def robots(base: str) -> str:
    """Everything may be crawled but the machine endpoints; the sitemap is named."""
    return ("User-agent: *\nDisallow: /_dash-\nDisallow: /api/\n"
            "Disallow: /reporting/download\nAllow: /\n"
            f"Sitemap: {base}sitemap.xml\n")
