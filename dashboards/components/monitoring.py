"""Risk status and performance-framework blocks shared by the overview, axis and project pages.

A status is never colour alone: each carries a shape (✔ ▲ ✖) and a word (Verde,
Giallo, Rosso), so it reads in greyscale and to a screen reader. Reasons come from
the marts already written in both languages. The sections are plain elements
(:mod:`dashboards.components.plain`): their tables run to hundreds of cells.
"""

from __future__ import annotations

from typing import Any

from dashboards.components import routes
from dashboards.components.plain import html, link
from dashboards.i18n import fmt_date, fmt_number, fmt_percent, localized_href, translator
from dashboards.queries import monitoring

SYMBOLS = {"green": "✔", "amber": "▲", "red": "✖"}
STATUS_MSGIDS = {"green": "Green", "amber": "Amber", "red": "Red"}


def status_label(status: str, lang: str) -> str:
    return translator(lang)(STATUS_MSGIDS.get(status, "Green"))


def status_badge(status: str | None, lang: str) -> dict[str, Any]:
    status = status if status in SYMBOLS else "green"
    _ = translator(lang)
    return html.Span([html.Span(SYMBOLS[status], **{"aria-hidden": "true"}), " ",
                      status_label(status, lang)],
                     className=f"pm-flag pm-flag-{status}",
                     title=f"{_('Risk status')}: {status_label(status, lang)}")


def _item_link(row: dict, lang: str) -> dict[str, Any]:
    if row["item_kind"] == "project":
        href = localized_href(f"/projects/{row['item_id']}", lang)
        return link(row["item_id"], href, refresh=routes.is_public(href))
    return link(row["item_id"], localized_href(f"/axis/{row['axis_id']}", lang))


def flagged_section(key: str, axis_id: int | None, lang: str) -> dict[str, Any]:
    """Flagged projects and indicators first (red, then amber), with the reason of each."""
    _ = translator(lang)
    frame = monitoring.flagged(axis_id, lang)
    counts = monitoring.status_counts(axis_id)
    as_of = monitoring.as_of()
    title = _("Items at risk")
    children: list = [html.H2(title, id=f"{key}-title")]
    if not monitoring.available():
        children.append(html.P(_("Risk flags are not computed in this build.")))
    else:
        children.append(html.P(_("{red} red, {amber} amber, {green} green (projects and "
                                 "indicators), as of {date}. Rules: see the documentation "
                                 "of the risk flags.").format(
            red=counts.get("red", 0), amber=counts.get("amber", 0),
            green=counts.get("green", 0), date=fmt_date(as_of, lang)), className="pm-footnote"))
        if frame.height == 0:
            children.append(html.P(_("No project or indicator is flagged.")))
        else:
            kinds = {"project": _("Project"), "indicator": _("Indicator")}
            rows = [html.Tr([
                html.Td(status_badge(r["status"], lang)),
                html.Th([_item_link(r, lang), " – ", r["title"]], scope="row"),
                html.Td(kinds.get(r["item_kind"], r["item_kind"])),
                html.Td(f"{_('Axis')} {r['axis_id']}"),
                html.Td(r["reasons"])]) for r in frame.iter_rows(named=True)]
            children.append(html.Div(className="table-responsive", children=html.Table(
                className="table table-sm pm-flag-table", children=[
                    html.Caption(title),
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                        _("Status"), _("Item"), _("Type"), _("Axis"), _("Why"))])),
                    html.Tbody(rows)])))
    return html.Section(children, className="pm-card", id=key,
                        **{"aria-labelledby": f"{key}-title"})


