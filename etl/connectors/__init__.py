"""Connectors: turn real sources (city portal, GBFS feeds, OpenCoesione) into landing files."""
