"""KPI alert feeds and the deadline calendar through a real gunicorn, read back by the real
``feedparser`` and ``icalendar`` libraries; ids stable across a rebuild, no duplicates."""

from __future__ import annotations

import duckdb
import feedparser
import pytest
import requests
from icalendar import Calendar

from dashboards.feeds import REPORTING_DEADLINES


def _get(base: str, path: str) -> requests.Response:
    return requests.get(base + path, timeout=60)


@pytest.fixture(scope="module")
def alerts(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("SELECT event_id, axis_id, kind, title_it, title_en FROM mart.programme_alerts"
                           ).pl()


def test_programme_feed_is_valid_atom_with_every_alert(live_server, alerts):
    reply = _get(live_server, "/feeds/alerts.atom")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(reply.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.language == "it" and "avvisi" in feed.feed.title
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids)) == min(alerts.height, 200)
    assert {i.rsplit(":", 1)[-1] for i in ids} <= set(alerts["event_id"])
    kinds = {t.term for e in feed.entries for t in e.tags}
    assert {"flag", "milestone", "target"} <= kinds
    red = next(e for e in feed.entries if "flag/overdue/MI4.1.1.c/red" in e.id)
    assert red.title.startswith("MI4.1.1.c: segnalazione rossa")
    assert "giorni" in red.summary and red.link.endswith("/projects/MI4.1.1.c")
    dates = [e.updated_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_axis_feed_holds_only_that_axis_in_english(live_server, alerts):
    feed = feedparser.parse(_get(live_server, "/feeds/axis/4/alerts.atom?lang=en").content)
    assert not feed.bozo and feed.feed.language == "en"
    expected = set(alerts.filter(alerts["axis_id"] == 4)["event_id"])
    got = {e.id.rsplit(":", 1)[-1] for e in feed.entries}
    assert got == expected and got
    assert all("segnalazione" not in e.title for e in feed.entries)
    assert any(" red flag " in e.title for e in feed.entries)


@pytest.mark.parametrize("path", ["/feeds/axis/5/alerts.atom", "/feeds/axis/x/alerts.atom",
                                  "/feeds/axis/%27%3B--/alerts.atom",
                                  "/feeds/axis/00001/alerts.atom"])
def test_unknown_axis_feed_is_404(live_server, path):
    assert _get(live_server, path).status_code == 404


def test_deadline_calendar(live_server, warehouse):
    reply = _get(live_server, "/feeds/deadlines.ics")
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(reply.content)
    events = list(cal.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        planned = dict(con.execute(
            "SELECT project_code, end_date_planned FROM mart.programme_projects").fetchall())
        actual = con.execute(
            "SELECT count(*) FROM mart.programme_projects WHERE end_date_actual IS NOT NULL").fetchone()[0]
    by_uid = {str(e["UID"]).split("@")[0]: e for e in events}
    for code, day in planned.items():
        event = by_uid[f"project-end-planned-{code}"]
        assert event.decoded("DTSTART") == day
        assert str(event["URL"]).endswith(f"/projects/{code}")
    assert sum(u.startswith("project-end-actual-") for u in by_uid) == actual
    for key, day, name_it, _name_en in REPORTING_DEADLINES:
        event = by_uid[f"deadline-{key}"]
        assert event.decoded("DTSTART") == day and str(event["SUMMARY"]) == name_it
    assert by_uid["deadline-air-2017"].decoded("DTSTART").isoformat() == "2017-06-30"
    english = Calendar.from_ical(_get(live_server, "/feeds/deadlines.ics?lang=en").content)
    assert {str(e["UID"]) for e in english.walk("VEVENT")} == set(uids)
    assert any(str(e["SUMMARY"]).startswith("Planned end: ") for e in english.walk("VEVENT"))


def test_ids_are_stable_across_a_rebuild(warehouse, demo_landing, tmp_path):
    """A second build of the same extracts gives the same alert events and calendar UIDs."""
    from etl.build import build

    again = tmp_path / "again.duckdb"
    build(demo_landing, again, progress=False)
    query = "SELECT event_id, event_date, title_it, summary_en FROM mart.programme_alerts ORDER BY 1"
    with duckdb.connect(str(warehouse), read_only=True) as a, \
            duckdb.connect(str(again), read_only=True) as b:
        first, second = a.execute(query).fetchall(), b.execute(query).fetchall()
    assert first == second and len(first) == len({r[0] for r in first})
