"""The ``ponmetro`` command: demo data, builds, the server, exports, connectors.

Command names and options are a contract (see README): other tools and checks
call them. Expected failures print one ``error:`` line and exit non-zero,
never a traceback.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from etl.connectors.cli import register as register_connectors
from ponmetro.settings import releases_keep, releases_path, warehouse_path

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


_STORE = click.option("--store", type=click.Path(file_okay=False, path_type=Path),
                      help="Release store (default $PONMETRO_RELEASES or data/releases).")
_KEEP = click.option("--keep", type=click.IntRange(2, 1000),
                     help="Releases to keep (default $PONMETRO_RELEASES_KEEP or 5).")
_SERVE = click.option("--serve/--no-serve", default=True, show_default=True,
                      help="Also switch this host's served warehouse ($PONMETRO_WAREHOUSE).")


@click.group()
@click.version_option(package_name="ponmetro-milano")
def main() -> None:
    """PON Metro Milano: monitoring dashboards and open-data hub."""


@main.group(invoke_without_command=True)
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the demo landing files into.")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="Telemetry volume multiplier (1 = 90 days of 10-minute snapshots).")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.pass_context
def demo(ctx: click.Context, out: Path | None, scale: int, seed: int) -> None:
    """Write deterministic synthetic landing files in the real contract formats
    (`demo feed`: a simulated live operator)."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        fail("give --out DIR (or `ponmetro demo feed --port P`)")
    from etl.demo import generate

    ctx = generate(out, seed=seed, scale=scale)
    rows = sum(int(f["rows"]) for f in ctx.written.values())
    click.echo(f"wrote {len(ctx.written)} demo landing files ({rows:,} rows) to {out}")



@demo.command("feed")
@click.option("--port", required=True, type=click.IntRange(0, 65535),
              help="Local port of the GBFS feed (127.0.0.1).")
@click.option("--sensors", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to drop bay-sensor batch files into (for `ponmetro live --sensors`).")
@click.option("--every", default=20.0, show_default=True, type=click.FloatRange(0.5),
              help="Seconds between sensor batches.")
def demo_feed(port: int, sensors: Path | None, every: float) -> None:
    """Simulated operator: a changing GBFS 2.3 feed and bay-sensor batches (demo model)."""
    from etl.demo_feed import serve

    try:
        serve(port, sensors, every)
    except OSError as exc:
        fail(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}")

@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path),
              help="Ingest every telemetry file of this landing folder not served yet.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="Served warehouse (default $PONMETRO_WAREHOUSE or data/warehouse.duckdb).")
def ingest(files: tuple[Path, ...], landing: Path | None, warehouse: Path | None) -> None:
    """Append telemetry batches to the served warehouse (docs/operations.md)."""
    from etl import ingest as live
    from etl.publish import BuildError
    from etl.validate import LandingError

    if bool(files) == (landing is not None):
        fail("give batch FILES or --landing DIR (one of the two)")
    target = warehouse_path(warehouse)
    try:
        paths = list(files) if files else live.batch_files(landing)
        done = live.ingest(paths, target)
    except (LandingError, BuildError, live.IngestError) as exc:
        fail(str(exc))
    added = [a for a in done if a.skipped is None]
    for a in done:
        if a.skipped is None:
            click.echo(f"ingested {a.file}: {a.rows} new rows ({a.contract})")
    skipped = len(done) - len(added)
    click.echo(f"{len(added)} batches ingested into {target}"
               + (f", {skipped} already served" if skipped else ""))


@main.command("live")
@click.option("--gbfs", "urls", multiple=True, metavar="URL", envvar="PONMETRO_LIVE_GBFS",
              help="GBFS feed (gbfs.json) to poll; repeat for several operators "
                   "(default $PONMETRO_LIVE_GBFS, space-separated).")
@click.option("--every", default=60.0, show_default=True, type=click.FloatRange(0.1),
              envvar="PONMETRO_LIVE_EVERY",
              help="Seconds between polls (never faster than a feed's ttl).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="Served warehouse (default $PONMETRO_WAREHOUSE or data/warehouse.duckdb).")
@click.option("--sensors", type=click.Path(file_okay=False, path_type=Path),
              envvar="PONMETRO_LIVE_SENSORS",
              help="Folder where the bay-sensor platform drops spot_status batch files "
                   "(default $PONMETRO_LIVE_SENSORS).")
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path),
              envvar="PONMETRO_LIVE_LANDING",
              help="Where poll batches are kept for the nightly build "
                   "(default $PONMETRO_LIVE_LANDING or <warehouse>.live/landing).")