def project_risk(code: str, lang: str) -> dict[str, Any]:
    """Why the project is flagged (or that it is not), at the data as-of date."""
    _ = translator(lang)
    status = monitoring.project_status(code)
    flags = monitoring.project_flags(code, lang)
    as_of = monitoring.as_of()
    children: list = [html.H2(_("Risk status"), id="project-risk-title"),
                      html.P([status_badge(status, lang), " · ",
                              _("as of {date}").format(date=fmt_date(as_of, lang))])]
    if status is None:
        children = [children[0], html.P(_("Risk flags are not computed in this build."))]
    elif flags.height == 0:
        children.append(html.P(_("No risk flag: spending pace, payments, dates and "
                                 "indicators are within the thresholds.")))
    else:
        children.append(html.P(_("Why it is flagged:")))
        children.append(html.Ul([html.Li([status_badge(r["level"], lang), " ", r["reason"]])
                                 for r in flags.iter_rows(named=True)]))
    return html.Section(children, className="pm-card", id="project-risk",
                        **{"aria-labelledby": "project-risk-title"})


def _met(value: bool | None, lang: str) -> dict[str, Any]:
    _ = translator(lang)
    return status_badge("green" if value else "red", lang) if value is not None else "–"


def performance_section(key: str, axis_id: int | None, lang: str) -> dict[str, Any]:
    """The performance framework: 2018 milestones, 2023 targets and the 85% rule."""
    _ = translator(lang)
    frame = monitoring.performance(axis_id, lang)
    title = _("Performance framework: 2018 milestones and 2023 targets")
    children: list = [html.H2(title, id=f"{key}-title"),
                      html.P(_("A milestone or target counts as reached at 85% of its value; an "
                               "axis reaches its milestones when all its indicators do (with 3 "
                               "or more indicators, one may stop at 75%). Source: Implementing "
                               "Regulation (EU) 215/2014, Art. 6."), className="pm-footnote")]
    if frame.height == 0:
        children.append(html.P(_("No performance framework in this build.")))
        return html.Section(children, className="pm-card", id=key,
                            **{"aria-labelledby": f"{key}-title"})
    types = {"financial": _("Financial"), "output": _("Output")}
    rows = []
    verdicts = []
    for axis in sorted(set(frame["axis_id"])):
        part = frame.filter(frame["axis_id"] == axis)
        first = part.row(0, named=True)
        verdicts.append(html.Li([f"{_('Axis')} {axis}: ", _("2018 milestones"), " ",
                                 _met(first["axis_milestones_met"], lang), "; ",
                                 _("2023 targets"), " ", _met(first["axis_targets_met"], lang)]))
        for r in part.iter_rows(named=True):
            unit = "€" if r["unit"] == "EUR" else _(r["unit"])
            rows.append(html.Tr([
                html.Td(f"{_('Axis')} {axis}"),
                html.Th(f"{r['indicator_id']} – {r['name']}" + ("" if r["verified"] else " *"),
                        scope="row"),
                html.Td(types.get(r["indicator_type"], r["indicator_type"])),
                html.Td(f"{fmt_number(r['milestone_2018'], lang)} {unit}"),
                html.Td(f"{fmt_number(r['value_2018'], lang)} {unit}"),
                html.Td([fmt_percent(r["milestone_share"], lang), " ",
                         _met(r["milestone_met"], lang)]),
                html.Td(f"{fmt_number(r['target_2023'], lang)} {unit}"),
                html.Td(f"{fmt_number(r['value_as_of'], lang)} {unit}"),
                html.Td([fmt_percent(r["target_share"], lang), " ",
                         _met(r["target_met"], lang)])]))
    children += [
        html.Ul(verdicts, className="pm-pf-verdicts"),
        html.Div(className="table-responsive", tabIndex=0, role="region",
                 **{"aria-label": title}, children=html.Table(
                     className="table table-sm", children=[
                         html.Caption(title),
                         html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                             _("Axis"), _("Indicator"), _("Type"), _("Milestone 2018"),
                             _("Value at end of 2018"), _("Share of milestone"),
                             _("Target 2023"),
                             _("Value as of {date}").format(
                                 date=fmt_date(frame["as_of"][0], lang)),
                             _("Share of target"))])),
                         html.Tbody(rows)])),
        html.P(_("* demo or unverified milestone and target: see docs/reporting.md."),
               className="pm-footnote"),
    ]
    return html.Section(children, className="pm-card", id=key,
                        **{"aria-labelledby": f"{key}-title"})
