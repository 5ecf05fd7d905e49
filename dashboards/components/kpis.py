"""Every KPI card of the axis pages, as data: query, value, unit, IT/EN label, source.

A KPI is one :class:`KpiSpec` passed to :func:`register`; ``/axis/<n>`` draws the
registered KPIs of that axis, group by group, with no per-axis code. Its query is
a :class:`~dashboards.queries.common.Query` (``$axis_id`` when it needs the axis); its
source note is derived from the tables the query reads (named by their published
dataset when there is one), so it cannot drift from the SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import html

from dashboards import warehouse
from dashboards.components import kpi
from dashboards.components.labels import N_
from dashboards.i18n import fmt_eur, fmt_number, fmt_percent, translator
from dashboards.queries import catalog, programme
from dashboards.queries.common import AXES, Query

Row = dict[str, Any]

#: The rows of cards on an axis page, in order: group -> heading msgid (None: no heading)
#: and the row's accessible name.
GROUPS: dict[str, tuple[str | None, str]] = {
    "finance": (None, N_("Axis finances")),
    "indicators": (N_("Indicators against 2023 targets"), N_("Indicators against 2023 targets")),
}


@dataclass(frozen=True)
class KpiSpec:
    """One KPI: a card per row its query returns for the axis.

    ``label`` is ``(it, en)``, or a function of the row and language when each row
    is its own KPI (an indicator names itself). ``unit`` "EUR" formats money; None
    reads the row's ``unit`` column; any other text follows the number.
    """

    name: str
    query: Query
    value: str
    label: tuple[str, str] | Callable[[Row, str], str]
    unit: str | None = None
    axes: tuple[int, ...] = AXES
    group: str = "finance"
    progress: Callable[[Row], float | None] | None = None
    detail: Callable[[Row, str], str | None] | None = None
    trend: Callable[[Row, str], str | None] | None = None

    def title(self, row: Row, lang: str) -> str:
        if callable(self.label):
            return self.label(row, lang)
        return self.label[1] if lang == "en" else self.label[0]

    def shown(self, row: Row, lang: str) -> str:
        value = row[self.value]
        if self.unit == "EUR":
            return fmt_eur(value, lang)
        unit = row.get("unit") if self.unit is None else self.unit
        return f"{fmt_number(value, lang)} {unit or ''}".strip()


KPIS: dict[str, KpiSpec] = {}


def register(spec: KpiSpec) -> KpiSpec:
    if spec.group not in GROUPS:
        raise ValueError(f"KPI {spec.name}: unknown group {spec.group!r} (one of {list(GROUPS)})")
    KPIS[spec.name] = spec
    return spec


def source(query: Query, lang: str) -> str:
    """What the query reads: each table, named by its published dataset when it has one."""
    titles = {ds.table: ds.title(lang) for ds in catalog.datasets()}
    return "; ".join(f"{titles[t]} ({t})" if t in titles else t for t in query.tables)


def cards(axis_id: int, group: str, lang: str,
          info: warehouse.BuildInfo | None) -> list[html.Div]:
    """The cards of one group of KPIs on the page of ``axis_id``, in registration order."""
    out = []
    for spec in KPIS.values():
        if spec.group != group or axis_id not in spec.axes:
            continue
        note = source(spec.query, lang)
        for row in spec.query.fetch(axis_id=axis_id).iter_rows(named=True):
            out.append(kpi.kpi_card(
                spec.title(row, lang), spec.shown(row, lang), lang, source=note, info=info,
                progress=spec.progress(row) if spec.progress else None,
                detail=spec.detail(row, lang) if spec.detail else None,
                trend=spec.trend(row, lang) if spec.trend else None))
    return out


# ----------------------------------------------------------------------- the KPIs

def _share(column: str) -> Callable[[Row], float | None]:
    def share(row: Row) -> float | None:
        alloc = row["allocation_eur"] or 0
        return row[column] / alloc if alloc else None
    return share


register(KpiSpec(name="allocation", query=programme.AXIS_MONEY, value="allocation_eur",
                 unit="EUR", label=("Dotazione", "Allocation")))
register(KpiSpec(name="committed", query=programme.AXIS_MONEY, value="committed_eur",
                 unit="EUR", label=("Impegnato", "Committed"),
                 progress=_share("committed_eur")))
register(KpiSpec(name="paid", query=programme.AXIS_MONEY, value="paid_eur", unit="EUR",
                 label=("Pagato", "Paid"), progress=_share("paid_eur")))


def _indicator_detail(row: Row, lang: str) -> str:
    _ = translator(lang)
    return _("2023 target {target}: {pct}").format(
        target=fmt_number(row["target_2023"], lang),
        pct=fmt_percent(row["pct_of_target"], lang))


def _indicator_trend(row: Row, lang: str) -> str | None:
    change = row["change_1y"]
    if change is None:
        return None
    _ = translator(lang)
    sign = "▲" if change > 0 else ("▼" if change < 0 else "■")
    return f"{sign} {fmt_number(change, lang)} {_('on the previous year')}"


register(KpiSpec(
    name="indicators", query=programme.AXIS_INDICATORS, value="value", group="indicators",
    label=lambda row, lang: f"{row['indicator_code']} – {row['name_' + lang]}",
    progress=lambda row: row["pct_of_target"], detail=_indicator_detail,
    trend=_indicator_trend))
