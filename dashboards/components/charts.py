"""Charts with their data: every chart carries a text alternative and CSV/XLSX downloads.

A chart is a :class:`ChartSpec` (a cached query, a lean figure builder, a
one-sentence summary, labelled columns). The same frame feeds the figure, the
table shown to screen readers and the downloads, so a download is exactly the
data behind the chart. Downloads re-run the spec from its checked parameters:
the browser only ever names a registered chart and passes filter values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import polars as pl
from dash import MATCH, Input, Output, State, callback, dcc, no_update

from dashboards import formats, writers
from dashboards.cache import memoize
from dashboards.components.labels import VALUES as LABEL_VALUES
from dashboards.components.plain import el, simple
from dashboards.i18n import fmt_date, fmt_month, fmt_number, resolve_lang, translator

FONT = "Titillium Web, Geneva, Tahoma, sans-serif"
COLORS = ("#0066cc", "#d1344c", "#008055", "#a66300", "#5c2d91", "#00738c", "#4d5c6b")
#: Rows of a chart's table shown inside the page. The table is the chart's text alternative
#: and a council member reads it for the figures the chart shows now: a series over time
#: shows its most recent complete periods, any other table its first rows in the query's
#: order. Every row is one link away (the chart's CSV, also without JavaScript) and in the
#: download buttons; the chart's summary sentence covers the whole selection.
TABLE_ROWS = 24
#: A table whose first column is one of these is a series over time (newest rows last).
TIME_COLUMNS = frozenset({"month", "week", "week_month"})


def base_layout(lang: str | None, **extra: Any) -> dict[str, Any]:
    """One small template: Titillium Web, locale separators (1.234,5 in Italian)."""
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 14, "color": "#1a1a1a"},
        "colorway": list(COLORS), "paper_bgcolor": "#fff", "plot_bgcolor": "#fff",
        "separators": ",." if resolve_lang(lang) == "it" else ".,",
        "margin": {"l": 60, "r": 20, "t": 20, "b": 50}, "height": 360,
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {"gridcolor": "#e6e9f2", "automargin": True},
        "yaxis": {"gridcolor": "#e6e9f2", "automargin": True, "rangemode": "tozero"},
        "hoverlabel": {"font": {"family": FONT}},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


#: Decimals a figure's floats keep. A chart cannot show two values 0.01 % or a hundredth of
#: a cent apart, and a float's 17 digits were a third of ``/social``'s reply on the wire
#: (bed occupancy: 13.6 kB of figure at zstd 1, 5.5 kB rounded). Tables and downloads keep
#: every digit.
FIGURE_DECIMALS = 4


def as_list(series: pl.Series) -> list[Any]:
    """JSON-friendly values for figure dicts: dates as ISO strings, floats to
    :data:`FIGURE_DECIMALS`."""
    if series.dtype.is_float():
        return series.round(FIGURE_DECIMALS).to_list()
    if series.dtype == pl.Date:  # ISO text written by polars, not one call per value
        return series.cast(pl.String).to_list()
    if series.dtype.is_numeric() or series.dtype == pl.String:
        return series.to_list()
    return [v.isoformat() if isinstance(v, date | datetime) else v for v in series.to_list()]


@dataclass(frozen=True)
class ChartSpec:
    """A registered chart: its query, figure, summary and labelled columns."""

    name: str
    title: str  # English msgid
    fetch: Callable[..., pl.DataFrame]
    figure: Callable[[pl.DataFrame, str], dict[str, Any]]
    summary: Callable[[pl.DataFrame, str], str]
    columns: dict[str, str] = field(default_factory=dict)  # column -> English msgid
    clean: Callable[[dict[str, Any]], dict[str, Any]] = lambda params: {}

    def data(self, params: dict[str, Any] | None) -> pl.DataFrame:
        frame = self.fetch(**self.clean(params or {}))
        keep = [c for c in self.columns if c in frame.columns] or frame.columns
        # columns picked without a query plan (``select`` costs ~0.3 ms per call)
        return frame if keep == frame.columns else pl.DataFrame(
            [frame.get_column(c) for c in keep])


REGISTRY: dict[str, ChartSpec] = {}


def register(spec: ChartSpec) -> ChartSpec:
    REGISTRY[spec.name] = spec
    return spec


def cell(value: Any, column: str, lang: str) -> str:
    """One table cell as text (the reference: :func:`column_cells` gives the same, faster)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return fmt_date(value, lang)
    if isinstance(value, date):
        return fmt_month(value, lang) if value.day == 1 and column in ("month", "week_month") \
            else fmt_date(value, lang)
    if isinstance(value, bool):
        return translator(lang)("yes" if value else "no")
    if isinstance(value, int):
        return fmt_number(value, lang)
    if isinstance(value, float):
        return fmt_number(value, lang, 2 if abs(value) < 10 else 0)
    return label(str(value), lang)


