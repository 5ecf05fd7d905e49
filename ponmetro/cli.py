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
from ponmetro.settings import warehouse_path

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group()
@click.version_option(package_name="ponmetro-milano")
def main() -> None:
    """PON Metro Milano: monitoring dashboards and open-data hub."""


@main.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the demo landing files into.")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="Telemetry volume multiplier (1 = 90 days of 10-minute snapshots).")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
def demo(out: Path, scale: int, seed: int) -> None:
    """Write deterministic synthetic landing files in the real contract formats."""
    from etl.demo import generate

    ctx = generate(out, seed=seed, scale=scale)
    rows = sum(int(f["rows"]) for f in ctx.written.values())
    click.echo(f"wrote {len(ctx.written)} demo landing files ({rows:,} rows) to {out}")


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
def build(use_demo: bool, landing: Path | None, warehouse: Path | None,
          geography: Path | None, municipi: Path | None, scale: int, seed: int,
          quiet: bool) -> None:
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
    for finding in ctx.findings:
        click.echo(f"warning: {finding['file']}: column '{finding['column']}': "
                   f"{finding['rows']} rows fail {finding['check']} "
                   f"(values: {finding['values']})", err=True)
    click.echo(f"built {target} (build {ctx.build_id}{', demo data' if ctx.is_demo else ''})")


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
def eu_report(as_of, out: Path, warehouse: Path | None) -> None:
    """Write AIR Table 6, Table 3A and the operations list as of a date."""
    from dashboards.reporting.export import ReportError, export_eu_report

    try:
        files = export_eu_report(warehouse_path(warehouse), as_of.date(), out)
    except ReportError as exc:
        fail(str(exc))
    for path in files:
        click.echo(f"wrote {path}")


register_connectors(main)


if __name__ == "__main__":  # pragma: no cover
    main()
