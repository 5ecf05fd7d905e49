"""Public feeds, no login: KPI alerts and data updates (Atom), the deadline calendar
(iCalendar). ``/feeds/updates.atom`` lists each ingested batch and the full build.

``/feeds/alerts.atom`` and ``/feeds/axis/<n>/alerts.atom`` list the threshold crossings of
``mart.programme_alerts`` (a flag raised or turned red, a 2018 milestone reached, a 2023 target met);
``/feeds/deadlines.ics`` lists project end dates and the EU reporting deadlines. Ids come
from the event itself (rule, item, level, date), never from the build or the host, so a
rebuild gives the same ids and feed readers show nothing twice. ``?lang=en`` for English.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, request
from icalendar import Calendar, Event

from dashboards import warehouse
from dashboards.i18n import fmt_number, localized_href, resolve_lang
from dashboards.queries import catalog, freshness, monitoring
from dashboards.queries.common import AXES

bp = Blueprint("feeds", __name__)
TAG = "tag:ponmetro-milano.comune.milano.it,2014:"
UID_DOMAIN = "ponmetro-milano.comune.milano.it"
MAX_ENTRIES = 200

#: EU reporting deadlines of the 2014-2020 programmes (Reg. (EU) No 1303/2013): annual
#: implementation reports by 31 May 2016-2023, by 30 June in 2017 and 2019 (Art. 50(1),
#: Art. 111(1)); end of eligibility 31 Dec 2023 (Art. 65(2)); final implementation report
#: by 15 Feb 2025 (Art. 141(1)). Dates to verify against the Official Journal.
REPORTING_DEADLINES: tuple[tuple[str, date, str, str], ...] = (
    *[(f"air-{y}", date(y, 6, 30) if y in (2017, 2019) else date(y, 5, 31),
       f"Relazione annuale di attuazione {y - 1} (RAA)",
       f"Annual implementation report {y - 1} (AIR)") for y in range(2016, 2024)],
    ("eligibility-end", date(2023, 12, 31), "Fine dell'ammissibilità della spesa",
     "End of the eligibility of expenditure"),
    ("final-report", date(2025, 2, 15), "Relazione finale di attuazione",
     "Final implementation report"),
)
_DEADLINE_SOURCE = ("Reg. (EU) No 1303/2013 Art. 50, 65, 111, 141 (dates to verify against "
                    "the Official Journal)")


def _lang() -> str:
    return resolve_lang(request.args.get("lang"))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _item_link(row: dict, lang: str) -> str:
    if row["item_kind"] == "project":
        path = f"/projects/{row['item_id']}"
    else:
        path = f"/axis/{row['axis_id']}" if row["axis_id"] in AXES else "/"
    return request.url_root.rstrip("/") + localized_href(path, lang)


def atom(axis_id: int | None, lang: str) -> bytes:
    """The alert feed (all axes or one), newest first."""
    events = monitoring.alerts(axis_id, MAX_ENTRIES)
    it = lang == "it"
    scope = "" if axis_id is None else (f" – Asse {axis_id}" if it else f" – Axis {axis_id}")
    feed = FeedGenerator()
    feed.id(TAG + ("alerts" if axis_id is None else f"alerts/axis/{axis_id}"))
    feed.title(("PON Metro Milano: avvisi sugli indicatori" if it
                else "PON Metro Milano: KPI alerts") + scope)
    feed.subtitle("Segnalazioni di rischio, milestone e target raggiunti" if it
                  else "Risk flags raised, milestones and targets reached")
    feed.author({"name": "Comune di Milano – PON Metro"})
    feed.link(href=request.base_url + (f"?lang={lang}" if lang != "it" else ""), rel="self")
    feed.link(href=request.url_root.rstrip("/") + localized_href(
        "/" if axis_id is None else f"/axis/{axis_id}", lang), rel="alternate")
    feed.language(lang)
    feed.rights("CC BY 4.0")
    as_of = monitoring.as_of()
    latest = events["event_date"].max() if events.height else as_of
    feed.updated(_midnight(latest or date(2014, 1, 1)))
    for row in events.iter_rows(named=True):
        entry = feed.add_entry(order="append")
        entry.id(TAG + row["event_id"])
        entry.title(row["title_it" if it else "title_en"])
        entry.summary(row["summary_it" if it else "summary_en"])
        entry.link(href=_item_link(row, lang))
        entry.published(_midnight(row["event_date"]))
        entry.updated(_midnight(row["event_date"]))
        entry.category(term=row["kind"])
    return feed.atom_str(pretty=True)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def updates_atom(lang: str) -> bytes:
    """Data updates, newest first: each ingested batch (which datasets changed, when,
    how many rows) and the full build. Ids are the batch's content hash and the build
    id, so a reader never shows one update twice."""
    it = lang == "it"
    rows = freshness.updates(MAX_ENTRIES)
    root = request.url_root.rstrip("/")
    feed = FeedGenerator()
    feed.id(TAG + "updates")
    feed.title("PON Metro Milano: aggiornamenti dei dati" if it
               else "PON Metro Milano: data updates")
    feed.subtitle("Quali dataset sono cambiati, quando e di quante righe" if it
                  else "Which datasets changed, when, and by how many rows")
    feed.author({"name": "Comune di Milano – PON Metro"})
    feed.link(href=request.base_url + (f"?lang={lang}" if lang != "it" else ""), rel="self")
    feed.link(href=root + localized_href("/data", lang), rel="alternate")
    feed.language(lang)
    feed.rights("CC BY 4.0")
    feed.updated(_utc(rows["updated_at"].max()) if rows.height else datetime.now(UTC))
    for r in rows.iter_rows(named=True):
        names = []
        for dataset_id in r["datasets"]:
            ds = catalog.get(dataset_id)
            names.append(f"{ds.title(lang)} ({dataset_id})" if ds else dataset_id)
        rows_text = fmt_number(r["rows"] or 0, lang)
        entry = feed.add_entry(order="append")
        if r["kind"] == "build":
            entry.id(TAG + "build/" + r["update_id"])
            entry.title(f"Nuova versione completa dei dati ({len(names)} dataset)" if it
                        else f"New full build of the data ({len(names)} datasets)")
            entry.summary((f"Build {r['update_id']}: {rows_text} righe in tutto. Dataset: "
                           if it else f"Build {r['update_id']}: {rows_text} rows in all. "
                           "Datasets: ") + "; ".join(names))
            entry.link(href=root + localized_href("/data", lang))
        else:
            entry.id(TAG + "update/" + r["update_id"])
            one = (r["rows"] or 0) == 1
            entry.title((f"{rows_text} {'nuova riga' if one else 'nuove righe'}: " if it
                         else f"{rows_text} {'new row' if one else 'new rows'}: ")
                        + (", ".join(r["datasets"]) or r["contract"]))
            span = ""
            if r["first_at"] and r["last_at"]:
                span = (f" Osservazioni dal {r['first_at']:%Y-%m-%d %H:%M:%S} al "
                        f"{r['last_at']:%Y-%m-%d %H:%M:%S} UTC." if it else
                        f" Observations from {r['first_at']:%Y-%m-%d %H:%M:%S} to "
                        f"{r['last_at']:%Y-%m-%d %H:%M:%S} UTC.")
            entry.summary((f"Lotto di {rows_text} righe ({r['contract']}).{span} "
                           "Dataset aggiornati: " if it else
                           f"Batch of {rows_text} rows ({r['contract']}).{span} "
                           "Datasets updated: ") + ("; ".join(names) or "–"))
            first = r["datasets"][0] if r["datasets"] else None
            entry.link(href=root + localized_href(f"/data/{first}" if first else "/data", lang))
        entry.updated(_utc(r["updated_at"]))
        entry.published(_utc(r["updated_at"]))
        for dataset_id in r["datasets"]:
            entry.category(term=dataset_id)
    return feed.atom_str(pretty=True)


def ics(lang: str) -> bytes:
    """Project end dates (planned, and actual when known) and the EU reporting deadlines."""
    it = lang == "it"
    stamp = _midnight(monitoring.as_of() or date(2014, 1, 1))
    cal = Calendar()
    cal.add("prodid", "-//Comune di Milano//PON Metro Milano//IT")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "PON Metro Milano: scadenze" if it else "PON Metro Milano: deadlines")

    def add(uid: str, day: date, summary: str, description: str, url: str | None = None,
            category: str = "") -> None:
        event = Event()
        event.add("uid", f"{uid}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", summary)
        event.add("description", description)
        event.add("transp", "TRANSPARENT")
        if category:
            event.add("categories", [category])
        if url:
            event.add("url", url)
        cal.add_component(event)

    root = request.url_root.rstrip("/")
    for r in monitoring.end_dates().iter_rows(named=True):
        title = r["title_it" if it else "title_en"]
        url = root + localized_href(f"/projects/{r['project_code']}", lang)
        add(f"project-end-planned-{r['project_code']}", r["end_date_planned"],
            (f"Fine prevista: {r['project_code']}" if it else
             f"Planned end: {r['project_code']}") + f" – {title}",
            (f"Asse {r['axis_id']}." if it else f"Axis {r['axis_id']}."), url,
            "progetto" if it else "project")
        if r["end_date_actual"] is not None:
            add(f"project-end-actual-{r['project_code']}", r["end_date_actual"],
                (f"Fine effettiva: {r['project_code']}" if it else
                 f"Actual end: {r['project_code']}") + f" – {title}",
                (f"Asse {r['axis_id']}." if it else f"Axis {r['axis_id']}."), url,
                "progetto" if it else "project")
    for key, day, name_it, name_en in REPORTING_DEADLINES:
        add(f"deadline-{key}", day, name_it if it else name_en,
            ("Fonte: " if it else "Source: ") + _DEADLINE_SOURCE,
            category="scadenza UE" if it else "EU deadline")
    return cal.to_ical()


def _reply(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _guarded(render):
    try:
        return render()
    except warehouse.WarehouseUnavailable:
        return Response("data temporarily unavailable\n", status=503, mimetype="text/plain")


@bp.get("/feeds/alerts.atom")
def alerts_feed() -> Response:
    return _guarded(lambda: _reply(atom(None, _lang()), "application/atom+xml"))


@bp.get("/feeds/axis/<axis_id>/alerts.atom")
def axis_alerts_feed(axis_id: str) -> Response:
    number = int(axis_id) if axis_id.isascii() and axis_id.isdigit() and len(axis_id) < 3 \
        else None
    if number not in AXES:
        abort(404)
    return _guarded(lambda: _reply(atom(number, _lang()), "application/atom+xml"))


@bp.get("/feeds/updates.atom")
def updates_feed() -> Response:
    response = _guarded(lambda: _reply(updates_atom(_lang()), "application/atom+xml"))
    response.headers["Cache-Control"] = f"public, max-age={freshness.LIVE_TTL_S}"
    return response


@bp.get("/feeds/deadlines.ics")
def deadlines() -> Response:
    return _guarded(lambda: _reply(ics(_lang()), "text/calendar"))
