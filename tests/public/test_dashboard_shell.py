"""The Dash dashboards' first response (plain HTTP, no JavaScript): the page's head per
language, and a first screen holding the page's heading, KPIs and each chart's summary and
table, equal to what the query layer reads from the warehouse (not fixed strings)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from dash import dcc, html
from lxml import html as lhtml

from dashboards.public import seo

DASHBOARDS = list(seo.DASHBOARDS)
#: One chart per dashboard: (path, block key, spec name, parameters the page gives it).
CHARTS = [
    ("/", "home-by-axis", "programme_by_axis", {}),
    ("/axis/2", "axis-indicators", "axis_indicators", {"axis_id": 2}),
    ("/housing", "housing-status", "housing_status", {"municipio": None, "nil": None}),
    ("/housing?municipio=3", "housing-status", "housing_status", {"municipio": 3, "nil": None}),
    ("/social", "social-usage", "social_usage", {"municipio": None, "year": None}),
    ("/mobility", "mobility-trips", "mobility_trips", {}),
]


def _get(client, path: str, status: int = 200):
    reply = client.get(path)
    assert reply.status_code == status, path
    assert reply.mimetype == "text/html"
    return reply.get_data(as_text=True)


def _first_screen(client, path: str, status: int = 200):
    doc = lhtml.fromstring(_get(client, path, status))
    screens = doc.xpath("//div[@id='pm-first-screen']")
    assert len(screens) == 1, path
    # before Dash's root, which React fills (the first screen is not React's to replace)
    assert screens[0].getnext().get("id") == "react-entry-point"
    return doc, screens[0]


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _spec(name: str):
    from dashboards.components import charts, specs  # noqa: F401 - registers the charts

    return charts.REGISTRY[name]


@pytest.mark.parametrize("lang", ["it", "en"])
def test_overview_first_screen_holds_heading_and_kpis(client, door, lang):
    from dashboards.i18n import fmt_eur, fmt_percent, translator
    from dashboards.queries import programme

    _ = translator(lang)
    _doc, screen = _first_screen(client, f"/?lang={lang}")
    assert [_text(h) for h in screen.xpath(".//h1")] == \
        [_("PON Metro 2014-2020 in Milan: programme overview")]
    totals = programme.programme_totals()
    values = [_text(v) for v in screen.xpath(".//section[contains(@class, 'pm-kpis')][1]"
                                             "//p[contains(@class, 'pm-kpi-value')]")]
    assert values == [fmt_eur(totals["allocation_eur"], lang), fmt_eur(totals["committed_eur"], lang),
                      fmt_eur(totals["paid_eur"], lang), fmt_percent(totals["share_reached"], lang)]
    listed = {a.text_content().split(" – ")[0] for a in screen.xpath(
        ".//div[@id='home-project-list']//a[starts-with(@href, '/projects/')]")}
    assert listed == set(programme.projects(None, None)["project_code"])


@pytest.mark.parametrize("axis_id", [1, 2, 3, 4])
def test_axis_heading_is_the_axis_name(client, door, axis_id):
    from dashboards.queries import programme

    row = programme.axis_summary().filter(programme.axis_summary()["axis_id"] == axis_id).row(
        0, named=True)
    doc, screen = _first_screen(client, f"/axis/{axis_id}?lang=en")
    heading = f"Axis {axis_id} – {row['name_en']}"
    assert [_text(h) for h in screen.xpath(".//h1")] == [heading]
    assert doc.findtext(".//title") == f"{heading} · {seo.SITE}"


@pytest.mark.parametrize(("path", "key", "name", "params"), CHARTS)
def test_chart_summary_and_table_come_from_the_query_layer(client, door, path, key, name,
                                                           params):
    from dashboards.components import charts
    from dashboards.i18n import fmt_number, translator

    lang = "it"
    spec = _spec(name)
    frame = spec.data(params)
    _doc, screen = _first_screen(client, path)
    block = screen.xpath(f".//section[@aria-labelledby='{key}-title']")
    assert len(block) == 1, key
    assert _text(block[0].xpath(".//h2")[0]) == translator(lang)(spec.title)
    assert _text(block[0].xpath(".//figcaption")[0]) == spec.summary(frame, lang)
    rows = block[0].xpath(".//details//table/tbody/tr")
    shown = charts.table_rows(frame)
    assert len(rows) == shown.height > 0
    assert shown.height <= charts.TABLE_ROWS or shown[shown.columns[0]].n_unique() == 1
    columns = [c for c in spec.columns if c in frame.columns]
    first = shown.row(0, named=True)
    cells = [_text(td) for td in rows[0].xpath("./td")]
    expected = [translator(lang)("suppressed (1-4)")
                if first.get(c) is None and first.get("flag") == "c" and c != "flag"
                else charts.cell(first[c], c, lang) for c in columns]
    assert cells == expected
    # rows left out: the note says how many, and links to all of them (no JavaScript needed)
    notes = block[0].xpath(".//details//p[contains(@class, 'pm-footnote')]")
    if shown.height < frame.height:
        assert fmt_number(frame.height, lang) in _text(notes[0])
        assert notes[0].xpath(".//a/@href") == [charts.download_href(spec, params)]
        download = client.get(charts.download_href(spec, params))
        assert download.status_code == 200
        assert download.data.decode().count("\n") == frame.height + 1  # header and every row
    else:
        assert notes == []
    # the chart keeps its figure's height before plotly.js draws it (no layout shift)
    graph = block[0].xpath(".//div[contains(@class, 'pm-graph')]")
    if graph:
        height = charts.render(spec, params, lang)[0]["layout"]["height"]
        assert graph[0].get("style") == f"min-height:{height}px"


def test_titles_and_descriptions_differ_per_page_and_language(client, door):
    titles: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for path in DASHBOARDS:
        for lang in ("it", "en"):
            doc, screen = _first_screen(client, f"{path}?lang={lang}")
            title = doc.findtext(".//title")
            description = doc.xpath("//meta[@name='description']/@content")
            assert title not in titles, (path, lang, titles.get(title))
            assert len(description) == 1 and 20 <= len(description[0]) <= 160
            assert description[0] not in descriptions, (path, lang)
            titles[title], descriptions[description[0]] = path, path
            assert doc.xpath("/html/@lang") == [lang]
            assert title.endswith(f" · {seo.SITE}")
            assert len(screen.xpath(".//h1")) == 1
    assert len(titles) == 2 * len(DASHBOARDS)


@pytest.mark.parametrize("path", ["/", "/axis/3", "/mobility"])
def test_canonical_and_hreflang_alternates(client, door, path):
    doc, _screen = _first_screen(client, f"{path}?lang=en&utm_source=x&municipio=2")
    canonical = doc.xpath("//link[@rel='canonical']/@href")
    assert [_path(c) for c in canonical] == [f"{path}?lang=en"]
    alternates = {a.get("hreflang"): _path(a.get("href"))
                  for a in doc.xpath("//link[@rel='alternate'][@hreflang]")}
    assert alternates == {"it": path, "en": f"{path}?lang=en", "x-default": path}
    assert doc.xpath("//meta[@property='og:title']") == []  # Dash's untranslated tags are off


def test_unknown_pages_answer_404_with_the_404_head(client, door):
    for path in ("/no-such-page", "/axis/9", "/axis/%3Cscript%3E"):
        doc, screen = _first_screen(client, path, status=404)
        assert doc.findtext(".//title") == f"Pagina non trovata · {seo.SITE}"
        assert screen.xpath(".//*[@id='not-found']//h1")


@pytest.mark.parametrize("query", [
    "municipio=%3Cscript%3Ealert(1)%3C/script%3E&nil=%27%20OR%201%3D1--",
    "year=99999999999999999999&status=%00",
    "lang=%E2%80%AE&municipio=-1",
])
def test_hostile_query_strings_draw_the_default_view(client, door, query):
    body = _get(client, f"/housing?{query}")
    assert "<script>alert" not in body and "Traceback" not in body
    doc = lhtml.fromstring(body)
    checked = doc.xpath("//div[@id='pm-first-screen']//input[@name='housing-municipio']"
                        "[@checked]/@value")
    assert checked == ["all"]


def test_parameters_the_page_does_not_read_share_one_cache_entry(door):
    from dashboards import app as _app  # noqa: F401 - registers the pages
    from dashboards import shell

    plain = shell.first_screen("/housing", {})
    assert shell.first_screen("/housing", {"utm_source": "mail", "x" * 50: "y"}) == plain
    page, variables = shell._page("/housing")
    assert shell._arguments(page, variables, {"utm": "1", "municipio": "3", "lang": "en"}) == \
        {"municipio": "3", "lang": "en"}


def test_the_first_screen_writes_only_components_it_knows():
    from dashboards import shell
    from dashboards.public import markup

    tree = html.Div([dcc.Store(id="s", data={"a": 1}), dcc.Location(id="u"),
                     dcc.Graph(id="g", className="pm-graph", style={"minHeight": "300px"}),
                     dcc.RadioItems(id="r", options=[{"label": "<b>A</b>", "value": "a"},
                                                     {"label": "B", "value": "b"}],
                                    value="b", inline=True)])
    out = str(markup.to_html(tree, shell.stand_in))
    assert '<div class="dash-graph pm-graph" style="min-height:300px"></div>' in out
    assert "&lt;b&gt;A&lt;/b&gt;" in out and 'value="b" checked' in out
    assert "data" not in out and "<script" not in out
    with pytest.raises(TypeError, match="Slider"):
        markup.to_html(html.Div(dcc.Slider(id="s", min=0, max=1)), shell.stand_in)
    with pytest.raises(TypeError):  # without a stand-in, markup refuses as before
        markup.to_html(tree)


def test_scripts_are_deferred_and_the_renderer_waits_for_them(client, door):
    doc = lhtml.fromstring(_get(client, "/social"))
    scripts = doc.xpath("//script[@src]")
    assert scripts and all(s.get("defer") is not None for s in scripts)
    renderer = doc.xpath("//script[@id='_dash-renderer']")[0].text
    assert "DOMContentLoaded" in renderer and "new DashRenderer(" in renderer
    fonts = doc.xpath("//link[@rel='preload'][@as='font']/@href")
    assert fonts and all(client.get(f).status_code == 200 for f in fonts)


@pytest.mark.parametrize("path", ["/", "/mobility", "/social?lang=en", "/privacy", "/nope"])
def test_polyfill_only_for_browsers_without_modules_and_no_dash_table(client, door, path):
    """``nomodule`` on Dash's polyfill and on nothing else (a ``nomodule`` renderer or React
    would be skipped by every current browser); DataTable's bundle is not listed at all;
    the regenerator runtime the lazy components call (the polyfill's) is, before them."""
    body = _get(client, path, 404 if path == "/nope" else 200)
    doc = lhtml.fromstring(body)
    srcs = doc.xpath("//script[@src]/@src")
    skipped = doc.xpath("//script[@nomodule]/@src")
    assert len(skipped) == 1 and "/dash/deps/polyfill@" in skipped[0]
    assert "nomodule" not in body.replace('<script defer nomodule src="' + skipped[0], "")
    assert client.get(skipped[0]).status_code == 200  # still there for the browsers that need it
    assert not [s for s in srcs if "dash_table" in s]
    runtime = [i for i, s in enumerate(srcs) if "00-regenerator-runtime.min.js" in s]
    dcc = [i for i, s in enumerate(srcs) if "/dash/dcc/" in s]
    assert len(runtime) == 1 and dcc and runtime[0] < min(dcc)


@pytest.mark.parametrize("path", ["/mobility", "/data"])
def test_pages_link_the_apps_own_small_icon(client, door, path):
    """Dash pages link assets/favicon.ico, the public pages /_favicon.ico: both answer the
    app's icon, not Dash's default one."""
    from importlib.resources import files
    from pathlib import Path

    icon = (Path(__file__).resolve().parents[2] / "assets" / "favicon.ico").read_bytes()
    assert icon[:4] == b"\0\0\1\0" and len(icon) < 1024  # an ICO, smaller than Dash's
    href = lhtml.fromstring(_get(client, path)).xpath("//link[@rel='icon']/@href")
    assert len(href) == 1
    reply = client.get(href[0])
    assert reply.status_code == 200
    assert reply.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert reply.get_data() == icon != files("dash").joinpath("favicon.ico").read_bytes()


def test_deferred_leaves_unknown_scripts_alone():
    from dashboards import shell

    scripts = ('<script src="/x/dash/deps/polyfill@7.v1.min.js"></script>\n'
               '<script src="/x/dash/dash_table/bundle.v7.js"></script>\n'
               '<script src="/x/other/polyfill-like.js"></script>')
    renderer = "<script>var renderer = new DashRenderer(hooks);</script>"
    out, started = shell.deferred(scripts, renderer)
    assert out == ('<script defer nomodule src="/x/dash/deps/polyfill@7.v1.min.js"></script>\n'
                   '<script defer src="/x/other/polyfill-like.js"></script>')
    assert "DOMContentLoaded" in started
    # a renderer it does not recognise: Dash's own tags, untouched
    assert shell.deferred(scripts, "<script>start()</script>") == (
        scripts, "<script>start()</script>")


def test_no_page_uses_dash_table():
    """DataTable's bundle is left out of every page (dashboards/shell.py DASH_TABLE): a page
    or component that starts to use it must put it back, or its tables never draw."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "dashboards"
    users = []
    for file in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Attribute):
                names = [node.attr]
            elif isinstance(node, ast.Name):
                names = [node.id]
            if any(n.split(".")[-1] in ("dash_table", "DataTable") for n in names):
                users.append(f"{file.relative_to(root.parent)}:{node.lineno}")
    assert users == [], ("dash_table used: remove shell.DASH_TABLE so its bundle is "
                         f"served again ({users})")


def test_a_component_without_stand_in_leaves_dash_plain_shell(client, door, monkeypatch,
                                                              caplog):
    from dashboards import shell

    def refuse(kind, namespace, props):
        raise TypeError(f"cannot write {namespace}.{kind} in the first screen")

    monkeypatch.setattr(shell, "stand_in", refuse)
    body = _get(client, "/social?municipio=9&year=2021&lang=en")  # not drawn before: no cache hit
    assert 'id="pm-first-screen"' not in body and 'id="react-entry-point"' in body
    assert "no first screen for /social" in caplog.text
