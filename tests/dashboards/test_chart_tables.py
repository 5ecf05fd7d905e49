"""A chart's data table: cells formatted per column give what :func:`charts.cell` gives
per value, the rows shown are the latest whole periods of a series (the first rows of any
other table), and rows left out are counted and linked (the chart's CSV)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from lxml import html as lhtml

from dashboards.components import charts
from dashboards.public.markup import to_html


def _table(tree) -> lhtml.HtmlElement:
    return lhtml.fromstring(str(to_html(tree)))


def _cells(doc) -> list[list[str]]:
    return [[td.text_content() for td in tr.xpath("./td")] for tr in doc.xpath("//tbody/tr")]


@pytest.mark.parametrize("lang", ["it", "en"])
def test_column_cells_match_cell_on_every_chart(app, lang):
    """Every registered chart's demo data, every column: the per-column formatter agrees
    with the per-value reference."""
    checked = 0
    for name, spec in charts.REGISTRY.items():
        params = {"code": "MI4.1.1.c"} if name.startswith("project") or name == "grants" else {}
        frame = spec.data(params)
        for column in frame.columns:
            expected = [charts.cell(v, column, lang) for v in frame[column].to_list()]
            assert charts.column_cells(frame[column], lang) == expected, (name, column)
            checked += frame.height
    assert checked > 1000


@pytest.mark.parametrize("lang", ["it", "en", "xx"])
def test_column_cells_match_cell_on_odd_values(lang):
    frame = pl.DataFrame({
        "f": [None, float("nan"), float("inf"), -0.0, -0.004, 9.995, 10.5, -1234.5, 2.675, 1e16],
        "i": [None, 0, -1, 10**12, -(10**12), 5, 7, 1000, -1000, 2**62],
        "b": [True, False, None, True, False, True, True, False, None, True],
        "s": ["occupied", "vacant", None, "<b>", "", "x" * 200, "città", "1,5", "-", "c"],
        "month": [date(2023, 1, 1), date(2023, 2, 15), None, date(1999, 12, 1)] * 2
                 + [date(2023, 1, 1)] * 2,
        "t": [datetime(2023, 1, 1, 8, 30), None] * 5,
    }, strict=False)
    for column in frame.columns:
        expected = [charts.cell(v, column, lang) for v in frame[column].to_list()]
        assert charts.column_cells(frame[column], lang) == expected, column


def _series(months: int, per_month: int) -> pl.DataFrame:
    return pl.DataFrame({
        "month": [date(2020 + m // 12, m % 12 + 1, 1) for m in range(months)
                  for _ in range(per_month)],
        "service": [f"s{k}" for _ in range(months) for k in range(per_month)],
        "users": list(range(months * per_month))})


def test_a_series_shows_its_latest_whole_periods():
    frame = _series(40, 10)  # 400 rows, 10 per month
    shown = charts.table_rows(frame)
    assert shown.height == 20  # two whole months: a third would pass 24 rows
    assert shown["month"].unique().sort().to_list() == [date(2023, 3, 1), date(2023, 4, 1)]
    assert shown.equals(frame.tail(20))  # the query's order kept
    # the same rows when the frame is not in time order
    assert charts.table_rows(frame.reverse())["users"].sort().to_list() == \
        shown["users"].to_list()
    shuffled = frame.sample(fraction=1, shuffle=True, seed=14)
    assert charts.table_rows(shuffled).equals(
        shuffled.filter(pl.col("month") >= date(2023, 3, 1)))
    # one row per month: the latest 24 months
    monthly = _series(96, 1)
    assert charts.table_rows(monthly).equals(monthly.tail(charts.TABLE_ROWS))
    # a newest period larger than the cap is shown whole rather than cut
    wide = _series(3, 30)
    assert charts.table_rows(wide)["month"].unique().to_list() == [date(2020, 3, 1)]
    assert charts.table_rows(wide).height == 30


def test_other_tables_show_their_first_rows_and_short_ones_all():
    frame = pl.DataFrame({"name": [f"n{i:03d}" for i in range(100)], "units": range(100)})
    assert charts.table_rows(frame).equals(frame.head(charts.TABLE_ROWS))
    small = _series(3, 2)
    assert charts.table_rows(small).equals(small)
    assert charts.table_rows(frame.clear()).height == 0


def test_a_capped_table_counts_and_links_its_rows():
    frame = _series(40, 10)
    doc = _table(charts.data_table(frame, {"month": "Month", "service": "Service",
                                           "users": "Users"}, "en", caption="Users",
                                   whole=("/download/chart/x.csv?year=2021", "All rows (CSV)")))
    # accessible: a caption, column headers with their scope, a labelled scrolling region
    assert doc.xpath("//table/caption")[0].text_content() == "Users"
    assert [th.get("scope") for th in doc.xpath("//thead//th")] == ["col"] * 3
    assert doc.xpath("//div[@role='region']/@aria-label") == ["Users"]
    assert len(doc.xpath("//tbody/tr")) == 20
    assert _cells(doc)[0] == ["Mar 2023", "s0", "380"]
    note = doc.xpath("//p[contains(@class, 'pm-footnote')]")[0]
    assert note.text_content().startswith("The table shows the 20 most recent of 400 rows.")
    assert note.xpath(".//a/@href") == ["/download/chart/x.csv?year=2021"]
    assert note.xpath(".//a")[0].text_content() == "All rows (CSV)"
    italian = _table(charts.data_table(frame, {"month": "Month"}, "it", whole=("/x", "Tutte")))
    assert "La tabella mostra le 20 righe più recenti su 400." in italian.text_content()
    # a table that fits has no note
    whole = _table(charts.data_table(frame.head(5), {"users": "Users"}, "en", whole=("/x", "y")))
    assert whole.xpath("//p") == [] and len(whole.xpath("//tbody/tr")) == 5


def test_suppressed_cells_stay_marked_after_the_cap():
    frame = _series(30, 2).with_columns(
        users=pl.when(pl.col("users") % 3 == 0).then(None).otherwise(pl.col("users")),
        flag=pl.when(pl.col("users") % 3 == 0).then(pl.lit("c")).otherwise(None))
    doc = _table(charts.data_table(frame, {"month": "Month", "users": "Users", "flag": "Flag"},
                                   "en"))
    rows = charts.table_rows(frame)
    marked = doc.xpath("//td[@class='pm-suppressed']")
    assert len(marked) == rows.filter(pl.col("flag") == "c").height > 0
    # the flag column itself is shown, never replaced
    assert [r[2] for r in _cells(doc)] == ["c" if f == "c" else "–" for f in rows["flag"]]


def test_dash_render_links_the_charts_csv(app):
    """The callback's table (what the browser draws) links the CSV of the same filters."""
    params = {"municipio": None, "year": None}
    frame = charts.REGISTRY["social_usage"].data(params)
    _figure, _summary, table, _store = charts.render(charts.REGISTRY["social_usage"], params, "it")
    doc = _table(table)
    assert frame.height > charts.TABLE_ROWS
    assert doc.xpath("//p[contains(@class, 'pm-footnote')]//a/@href") == \
        ["/download/chart/social_usage.csv"]
    newest = frame["month"].max()
    assert {r[0] for r in _cells(doc)} <= {charts.cell(m, "month", "it")
                                          for m in frame["month"].unique()}
    assert _cells(doc)[-1][0] == charts.cell(newest, "month", "it")


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_site_list_links_its_dataset_page(app, lang):
    """The map's site list (not a chart: no CSV of its own) links the dataset's page."""
    from dashboards.queries import social

    from .test_map_points import page_module

    page = page_module("social")  # as Dash loaded it (importing it again re-registers it)
    frame = social.sites(None, None)
    doc = _table(page.sites_block(None, lang)[2])
    assert len(doc.xpath("//tbody/tr")) == charts.table_rows(frame).height
    links = doc.xpath("//p[contains(@class, 'pm-footnote')]//a/@href")
    if frame.height > charts.TABLE_ROWS:
        assert links == [("/data/social-sites" + ("?lang=en" if lang == "en" else ""))]
        reply = app.server.test_client().get(links[0])
        assert reply.status_code == 200 and b"social-sites" in reply.data
    else:
        assert links == []


