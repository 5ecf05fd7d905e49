"""Data-quality findings of a dataset (``meta.quality`` through the query layer), as a
small section a dataset page adds: what was found, in which file and column, how often."""

from __future__ import annotations

from pathlib import PurePath

from dash import html

from dashboards.i18n import fmt_number
from dashboards.queries import freshness


def _where(file: str) -> str:
    """The landing-relative tail of a file path (``station_status/2023-10.csv``)."""
    return "/".join(PurePath(file).parts[-2:])


def findings(dataset_id: str, lang: str) -> html.Section | None:
    """The findings of the contracts ``dataset_id`` is made of, or None when there are none."""
    rows = freshness.quality(dataset_id)
    if not rows.height:
        return None
    it = lang != "en"
    head = (["File", "Colonna", "Controllo", "Righe", "Valori"] if it
            else ["File", "Column", "Check", "Rows", "Values"])
    body = [html.Tr([html.Td(_where(r["file"])), html.Td(r["column"]), html.Td(r["check"]),
                     html.Td(fmt_number(r["rows"], lang)), html.Td(r["values"])])
            for r in rows.iter_rows(named=True)]
    return html.Section([
        html.H2("Qualità dei dati" if it else "Data quality", id="dataset-quality-title"),
        html.P(f"{rows.height} segnalazioni: righe pubblicate ma da verificare (ad esempio "
               "stati di stazioni che il gestore non elenca)." if it else
               f"{rows.height} findings: rows published but worth checking (for example "
               "statuses of stations the operator does not list)."),
        html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                    html.Tbody(body)], className="table table-sm"),
    ], id="dataset-quality", className="pm-card", **{"aria-labelledby": "dataset-quality-title"})
