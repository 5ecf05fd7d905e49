"""``python -m etl.connectors gbfs|portal|opencoesione ...``: the connector commands on
their own, for schedulers that call the connectors without the rest of the CLI."""

import click

from etl.connectors.cli import register


@click.group()
def connectors() -> None:
    """PON Metro Milano real-source connectors."""


register(connectors)

if __name__ == "__main__":
    connectors()