def test_dates_in_figures_are_iso_text():
    days = pl.Series("d", [date(2023, 1, 31), None, date(1, 1, 1), date(9999, 12, 31),
                           date(2024, 2, 29)])
    assert charts.as_list(days) == [None if d is None else d.isoformat() for d in days]
    moments = pl.Series("t", [datetime(2023, 1, 1, 8, 30, 5), None])
    assert charts.as_list(moments) == ["2023-01-01T08:30:05", None]
    assert charts.as_list(pl.Series([1.5, None])) == [1.5, None]


def test_figures_carry_floats_to_four_decimals_and_tables_every_digit():
    rates = pl.Series("occupancy_rate", [0.857142857142857, 1 / 3, None, 0.30000000000000004,
                                         1234567.891234, -0.00004])
    assert charts.as_list(rates) == [0.8571, 0.3333, None, 0.3, 1234567.8912, -0.0]
    assert charts.as_list(pl.Series("n", [10**15 + 1, 2])) == [10**15 + 1, 2]  # ints whole



def test_a_real_figure_is_rounded_and_its_download_is_not(app):
    from dashboards.components import specs

    frame = specs.SOCIAL_BEDS.data({})
    ys = [y for trace in specs.SOCIAL_BEDS.figure(frame, "en")["data"] for y in trace["y"]]
    assert ys and all(y is None or y == round(y, charts.FIGURE_DECIMALS) for y in ys)
    exact = [v for v in frame["occupancy_rate"].to_list() if v is not None]
    assert any(v != round(v, charts.FIGURE_DECIMALS) for v in exact)  # the data has more
    assert pl.read_csv(charts.to_csv(frame))["occupancy_rate"].drop_nulls().to_list() == exact


@pytest.mark.parametrize("kind", ["lines", "bar"])
def test_traces_by_group_are_the_rows_of_each_group(kind):
    """One trace per group, in order of first appearance, holding exactly that group's rows
    in the frame's order; a null group gets an empty trace (as a filter on null would)."""
    from dashboards.components import specs

    frame = pl.DataFrame({
        "month": [date(2023, m % 12 + 1, 1) for m in range(12)],
        "site": ["b", "a", None, "b", "a", "c", "b", None, "a", "c", "b", "a"],
        "rate": [0.1 * i for i in range(12)]})
    figure = specs._by_group(frame, "month", "site", "rate", "en", kind=kind)
    assert [t["name"] for t in figure["data"]] == ["b", "a", "None", "c"]
    for trace in figure["data"]:
        part = frame.filter(pl.col("site") == trace["name"])  # no row for the null group
        assert trace["x"] == charts.as_list(part["month"])
        assert trace["y"] == charts.as_list(part["rate"])
        assert trace["type"] == ("scatter" if kind == "lines" else "bar")
    assert figure["layout"].get("barmode") == ("stack" if kind == "bar" else None)
