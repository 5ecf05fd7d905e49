"""``ponmetro gbfs ...`` commands (placeholder: filled in by the connectors work)."""

import click


@click.group()
def gbfs() -> None:
    """Poll or import GBFS feeds into landing files."""
