"""Connectors: turn real sources (city portal, GBFS feeds, OpenCoesione) into landing files.

Each connector reads a local file or downloads a URL, checks what it got, and writes
landing files of exactly the contracts the domains declare, marking them real in the
landing folder's ``manifest.json``; ``ponmetro build --landing DIR`` then mixes them
with any demo files left in the folder.
"""