def column_cells(series: pl.Series, lang: str) -> list[str]:
    """The cells of one column, the formatter chosen once from its type (what :func:`cell`
    decides per value; tests/dashboards/test_chart_tables.py checks they agree)."""
    lang = resolve_lang(lang)
    values = series.to_list()
    dtype = series.dtype
    if dtype.is_integer():
        return [fmt_number(v, lang) for v in values]
    if dtype.is_float():
        return ["–" if v is None else fmt_number(v, lang, 2 if abs(v) < 10 else 0)
                for v in values]
    if dtype == pl.String:
        return ["–" if v is None else label(v, lang) for v in values]
    return [cell(v, series.name, lang) for v in values]


_LABELS = frozenset(LABEL_VALUES)


def label(value: str, lang: str) -> str:
    """A data value shown as a label (status, site type, unit) in the page's language."""
    return translator(lang)(value) if value in _LABELS else value


def table_rows(frame: pl.DataFrame, limit: int = TABLE_ROWS) -> pl.DataFrame:
    """The rows a table shows (:data:`TABLE_ROWS`): for a series over time the latest whole
    periods that fit (all rows of the newest period if it alone is larger), else the first.

    Plain Python over one column: a few hundred values, where each polars expression
    would cost a query plan."""
    if frame.height <= limit:
        return frame
    if frame.columns[0] not in TIME_COLUMNS:
        return frame.head(limit)
    times = frame.get_column(frame.columns[0]).to_list()
    sizes = Counter(times)
    newest_first = sorted((t for t in sizes if t is not None), reverse=True) + [None] * (
        None in sizes)
    kept: set[Any] = set()
    count = 0
    for period in newest_first:
        if kept and count + sizes[period] > limit:
            break
        kept.add(period)
        count += sizes[period]
    rows = [i for i, t in enumerate(times) if t in kept]
    if rows[-1] - rows[0] + 1 == len(rows):  # one run (the query sorts by time)
        return frame.slice(rows[0], len(rows))
    return frame[rows]


def data_table(frame: pl.DataFrame, columns: dict[str, str], lang: str,
               caption: str | None = None, limit: int = TABLE_ROWS,
               whole: tuple[str, str] | None = None) -> dict[str, Any]:
    """An accessible HTML table of :func:`table_rows`; suppressed cells (flag c) read as
    "suppressed". ``whole`` (address, link text) leads to every row when some are left out:
    the chart's CSV, or a dataset page. Written as plain elements (:mod:`.plain`): a
    table is hundreds of them."""
    _ = translator(lang)
    cols = [c for c in columns if c in frame.columns] or frame.columns
    shown = table_rows(frame, limit)
    texts = [column_cells(shown[c], lang) for c in cols]
    flags = shown["flag"].to_list() if "flag" in shown.columns else None
    if flags is not None and "c" in flags:
        suppressed = el("Td", _("suppressed (1-4)"), className="pm-suppressed")
        raw = [shown[c].to_list() for c in cols]
        body = [simple("Tr", [suppressed if raw[j][i] is None and flags[i] == "c"
                            and c != "flag" else simple("Td", texts[j][i])
                            for j, c in enumerate(cols)]) for i in range(shown.height)]
    else:
        body = [simple("Tr", [simple("Td", text) for text in row])
                for row in zip(*texts, strict=True)]
    note = None
    if frame.height > shown.height:
        recent = frame.columns[0] in TIME_COLUMNS
        text = (_("The table shows the {shown} most recent of {total} rows.") if recent else
                _("The table shows the first {shown} of {total} rows.")).format(
                    shown=fmt_number(shown.height, lang), total=fmt_number(frame.height, lang))
        note = el("P", [text, " ", el("A", whole[1], href=whole[0])] if whole else text,
                  className="pm-footnote")
    head = el("Tr", [el("Th", _(columns.get(c, c)), scope="col") for c in cols])
    table = el("Table", [el("Caption", caption) if caption else None, el("Thead", head),
                         el("Tbody", body)], className="table table-sm")
    return el("Div", [el("Div", table, className="pm-table-wrap", tabIndex=0, role="region",
                         **{"aria-label": caption or _("Data table")}), note])


