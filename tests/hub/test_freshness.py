"""Freshness everyone can see, on a warehouse that received live batches after its build:
the GBFS status follows the batch, each dataset's ``modified`` (page, CKAN API, DCAT)
follows its data, the Atom feed of data updates lists the batches (read back by
``feedparser``), the mobility page says "aggiornato alle HH:MM" and flags stale data,
and data-quality findings reach the dataset page and ``/healthz``."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import feedparser
import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from dashboards.queries.freshness import STALE_AFTER_S
from tests.conftest import BIN, Server
from tests.etl.conftest import read_live

ROME = ZoneInfo("Europe/Rome")


#: The batches' observation times: just after the demo history ends.
STATION_AT = datetime(2024, 1, 1, 0, 4)
SPOT_AT = datetime(2024, 1, 1, 0, 6)


@pytest.fixture(scope="module")
def served(warehouse, tmp_path_factory) -> dict:
    """A real gunicorn serving a private copy of the demo build, dated two days back (so
    dates in DCAT tell the build and the batches apart)."""
    folder = tmp_path_factory.mktemp("served")
    target = folder / "warehouse.duckdb"
    shutil.copy(warehouse, target)
    with duckdb.connect(str(target)) as con:
        built_at = con.execute("SELECT built_at FROM meta.build").fetchone()[0] - timedelta(days=2)
        con.execute("UPDATE meta.build SET built_at = ?", [built_at])
        con.execute("UPDATE meta.datasets SET modified = ?", [built_at])
        spot, area = con.execute("""SELECT spot_id, area_id FROM mart.mobility_spot_status_latest
                                    WHERE status = 'free' ORDER BY spot_id LIMIT 1""").fetchone()
        stations = [r[0] for r in con.execute(
            "SELECT station_id FROM mart.mobility_station_status_latest ORDER BY station_id"
        ).fetchall()]
    server = Server(target, workers=1, env={
        "PONMETRO_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}).start()
    yield {"url": server.url, "path": target, "built_at": built_at, "spot": spot, "area": area,
           "stations": stations, "folder": folder}
    server.stop()


def _ingest(warehouse: Path, batch: Path) -> None:
    result = subprocess.run([str(BIN / "ponmetro"), "ingest", "--warehouse", str(warehouse),
                             str(batch)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def _land_batches(served: dict) -> dict:
    """Two live batches ingested by the real ``ponmetro ingest`` into the served warehouse:
    the newest status of every station again (a minute later) plus one of a station the operator does not list (a data-quality
    finding), then one bay turning occupied. Returns their ``meta.ingest`` rows."""
    landing = served["folder"] / "batches" / "mobility"
    (landing / "station_status").mkdir(parents=True)
    (landing / "spot_status").mkdir(parents=True)
    stamp = STATION_AT.isoformat() + "Z"
    rows = [f"{sid},{stamp},1,1,true,true,true" for sid in served["stations"]]
    rows.append(f"ghost-station,{stamp},1,1,true,true,true")
    station = landing / "station_status" / "live-1.csv"
    station.write_text("station_id,last_reported,num_vehicles_available,num_docks_available,"
                       "is_installed,is_renting,is_returning\n" + "\n".join(rows) + "\n")
    spot = landing / "spot_status" / "live-1.csv"
    spot.write_text(f"spot_id,observed_at,status\n{served['spot']},{SPOT_AT.isoformat()}Z,"
                    "occupied\n")
    _ingest(served["path"], station)
    _ingest(served["path"], spot)
    batches = read_live(served["path"], "SELECT * FROM meta.ingest")
    by_contract = {r["contract"]: r for r in batches.iter_rows(named=True)}
    return {"spot": by_contract["mobility_spot_status"],
            "station": by_contract["mobility_station_status"],
            "findings": read_live(served["path"], "SELECT count(*) AS n FROM meta.quality")["n"][0]}


def _area_status(url: str, area: str) -> tuple[dict, dict]:
    reply = requests.get(f"{url}/gbfs/station_status.json", timeout=60)
    body = reply.json()
    station = next(s for s in body["data"]["stations"] if s["station_id"] == f"area-{area}")
    return body, station


@pytest.fixture(scope="module")
def live(served) -> dict:
    """The server before and after the live batches landed: the GBFS status read before,
    the batches ingested, the status read again as soon as it changes."""
    before_body, before = _area_status(served["url"], served["area"])
    landed = _land_batches(served)
    deadline = datetime.now() + timedelta(seconds=60)
    after_body, after = before_body, before
    while datetime.now() < deadline and after_body["last_updated"] == before_body["last_updated"]:
        after_body, after = _area_status(served["url"], served["area"])
    return {**served, **landed, "before": before, "after": after, "after_body": after_body,
            "before_body": before_body}


@pytest.fixture(scope="module")
def ingested_copy(live) -> dict:
    """The served warehouse once the batches landed (what the tests below read)."""
    return live


def test_gbfs_status_follows_the_last_batch_within_its_ttl(live, ingested_copy):
    """The first status read after the batch landed already has it: no query cache or
    HTTP cache holds the old status (max-age <= ttl = 30 s, at most 60 s behind)."""
    assert live["after"]["num_docks_available"] == live["before"]["num_docks_available"] - 1
    assert live["after"]["num_vehicles_available"] == live["before"]["num_vehicles_available"] + 1
    newest = ingested_copy["spot"]["last_at"].isoformat() + "Z"
    assert live["after"]["last_reported"] == newest
    assert live["after_body"]["ttl"] <= 60
    # the feed changed when the batch landed, though the batch observed an older moment
    landed = ingested_copy["spot"]["ingested_at"].replace(microsecond=0).isoformat() + "Z"
    assert live["after_body"]["last_updated"] == landed
    reply = requests.get(f"{live['url']}/gbfs/station_status.json", timeout=60)
    assert reply.headers["Cache-Control"] == f"public, max-age={live['after_body']['ttl']}"


def test_modified_follows_the_data_in_ckan_and_dcat(live, ingested_copy):
    url = live["url"]
    spot_at = ingested_copy["spot"]["ingested_at"]

    def package(dataset_id: str) -> dict:
        return requests.get(f"{url}/api/3/action/package_show", params={"id": dataset_id},
                            timeout=60).json()["result"]

    changed, unchanged = package("bay-occupancy-hourly"), package("projects")
    assert changed["metadata_modified"] == spot_at.isoformat()
    assert unchanged["metadata_modified"] == ingested_copy["built_at"].isoformat()
    assert package("station-status-hourly")["metadata_modified"] == \
        ingested_copy["station"]["ingested_at"].isoformat()
    for dataset_id, want in (("bay-occupancy-hourly", spot_at.date()),
                             ("projects", ingested_copy["built_at"].date())):
        g = Graph().parse(data=requests.get(f"{url}/data/{dataset_id}.ttl", timeout=60).text,
                          format="turtle")
        node = URIRef(f"{url}/data/{dataset_id}#dataset")
        assert g.value(node, DCTERMS.modified).toPython() == want, dataset_id
    g = Graph().parse(data=requests.get(f"{url}/catalog.ttl", timeout=120).text, format="turtle")
    assert g.value(URIRef(f"{url}/catalog"), DCTERMS.modified).toPython() == spot_at.date()


def test_atom_feed_of_data_updates_lists_each_batch(live, ingested_copy):
    reply = requests.get(f"{live['url']}/feeds/updates.atom", timeout=60)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(reply.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.language == "it"
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids)) == 3
    spot, station, build = feed.entries  # newest first, the build last
    assert spot.id.endswith("update/" + ingested_copy["spot"]["batch_id"])
    assert {t.term for t in spot.tags} == {"bay-occupancy-hourly"}
    assert spot.title.startswith("1 nuova riga:") and "mobility_spot_status" in spot.summary
    assert datetime(*spot.updated_parsed[:6]) == \
        ingested_copy["spot"]["ingested_at"].replace(microsecond=0)
    assert {t.term for t in station.tags} == {"station-status-hourly"}
    assert ingested_copy["station"]["rows"] == len(ingested_copy["stations"]) + 1 > 2
    assert station.title.startswith(f"{ingested_copy['station']['rows']} nuove righe:")
    assert build.id.endswith("build/" + requests.get(f"{live['url']}/healthz", timeout=30)
                             .json()["build_id"])
    assert len(build.tags) >= 20  # the build changes every dataset
    english = feedparser.parse(requests.get(f"{live['url']}/feeds/updates.atom?lang=en",
                                            timeout=60).content)
    assert english.feed.language == "en" and english.entries[0].title.startswith("1 new row:")
    assert [e.id for e in english.entries] == ids


def test_healthz_counts_the_quality_findings(live, ingested_copy):
    body = requests.get(f"{live['url']}/healthz", timeout=30).json()
    assert body["quality_findings"] == ingested_copy["findings"] >= 4


# ------------------------------------------------------- pages, rendered in this process


@pytest.fixture
def reading(ingested_copy, monkeypatch):
    """Serve ``path`` (default: the warehouse with the batches) to this process, as
    ``PONMETRO_WAREHOUSE`` does for the app: the live snapshot beside it included."""
    from dashboards import warehouse
    from dashboards.app import server

    contexts = []

    def use(path=None):
        monkeypatch.setenv("PONMETRO_WAREHOUSE", str(path or ingested_copy["path"]))
        warehouse.reset()
        ctx = server.test_request_context("/")
        ctx.push()
        contexts.append(ctx)

    yield use
    for ctx in reversed(contexts):
        ctx.pop()
    monkeypatch.undo()
    warehouse.reset()


def _text(component) -> str:
    """Every string in a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return _text(children) if children is not None else ""


