"""How fresh live data are, for everyone: "aggiornato alle HH:MM" (Europe/Rome), flagged
when no batch arrived for more than a few ttl (``queries.freshness.STALE_AFTER_S``).

A self-contained block: a page adds ``block(lang)`` and the line refreshes itself every
ttl through its own callback, without touching the page's callbacks. Without any ingested
batch the data are as of the last full build, which is said (and flagged) as well.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dash import Input, Output, State, callback, dcc, html

from dashboards import warehouse
from dashboards.queries import freshness

ROME = ZoneInfo("Europe/Rome")
FRESH_CLASS = "pm-freshness pm-footnote"
STALE_CLASS = "pm-freshness alert alert-warning py-2"


def state(now: datetime | None = None) -> tuple[str, datetime]:
    """('live' | 'stale' | 'build', the UTC time the data were last updated)."""
    now = now or datetime.now(UTC)
    batch = freshness.last_batch()
    if batch is None:
        return "build", warehouse.build_info().built_at.replace(tzinfo=UTC)
    at = batch["ingested_at"].replace(tzinfo=UTC)
    return ("stale" if (now - at).total_seconds() > freshness.STALE_AFTER_S else "live"), at


def line(lang: str, now: datetime | None = None) -> tuple[list, str]:
    """The children and CSS class of the freshness line, in ``lang``."""
    try:
        kind, at = state(now)
    except warehouse.WarehouseUnavailable:
        return (["Dati non disponibili" if lang == "it" else "Data unavailable"], STALE_CLASS)
    local = at.astimezone(ROME)
    hhmm, day = f"{local:%H:%M}", f"{local:%d/%m/%Y}"
    minutes = freshness.STALE_AFTER_S // 60
    it = lang != "en"
    if kind == "live":
        text = (f"Dati in tempo reale: aggiornato alle {hhmm}" if it
                else f"Live data: updated at {hhmm}")
    elif kind == "stale":
        text = (f"Dati non aggiornati: aggiornato alle {hhmm} del {day}, nessun nuovo dato da "
                f"più di {minutes} minuti" if it else
                f"Stale data: updated at {hhmm} on {day}, no new data for more than "
                f"{minutes} minutes")
    else:
        text = (f"Dati non in tempo reale: aggiornato alle {hhmm} del {day} (ultima "
                "elaborazione completa)" if it else
                f"Not live data: updated at {hhmm} on {day} (last full build)")
    return [html.Time(text, dateTime=at.isoformat())], (FRESH_CLASS if kind == "live"
                                                         else STALE_CLASS)


def block(lang: str) -> html.Div:
    """The freshness line with its own refresh timer (every ttl), and where apps get the
    same live data (the GBFS feed)."""
    children, css = line(lang)
    it = lang != "en"
    return html.Div([
        dcc.Interval(id="freshness-tick", interval=freshness.LIVE_TTL_S * 1000),
        dcc.Store(id="freshness-lang", data=lang),
        html.P(children, id="freshness-line", className=css, role="status"),
        html.P([("Per le app: " if it else "For apps: "),
                html.A("feed GBFS 3.0 in tempo reale" if it else "real-time GBFS 3.0 feed",
                       href="/gbfs/gbfs.json", id="freshness-gbfs")],
               className="pm-footnote"),
    ])


@callback(Output("freshness-line", "children"), Output("freshness-line", "className"),
          Input("freshness-tick", "n_intervals"), State("freshness-lang", "data"),
          prevent_initial_call=True)
def _refresh(_n, lang):
    return line(lang or "it")
