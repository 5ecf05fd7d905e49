"""The project timeline (Gantt-style): planned and actual dates, today's line and the flags.

Registered as a :class:`ChartSpec`, so it has the data table as text alternative and
the CSV/XLSX downloads of every other chart. "Today" is the data as-of date of the
build (the date the flags speak for), not the clock. The language travels in the
chart's parameters, so titles, statuses and reasons in the table and the downloads are
in the page's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from dashboards.components.charts import ChartSpec, base_layout, register
from dashboards.components.monitoring import STATUS_MSGIDS, SYMBOLS
from dashboards.i18n import fmt_date, resolve_lang, translator
from dashboards.queries import monitoring
from dashboards.queries.common import AXES, as_int, as_municipio

_STATUS_COLOR = {"green": "#008055", "amber": "#a66300", "red": "#d1344c"}
_MARKER = {"amber": "triangle-up", "red": "x"}


def _frame(axis_id: int | None, municipio_id: int | None, lang: str) -> pl.DataFrame:
    _ = translator(lang)
    frame = monitoring.timeline(axis_id, municipio_id, lang)
    if frame.height == 0:
        return frame
    labels = {s: f"{SYMBOLS[s]} {_(m)}" for s, m in STATUS_MSGIDS.items()}
    return frame.with_columns(
        pl.col("status").replace_strict(labels, default="").alias("status_label"))


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _figure(frame: pl.DataFrame, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    today = monitoring.as_of()
    by_symbol = {symbol: status for status, symbol in SYMBOLS.items()}
    rows = [{**r, "status": by_symbol.get((r["status_label"] or " ")[0], "green")}
            for r in frame.to_dicts()]
    ys = [r["project_code"] for r in rows]

    def segments(end_of) -> tuple[list, list, list]:
        xs: list = []
        yv: list = []
        text: list = []
        for r in rows:
            end = end_of(r)
            if end is None:
                continue
            hover = (f"{r['project_code']} – {r['title']}<br>"
                     f"{_('Start')}: {fmt_date(r['start_date'], lang)}<br>"
                     f"{_('Planned end')}: {fmt_date(r['end_date_planned'], lang)}<br>"
                     f"{_('Actual end')}: {fmt_date(r['end_date_actual'], lang)}<br>"
                     f"{_('Status')}: {r['status_label']}")
            xs += [_iso(r["start_date"]), _iso(end), None]
            yv += [r["project_code"], r["project_code"], None]
            text += [hover, hover, None]
        return xs, yv, text

    px, py, pt = segments(lambda r: r["end_date_planned"])
    ax, ay, at = segments(lambda r: r["end_date_actual"] or (
        today if r["end_date_actual"] is None and today and r["start_date"] <= today else None))
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "name": _("Actual (to date)"), "x": ax, "y": ay,
         "line": {"width": 10, "color": "#7fb2e5"}, "hoverinfo": "text", "hovertext": at},
        {"type": "scatter", "mode": "lines", "name": _("Planned"), "x": px, "y": py,
         "line": {"width": 3, "color": "#1a1a1a", "dash": "dot"}, "hoverinfo": "text",
         "hovertext": pt},
    ]
    for status in ("amber", "red"):
        flagged = [r for r in rows if r["status"] == status]
        if not flagged:
            continue
        data.append({
            "type": "scatter", "mode": "markers",
            "name": f"{SYMBOLS[status]} {_('Risk flag')}: {_(STATUS_MSGIDS[status])}",
            "x": [_iso(r["end_date_actual"] or today) for r in flagged],
            "y": [r["project_code"] for r in flagged],
            "marker": {"symbol": _MARKER[status], "size": 14, "color": _STATUS_COLOR[status],
                       "line": {"width": 1, "color": "#1a1a1a"}},
            "hoverinfo": "text",
            "hovertext": [f"{r['project_code']}: {r['status_label']}<br>{r['reasons'] or ''}"
                          for r in flagged]})
    shapes, annotations = [], []
    if today:
        shapes.append({"type": "line", "x0": today.isoformat(), "x1": today.isoformat(),
                       "yref": "paper", "y0": 0, "y1": 1,
                       "line": {"color": "#d1344c", "width": 2, "dash": "dash"}})
        annotations.append({"x": today.isoformat(), "yref": "paper", "y": 1.02,
                            "text": _("Today (data as of {date})").format(
                                date=fmt_date(today, lang)),
                            "showarrow": False, "xanchor": "right"})
    return {"data": data, "layout": base_layout(
        lang, height=max(300, 26 * len(ys) + 120), shapes=shapes, annotations=annotations,
        xaxis={"type": "date", "title": {"text": _("Date")}},
        yaxis={"type": "category", "autorange": "reversed", "title": {"text": _("Project")},
               "categoryorder": "array", "categoryarray": ys},
        margin={"l": 90, "r": 20, "t": 40, "b": 50})}


def _summary(frame: pl.DataFrame, lang: str) -> str:
    _ = translator(lang)
    today = monitoring.as_of()
    open_ = frame.filter(pl.col("end_date_actual").is_null()
                         | (pl.col("end_date_actual") > today) if today else
                         pl.col("end_date_actual").is_null()).height
    flagged = frame.filter(~pl.col("status_label").str.starts_with(SYMBOLS["green"])).height
    return _("{n} projects, {open} still open on {date}; {flagged} flagged (amber or red).").format(
        n=frame.height, open=open_, date=fmt_date(today, lang), flagged=flagged)


TIMELINE = register(ChartSpec(
    name="project_timeline", title="Timeline of the projects",
    fetch=_frame, figure=_figure, summary=_summary,
    columns={"project_code": "Project", "title": "Title", "axis_id": "Axis",
             "start_date": "Start", "end_date_planned": "Planned end",
             "end_date_actual": "Actual end", "status_label": "Risk status",
             "reasons": "Why it is flagged"},
    clean=lambda p: {"axis_id": as_int(p.get("axis_id"), AXES),
                     "municipio_id": as_municipio(p.get("municipio_id")),
                     "lang": resolve_lang(p.get("lang"))}))
