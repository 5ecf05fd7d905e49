"""``markup.to_html`` writes a Dash tree as HTML, whichever form its components are in."""

from __future__ import annotations

import polars as pl
import pytest
from dash import dcc, html

from dashboards.components.charts import data_table
from dashboards.public.markup import to_html


def test_json_form_and_objects_give_the_same_markup():
    tree = html.Tr([html.Td("a < b", className="x"), html.Td(3, colSpan=2)])
    assert to_html(tree) == to_html(tree.to_plotly_json() | {
        "props": {"children": [c.to_plotly_json() for c in tree.children]}})
    assert str(to_html(tree)) == '<tr><td class="x">a &lt; b</td><td colspan="2">3</td></tr>'


def test_data_table_cells_reach_the_page_escaped():
    frame = pl.DataFrame({"name": ["<script>x</script>", "b"], "n": [1, None],
                          "flag": [None, "c"]})
    out = str(to_html(data_table(frame, {"name": "Name", "n": "N"}, "en")))
    assert "<td>&lt;script&gt;x&lt;/script&gt;</td>" in out
    assert 'class="pm-suppressed"' in out and out.count("<tr>") == 3


def test_components_with_no_html_form_are_refused():
    with pytest.raises(TypeError):
        to_html(dcc.Graph(figure={}))