def _find(component, wanted_id: str):
    if getattr(component, "id", None) == wanted_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, wanted_id)
            if found is not None:
                return found
    return None


def test_freshness_line_says_when_and_flags_stale_data(reading, ingested_copy):
    from dashboards.components import freshness

    reading()
    at = ingested_copy["station"]["ingested_at"]  # the newest batch of a live contract...
    at = max(at, ingested_copy["spot"]["ingested_at"])
    hhmm = at.replace(tzinfo=UTC).astimezone(ROME).strftime("%H:%M")
    soon = at.replace(tzinfo=UTC) + timedelta(seconds=40)
    children, css = freshness.line("it", now=soon)
    assert _text(children) == f"Dati in tempo reale: aggiornato alle {hhmm}"
    assert "alert" not in css
    children, css = freshness.line("en", now=soon)
    assert _text(children) == f"Live data: updated at {hhmm}"
    late = soon + timedelta(seconds=STALE_AFTER_S)
    children, css = freshness.line("it", now=late)
    assert _text(children).startswith(f"Dati non aggiornati: aggiornato alle {hhmm} del ")
    assert "alert-warning" in css
    assert _text(freshness.line("en", now=late)[0]).startswith(f"Stale data: updated at {hhmm}")


def test_without_batches_the_line_names_the_build_and_is_flagged(reading, warehouse):
    from dashboards.components import freshness

    reading(warehouse)
    children, css = freshness.line("it")
    assert _text(children).startswith("Dati non in tempo reale: aggiornato alle ")
    assert "alert-warning" in css