def download_href(spec: ChartSpec, params: dict[str, Any], fmt: str = "csv") -> str:
    """``/download/chart/<name>.<fmt>?<filters>``: re-run from checked parameters, as the
    buttons do (dashboards.public.views.chart_download)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"/download/chart/{spec.name}.{fmt}" + (f"?{query}" if query else "")


def render(spec: ChartSpec, params: dict[str, Any], lang: str) -> tuple[Any, ...]:
    """(figure, summary, table, store) of a chart for the current filters; memoized for a
    registered chart (the figure, summary and formatted table are built once per build)."""
    if REGISTRY.get(spec.name) is spec:
        return _render_registered(spec.name, params, lang)
    return _render(spec, params, lang)


@memoize
def _render_registered(name: str, params: dict[str, Any], lang: str) -> tuple[Any, ...]:
    return _render(REGISTRY[name], params, lang)


def _render(spec: ChartSpec, params: dict[str, Any], lang: str) -> tuple[Any, ...]:
    _ = translator(lang)
    frame = spec.data(params)
    if frame.height == 0:
        figure = {"data": [], "layout": base_layout(lang, annotations=[{
            "text": _("No data for this selection"), "showarrow": False,
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "font": {"size": 16}}],
            xaxis={"visible": False}, yaxis={"visible": False})}
        summary = _("No data for this selection.")
    else:
        figure = spec.figure(frame, lang)
        summary = spec.summary(frame, lang)
    whole = (download_href(spec, params), _("All rows (CSV)")) \
        if REGISTRY.get(spec.name) is spec else None
    table = data_table(frame, spec.columns, lang, caption=_(spec.title), whole=whole)
    return figure, summary, table, {"chart": spec.name, "params": params, "lang": lang}


def outputs(key: str, graph: bool = True) -> list[Output]:
    """The outputs a filter callback updates for the block ``key`` (figure, summary, table,
    store; no figure for a block whose visual is a map)."""
    return [Output({"type": "chart", "key": key}, "figure")] * graph + [
            Output({"type": "chart-summary", "key": key}, "children"),
            Output({"type": "chart-table", "key": key}, "children"),
            Output({"type": "chart-spec", "key": key}, "data")]


def chart_block(key: str, spec: ChartSpec, params: dict[str, Any], lang: str,
                level: int = 2, visual: Any = None) -> dict[str, Any]:
    """A titled chart with caption, a data-table alternative and download buttons
    (static elements written plain, :mod:`.plain`; the graph, store and download stay
    components).

    ``visual`` replaces the Plotly graph (a map whose data the block downloads)."""
    _ = translator(lang)
    figure, summary, table, store = render(spec, params, lang)
    if visual is None:
        height = (figure.get("layout") or {}).get("height") or 450  # plotly's default
        visual = dcc.Graph(id={"type": "chart", "key": key}, figure=figure,
                           config={"displayModeBar": False, "responsive": True},
                           className="pm-graph", style={"minHeight": f"{height}px"})
    title = _(spec.title)
    store = dcc.Store(id={"type": "chart-spec", "key": key}, data=store)
    download = dcc.Download(id={"type": "chart-download", "key": key})
    return el("Section", [
        el("H2" if level == 2 else "H3", title, id=f"{key}-title"),
        el("Figure", [visual, el("Figcaption", summary, id={"type": "chart-summary", "key": key},
                                 **{"aria-live": "polite"})]),
        el("Details", [el("Summary", _("Data table (text alternative)")),
                       el("Div", table, id={"type": "chart-table", "key": key})]),
        el("Div", [el("Button", _(label), id={"type": kind, "key": key},
                      className="btn btn-outline-primary btn-sm", type="button",
                      **{"aria-label": f"{_(label)}: {title}"})
                   for kind, label in (("dl-csv", "Download CSV"),
                                       ("dl-xlsx", "Download XLSX"))],
           className="pm-downloads"),
        store, download,
    ], className="pm-card", **{"aria-labelledby": f"{key}-title"})


def to_csv(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV without BOM (the canonical open-data form)."""
    return frame.write_csv().encode("utf-8")


def to_xlsx(frame: pl.DataFrame, sheet: str) -> bytes:
    """The chart's data through the one XLSX writer the dataset downloads use."""
    with writers.xlsx_file(writers.frame_reader(frame), sheet_title=sheet) as fh:
        return fh.read()


#: The formats a chart offers (media type and file name from the format registry).
CHART_WRITERS: dict[str, Callable[[pl.DataFrame, str], bytes]] = {
    "csv": lambda frame, name: to_csv(frame), "xlsx": to_xlsx}


def download(store: dict[str, Any] | None, fmt: str) -> dict[str, Any] | None:
    """The dcc.Download payload for a chart store; None for an unknown chart."""
    if not isinstance(store, dict) or fmt not in CHART_WRITERS:
        return None
    spec = REGISTRY.get(str(store.get("chart")))
    if spec is None:
        return None
    params = store.get("params") if isinstance(store.get("params"), dict) else {}
    frame = spec.data(params)
    record = formats.by_key(fmt)
    return dcc.send_bytes(CHART_WRITERS[fmt](frame, spec.name), record.file_name(spec.name),
                          type=record.media_type)


@callback(Output({"type": "chart-download", "key": MATCH}, "data"),
          Input({"type": "dl-csv", "key": MATCH}, "n_clicks"),
          Input({"type": "dl-xlsx", "key": MATCH}, "n_clicks"),
          State({"type": "chart-spec", "key": MATCH}, "data"),
          prevent_initial_call=True)
def _on_download(_csv: int | None, _xlsx: int | None, store: dict[str, Any] | None):
    from dash import ctx

    clicked = ctx.triggered_id.get("type", "") if isinstance(ctx.triggered_id, dict) else ""
    fmt = clicked.removeprefix("dl-") if clicked.removeprefix("dl-") in CHART_WRITERS else "csv"
    return download(store, fmt) or no_update