@click.option("--rounds", default=0, type=click.IntRange(0), hidden=True)
def live_worker(urls: tuple[str, ...], every: float, warehouse: Path | None,
                sensors: Path | None, landing: Path | None, rounds: int) -> None:
    """Poll GBFS feeds and a sensor folder, ingesting each batch, until stopped."""
    from etl.worker import Worker

    if not urls and sensors is None:
        fail("give at least one --gbfs URL or --sensors DIR")
    worker = Worker.create(warehouse_path(warehouse), list(urls), landing=landing,
                           sensors=sensors, every=every,
                           echo=lambda line: click.echo(line, err=line.startswith("error")))
    click.echo(f"live worker: {len(urls)} feeds, sensors {sensors or '-'}, "
               f"into {worker.warehouse}")
    try:
        worker.run(rounds)
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--demo", "use_demo", is_flag=True, help="Generate demo landing files first.")
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of landing files to validate and load.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="Target DuckDB file (default $PONMETRO_WAREHOUSE or data/warehouse.duckdb).")
@click.option("--geography", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Real NIL GeoJSON to use in place of the landing geography.")
@click.option("--municipi", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Real municipi GeoJSON (needed with a --geography file that has no "
                   "MUNICIPIO property).")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="With --demo: demo scale.")
@click.option("--seed", default=42, show_default=True, type=int, help="With --demo: seed.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--publish", "then_publish", is_flag=True,
              help="Then publish the build as a release (`ponmetro release publish`).")
def build(use_demo: bool, landing: Path | None, warehouse: Path | None,
          geography: Path | None, municipi: Path | None, scale: int, seed: int,
          quiet: bool, then_publish: bool) -> None:
    """Validate landing files and atomically build the warehouse."""
    from etl.build import build as run_build
    from etl.publish import BuildError
    from etl.validate import LandingError

    if use_demo == (landing is not None):
        fail("give exactly one of --demo or --landing DIR")
    target = warehouse_path(warehouse)
    overrides = {name: path for name, path in (("geo_nil", geography),
                                               ("geo_municipi", municipi)) if path}
    try:
        with tempfile.TemporaryDirectory(prefix="ponmetro-demo-") as tmp:
            if use_demo:
                from etl.demo import generate

                landing = Path(tmp)
                generate(landing, seed=seed, scale=scale)
            ctx = run_build(landing, target, overrides=overrides, progress=not quiet)
    except (LandingError, BuildError) as exc:
        fail(str(exc))
    from etl.checks import summary_line

    # a declared dataset left unpublished is the developer's problem: said each time;
    # data findings (expected in real feeds) are one line saying where the details are
    for finding in ctx.findings:
        if finding["contract"] == "catalog":
            click.echo(f"warning: {finding['file']}: column '{finding['column']}': "
                       f"{finding['check']}: {finding['values']}", err=True)
    note = summary_line([f for f in ctx.findings if f["contract"] != "catalog"])
    if note:
        click.echo(note, err=True)
    click.echo(f"built {target} (build {ctx.build_id}{', demo data' if ctx.is_demo else ''})")
    if then_publish:
        from ponmetro.releases import ReleaseError
        from ponmetro.releases.store import publish

        try:
            rel, _ = publish(target, releases_path(), warehouse_path(), releases_keep())
        except ReleaseError as exc:
            fail(str(exc))
        click.echo(f"published release {rel.id}")


@main.command()
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="Warehouse to read (default $PONMETRO_WAREHOUSE or data/warehouse.duckdb).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding.")
def quality(warehouse: Path | None, as_json: bool) -> None:
    """The data-quality findings of the warehouse (meta.quality), one line each."""
    import json

    import duckdb

    target = warehouse_path(warehouse)
    if not target.exists():
        fail(f"warehouse not found: {target}")
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            rows = con.sql('SELECT contract, file, "column", "check", rows, "values" '
                           "FROM meta.quality ORDER BY contract, file").pl().to_dicts()
    except duckdb.Error as exc:
        fail(f"cannot read meta.quality from {target}: {str(exc).splitlines()[0]}")
    for f in rows:
        click.echo(json.dumps(f, ensure_ascii=False) if as_json else
                   f"{f['file']}: column '{f['column']}': {f['rows']} rows fail {f['check']} "
                   f"(values: {f['values']})")
    if not as_json:
        click.echo(f"{len(rows)} finding{'s' if len(rows) != 1 else ''}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Dash debug mode (development only).")
def serve(host: str, port: int, debug: bool) -> None:
    """Run the app with the development server (production: gunicorn, see Procfile)."""
    from dashboards.app import app

    app.run(host=host, port=port, debug=debug)


@main.command()
def contracts() -> None:
    """Print the landing contracts as Markdown (the source of docs/landing.md)."""
    from etl.landing_doc import render

    click.echo(render(), nl=False)


@main.group()
def export() -> None:
    """Reporting exports."""