def _layout(module: str):
    """A page's layout function as Dash registered it (importing the page module by its
    package name would register the page a second time)."""
    import dash

    return next(p["layout"] for p in dash.page_registry.values()
                if p["module"].endswith(module) and "layout" in p)


def test_mobility_page_carries_the_freshness_line(reading):
    reading()
    layout = _layout("pages.mobility")(lang="en")
    line = _find(layout, "freshness-line")
    assert line is not None and "updated at" in _text(line)
    assert _find(layout, "freshness-tick") is not None
    assert _find(layout, "freshness-gbfs").href == "/gbfs/gbfs.json"


def test_dataset_page_shows_its_quality_findings_and_modified(live, ingested_copy):
    """The server-rendered dataset page lists the findings of the contracts it is made of
    (the build's and the batch's unknown station) and its date follows its data."""
    from lxml import html as lxml_html

    from dashboards.i18n import fmt_date

    def page(dataset_id: str):
        reply = requests.get(f"{live['url']}/data/{dataset_id}", params={"lang": "en"},
                             timeout=60)
        assert reply.status_code == 200
        return lxml_html.fromstring(reply.text)

    station = page("station-status-hourly")
    section = station.get_element_by_id("dataset-quality")
    text = section.text_content()
    assert "Data quality" in text and "foreign key" in text
    assert "ghost-station" in text and "station_status/live-1.csv" in text
    rows = section.xpath(".//tbody/tr")
    assert len(rows) == read_live(ingested_copy["path"], """SELECT count(*) AS n
        FROM meta.quality WHERE contract IN (SELECT contract FROM meta.dataset_contracts
        WHERE dataset_id = 'station-status-hourly')""")["n"][0]
    projects = page("projects")
    assert not projects.xpath('//*[@id="dataset-quality"]')
    meta = page("bay-occupancy-hourly").get_element_by_id("dataset-metadata").text_content()
    assert fmt_date(ingested_copy["spot"]["ingested_at"], "en") in meta
    assert fmt_date(ingested_copy["built_at"], "en") in \
        projects.get_element_by_id("dataset-metadata").text_content()
