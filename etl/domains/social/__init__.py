"""Domain social (placeholder: filled in by its owner)."""

CONTRACTS = ()


def generate(ctx) -> None:
    """Write the synthetic landing files of this domain."""


def build_marts(con, ctx) -> None:
    """Build mart.* tables of this domain from staging.*."""
