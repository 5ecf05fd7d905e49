"""The one error type connectors raise: a one-line message an operator can act on."""

from __future__ import annotations


class ConnectorError(Exception):
    """A source could not be fetched or does not hold what the connector needs."""