@export.command("eu-report")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Cut-off date YYYY-MM-DD: only facts dated on or before it count.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the XLSX workbook and one CSV per table.")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="Warehouse file (default $PONMETRO_WAREHOUSE or data/warehouse.duckdb).")
@click.option("--release", "rid",
              help="Report from this kept release (its sha256 is checked first) instead "
                   "of the served warehouse.")
@_STORE
def eu_report(as_of, out: Path, warehouse: Path | None, rid: str | None,
              store: Path | None) -> None:
    """Write AIR Table 6, Table 3A and the operations list as of a date."""
    from dashboards.reporting.export import ReportError, export_eu_report
    from ponmetro.releases import ReleaseError
    from ponmetro.releases.store import verified

    source = warehouse_path(warehouse)
    if rid is not None:
        if warehouse is not None:
            fail("give either --warehouse or --release, not both")
        try:
            source = verified(releases_path(store), rid).warehouse
        except ReleaseError as exc:
            fail(str(exc))
    try:
        files = export_eu_report(source, as_of.date(), out)
    except ReportError as exc:
        fail(str(exc))
    for path in files:
        click.echo(f"wrote {path}")


@main.group()
def release() -> None:
    """Releases: every published build, kept with its sha256 and what changed."""


def _release_line(rel, current: str | None) -> str:
    changed = sum(1 for c in rel.datasets.values() if not c.unchanged)
    mark = "*" if rel.id == current else " "
    what = f"first release, {len(rel.datasets)} datasets" if rel.previous is None else \
        f"{changed} of {len(rel.datasets)} datasets changed since {rel.previous}"
    return (f"{mark} {rel.id}  build {rel.build_id}  {rel.created:%Y-%m-%d %H:%M:%S}Z  "
            f"{rel.bytes:,} bytes  {what}")


@release.command("list")
@_STORE
@click.option("--json", "as_json", is_flag=True, help="The manifests as JSON.")
def release_list(store: Path | None, as_json: bool) -> None:
    """List kept releases, oldest first; * marks the current one."""
    import json

    from ponmetro.releases import current_id, list_releases

    root = releases_path(store)
    releases, current = list_releases(root), current_id(root)
    if as_json:
        click.echo(json.dumps({"current": current,
                               "releases": [r.manifest() for r in releases]}, indent=2))
        return
    if not releases:
        click.echo(f"no releases in {root}")
    for rel in releases:
        click.echo(_release_line(rel, current))


@release.command("publish")
@click.option("--warehouse", type=click.Path(path_type=Path),
              help="The built warehouse to publish (default $PONMETRO_WAREHOUSE or "
                   "data/warehouse.duckdb, where `ponmetro build` writes).")
@_STORE
@_KEEP
@_SERVE
def release_publish(warehouse: Path | None, store: Path | None, keep: int | None,
                    serve: bool) -> None:
    """Take a built warehouse into the store atomically and make it the current release."""
    from ponmetro.releases import ReleaseError
    from ponmetro.releases.store import publish

    try:
        rel, new = publish(warehouse_path(warehouse), releases_path(store),
                           warehouse_path() if serve else None, releases_keep(keep))
    except ReleaseError as exc:
        fail(str(exc))
    verb = "published" if new else "already kept; made current"
    click.echo(f"{verb} release {rel.id} (build {rel.build_id}, sha256 {rel.sha256[:16]}...)")


@release.command("pull")
@click.argument("source")
@click.option("--release", "rid", help="Release id (default: the source's current release).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="This host's served warehouse (default $PONMETRO_WAREHOUSE or "
                   "data/warehouse.duckdb).")
@_STORE
@_KEEP
def release_pull(source: str, rid: str | None, warehouse: Path | None, store: Path | None,
                 keep: int | None) -> None:
    """Fetch a release from a release folder or http(s) URL, check its sha256, switch to it."""
    from ponmetro.releases import ReleaseError
    from ponmetro.releases.store import pull

    try:
        rel = pull(source, releases_path(store), warehouse_path(warehouse), rid,
                   releases_keep(keep))
    except ReleaseError as exc:
        fail(str(exc))
    click.echo(f"serving release {rel.id} (build {rel.build_id}) from "
               f"{warehouse_path(warehouse)}")


@release.command("rollback")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path),
              help="This host's served warehouse (default $PONMETRO_WAREHOUSE or "
                   "data/warehouse.duckdb).")
@_STORE
@_SERVE
def release_rollback(warehouse: Path | None, store: Path | None, serve: bool) -> None:
    """Make the previous release current (and served) in one step."""
    from ponmetro.releases import ReleaseError
    from ponmetro.releases.store import rollback

    try:
        rel = rollback(releases_path(store), warehouse_path(warehouse) if serve else None)
    except ReleaseError as exc:
        fail(str(exc))
    click.echo(f"rolled back to release {rel.id} (build {rel.build_id})")


register_connectors(main)


if __name__ == "__main__":  # pragma: no cover
    main()
