"""KPI cards: value, target, progress bar and the footnote naming source and build.

Written as plain elements (:mod:`dashboards.components.plain`): the overview and axis
pages draw dozens of cards in one reply."""

from __future__ import annotations

from typing import Any

from dashboards import warehouse
from dashboards.components.plain import html
from dashboards.i18n import fmt_date, fmt_percent, translator


def provenance(lang: str, source: str, info: warehouse.BuildInfo | None) -> str:
    _ = translator(lang)
    build = f"{_('build')} {info.build_id}, {fmt_date(info.built_at, lang)} UTC" if info else ""
    return f"{_('Source')}: {source}" + (f" · {build}" if build else "")


def kpi_card(label: str, value: str, lang: str, *, source: str,
             info: warehouse.BuildInfo | None, detail: str | None = None,
             progress: float | None = None, trend: str | None = None,
             link: Any = None) -> dict[str, Any]:
    """One KPI; ``progress`` (0-1) draws a bar with an accessible name and value; ``link``
    (a page of its own) comes first."""
    _ = translator(lang)
    children = [link] if link is not None else []
    children += [html.P(label, className="pm-kpi-label"), html.P(value, className="pm-kpi-value")]
    if progress is not None:
        shown = max(0.0, min(1.0, progress))
        children.append(html.Div(
            className="pm-progress", role="progressbar",
            **{"aria-valuenow": round(shown * 100), "aria-valuemin": 0, "aria-valuemax": 100,
               "aria-label": f"{label}: {fmt_percent(progress, lang)}"},
            children=html.Span(style={"width": f"{shown * 100:.1f}%"})))
    if detail:
        children.append(html.P(detail, className="pm-kpi-detail"))
    if trend:
        children.append(html.P(trend, className="pm-kpi-detail"))
    children.append(html.P(provenance(lang, source, info), className="pm-footnote"))
    return html.Div(children, className="pm-kpi")


def kpi_row(cards: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return html.Section(cards, className="pm-kpis", **{"aria-label": label})
