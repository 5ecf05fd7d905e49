"""``ponmetro gbfs|portal|opencoesione ...``: run the connectors from the command line.

Expected failures (unreachable URL, schema violation, malformed file) print one
``error:`` line naming the source and exit with status 2, like the rest of the CLI.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from etl.connectors.ckan import MILANO_PORTAL
from etl.connectors.errors import ConnectorError
from etl.connectors.fetch import DEFAULT_TIMEOUT
from etl.validate import LandingError

EXIT_BAD_INPUT = 2

_out = click.option("--out", "out", required=True,
                    type=click.Path(file_okay=False, path_type=Path),
                    help="Landing folder to write into (its manifest.json is updated).")
_timeout = click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=float,
                        help="Seconds to wait for each HTTP answer.")
_portal = click.option("--portal", default=MILANO_PORTAL, show_default=True,
                       help="CKAN portal used to resolve the dataset when SOURCE is omitted.")


def _clean_errors(command: Callable) -> Callable:
    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (ConnectorError, LandingError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    return run


def _echo(message: str) -> None:
    click.echo(message, err=message.startswith("warning:"))


# -------------------------------------------------------------------------- GBFS


@click.group()
def gbfs() -> None:
    """Poll or import GBFS feeds (2.3 and 3.0) into landing files."""


@gbfs.command("poll")
@click.argument("url")
@_out
@click.option("--every", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between snapshots; never less than the feed's ttl.")
@click.option("--count", default=1, show_default=True, type=click.IntRange(min=0),
              help="Snapshots to take (0 = until interrupted).")
@click.option("--client-id", default=None,
              help="Client-Identifier header (required by BikeMi/Urban Sharing); "
                   "default $PONMETRO_GBFS_CLIENT_ID.")
@click.option("--header", "headers", multiple=True, metavar="NAME:VALUE",
              help="Extra request header (repeatable), e.g. an API key.")
@click.option("--keep-raw", is_flag=True, help="Also keep every fetched JSON under "
              "OUT/raw/gbfs/YYYY-MM-DD/.")
@_timeout
@_clean_errors
def gbfs_poll(url: str, out: Path, every: float, count: int, client_id: str | None,
              headers: tuple[str, ...], keep_raw: bool, timeout: float) -> None:
    """Poll the GBFS system whose gbfs.json is at URL, appending snapshots to OUT."""
    from etl.connectors.gbfs import poll, request_headers

    try:
        report = poll(url, out, every=every, count=count,
                      headers=request_headers(client_id, headers), timeout=timeout,
                      keep_raw=keep_raw, echo=_echo)
    except KeyboardInterrupt:
        click.echo("interrupted; snapshots taken so far are saved", err=True)
        return
    click.echo(f"{report.snapshots} snapshot(s), {report.total.statuses} new statuses "
               f"written to {out}")


@gbfs.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_out
@click.option("--system-id", default=None, help="GBFS system_id to record for the stations.")
@_clean_errors
def gbfs_import(files: tuple[Path, ...], out: Path, system_id: str | None) -> None:
    """Import saved GBFS snapshots (JSON) and flattened CSV histories into OUT."""
    from etl.connectors.gbfs import import_files

    total = import_files(files, out, system_id=system_id, echo=_echo)
    click.echo(f"imported {total.stations} stations and {total.statuses} new statuses "
               f"into {out}")


@gbfs.command("validate")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--version", "version", default=None,
              help="GBFS version to check against (default: each file's own).")
@_clean_errors
def gbfs_validate(files: tuple[Path, ...], version: str | None) -> None:
    """Validate GBFS JSON files against the official schema named like each file."""
    import json

    from etl.connectors.gbfs_schema import validate

    for path in files:
        try:
            document = json.loads(path.read_text("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConnectorError(f"{path}: not valid JSON ({exc})") from exc
        found = validate(document, path.stem, str(path), version=version)
        click.echo(f"{path}: valid GBFS {found} {path.stem}")


# ------------------------------------------------------------------------ portal


@click.group()
def portal() -> None:
    """Fetch datasets of the city open-data portal (CKAN) into landing files."""


def _portal_command(name: str, help_text: str):
    def decorate(function):
        return portal.command(name, help=help_text)(
            click.argument("source", required=False)(_out(_portal(_timeout(
                _clean_errors(function))))))
    return decorate


@_portal_command("nil", "NIL polygons (ds964) from SOURCE (file or URL; default: resolved "
                 "on the portal) into OUT/geography/nil.geojson.")
def portal_nil(source: str | None, out: Path, portal: str, timeout: float) -> None:
    from etl.connectors.portal import import_nil

    path = import_nil(out, source, portal=portal, timeout=timeout)
    click.echo(f"wrote {path}")


@_portal_command("municipi", "Municipi polygons from SOURCE (file or URL; default: resolved "
                 "on the portal) into OUT/geography/municipi.geojson.")
def portal_municipi(source: str | None, out: Path, portal: str, timeout: float) -> None:
    from etl.connectors.portal import import_municipi

    path = import_municipi(out, source, portal=portal, timeout=timeout)
    click.echo(f"wrote {path}")


@_portal_command("stations", "BikeMi stations (ds65, CSV or GeoJSON) from SOURCE into "
                 "OUT/mobility/station_information.csv.")
def portal_stations(source: str | None, out: Path, portal: str, timeout: float) -> None:
    from etl.connectors.portal import import_bike_stations

    path, rows, inactive = import_bike_stations(out, source, portal=portal, timeout=timeout)
    left_out = f" ({inactive} inactive stations left out)" if inactive else ""
    click.echo(f"wrote {rows} stations to {path}{left_out}")


@portal.command("located")
@click.argument("source")
@click.option("--to", "to", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV to write: the source columns plus lon, lat (and nil_id, "
                   "municipio_id with --geography).")
@click.option("--geography", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="NIL GeoJSON (landing geography/nil.geojson or the portal's ds964) "
                   "to place the records in.")
@click.option("--municipi", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Municipi GeoJSON: municipio by containment (else the NIL's MUNICIPIO).")
@_timeout
@_clean_errors
def portal_located(source: str, to: Path, geography: Path | None, municipi: Path | None,
                   timeout: float) -> None:
    """Any portal CSV of located records (';', CRLF, Latin-1, LONG_X_4326 or Location)."""
    from etl.connectors.fetch import fetch_bytes
    from etl.connectors.located import read_located

    frame = read_located(fetch_bytes(source, timeout=timeout), source, bbox=None)
    if geography is not None:
        from etl.connectors.located import place

        frame = place(frame, geography, municipi)
    to.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(to)
    placed = frame["lon"].is_not_null().sum()
    click.echo(f"wrote {frame.height} records ({placed} with coordinates) to {to}")


# ------------------------------------------------------------------ OpenCoesione


@click.group()
def opencoesione() -> None:
    """Import OpenCoesione project exports into the programme landing files."""


@opencoesione.command("import")
@click.argument("source")
@_out
@click.option("--programme", default="2014IT16M2OP004", show_default=True,
              help="OC_CODICE_PROGRAMMA to keep (PON Città Metropolitane 2014-2020).")
@click.option("--comune", default="003015146", show_default=True,
              help="COD_COMUNE to keep (9 digits; 003015146 = Milano).")
@_timeout
@_clean_errors
def opencoesione_import(source: str, out: Path, programme: str, comune: str,
                        timeout: float) -> None:
    """Projects of SOURCE (CSV or Parquet, file or URL) for PROGRAMME in COMUNE."""
    from etl.connectors.opencoesione import import_projects

    report = import_projects(source, out, programme=programme, comune=comune,
                             timeout=timeout, echo=_echo)
    click.echo(report)


#: The connector command groups; ``ponmetro`` and ``python -m etl.connectors`` both add
#: exactly these, so a new connector is registered in one place.
GROUPS: tuple[click.Group, ...] = (gbfs, portal, opencoesione)


def register(cli: click.Group) -> click.Group:
    """Add every connector group to ``cli``."""
    for group in GROUPS:
        cli.add_command(group)
    return cli
