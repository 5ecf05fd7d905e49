"""Plain elements send the browser the JSON the html components would have sent."""

from __future__ import annotations

import orjson
import pytest
from dash import dcc, html

from dashboards import jsonenc
from dashboards.components import charts, plain, specs


def _json(tree) -> object:
    return orjson.loads(jsonenc.to_json(tree))


CASES = [
    (plain.el("Div"), html.Div()),
    (plain.el("P", "testo <b>", className="pm-footnote"), html.P("testo <b>", className="pm-footnote")),
    (plain.el("Div", None, id={"type": "chart-table", "key": "k"}),
     html.Div(None, id={"type": "chart-table", "key": "k"})),
    (plain.el("Section", [plain.el("H2", "T", id="k-title"), None, "x", 3],
              className="pm-card", **{"aria-labelledby": "k-title"}),
     html.Section([html.H2("T", id="k-title"), None, "x", 3], className="pm-card",
                  **{"aria-labelledby": "k-title"})),
    (plain.el("Div", plain.el("Table", []), tabIndex=0, role="region",
              **{"aria-label": "Tabella"}),
     html.Div(html.Table([]), tabIndex=0, role="region", **{"aria-label": "Tabella"})),
    (plain.el("Button", "CSV", id={"type": "dl-csv", "key": "k"}, type="button",
              className="btn", title=None),
     html.Button("CSV", id={"type": "dl-csv", "key": "k"}, type="button", className="btn")),
    (plain.simple("Td", "1.234,5"), html.Td("1.234,5")),
    (plain.simple("Tr", [plain.simple("Td", "a")]), html.Tr([html.Td("a")])),
    (plain.el("Th", "Mese", scope="col"), html.Th("Mese", scope="col")),
    (plain.html.Li([plain.link("MI1.1.1.a", "/projects/MI1.1.1.a", refresh=True), " ",
                    plain.html.Span("in corso", className="pm-status")]),
     html.Li([dcc.Link("MI1.1.1.a", href="/projects/MI1.1.1.a", refresh=True), " ",
              html.Span("in corso", className="pm-status")])),
    (plain.link("Asse 2", "/axis/2", className="d-block mb-1"),
     dcc.Link("Asse 2", href="/axis/2", className="d-block mb-1")),
    (plain.link("x", "/data", refresh=False), dcc.Link("x", href="/data", refresh=False)),
    (plain.html.Span(style={"width": "50.0%"}), html.Span(style={"width": "50.0%"})),
]


def test_the_tag_namespace_names_only_elements():
    assert plain.html.Div is plain.html.Div  # made once per tag
    with pytest.raises(AttributeError):
        plain.html.to_plotly_json  # noqa: B018 - not a tag: nothing pretends to be a component


@pytest.mark.parametrize(("ours", "dash_form"), CASES)
def test_plain_elements_encode_as_the_components_do(ours, dash_form):
    assert _json(ours) == _json(dash_form)


def _old_chart_block(key, spec, params, lang):
    """The card as it was built from html components (before :mod:`plain`)."""
    from dashboards.i18n import translator

    _ = translator(lang)
    figure, summary, table, store = charts.render(spec, params, lang)
    visual = dcc.Graph(id={"type": "chart", "key": key}, figure=figure,
                       config={"displayModeBar": False, "responsive": True},
                       className="pm-graph", style={"minHeight": "360px"})
    return html.Section(className="pm-card", **{"aria-labelledby": f"{key}-title"}, children=[
        html.H2(_(spec.title), id=f"{key}-title"),
        html.Figure([visual, html.Figcaption(summary, id={"type": "chart-summary", "key": key},
                                             **{"aria-live": "polite"})]),
        html.Details([html.Summary(_("Data table (text alternative)")),
                      html.Div(table, id={"type": "chart-table", "key": key})]),
        html.Div(className="pm-downloads", children=[
            html.Button(_("Download CSV"), id={"type": "dl-csv", "key": key},
                        className="btn btn-outline-primary btn-sm", type="button",
                        **{"aria-label": f"{_('Download CSV')}: {_(spec.title)}"}),
            html.Button(_("Download XLSX"), id={"type": "dl-xlsx", "key": key},
                        className="btn btn-outline-primary btn-sm", type="button",
                        **{"aria-label": f"{_('Download XLSX')}: {_(spec.title)}"}),
        ]),
        dcc.Store(id={"type": "chart-spec", "key": key}, data=store),
        dcc.Download(id={"type": "chart-download", "key": key}),
    ])


@pytest.mark.parametrize("lang", ["it", "en"])
def test_a_chart_card_sends_what_the_component_card_sent(app, lang):
    """The whole card of a real chart, JSON for JSON (children keys in the same order too:
    the renderer walks them in order)."""
    params = {"municipio": None, "year": None}
    ours = charts.chart_block("social-beds", specs.SOCIAL_BEDS, params, lang)
    assert _json(ours) == _json(_old_chart_block("social-beds", specs.SOCIAL_BEDS, params, lang))
