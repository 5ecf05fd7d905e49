"""Kept releases as the app sees them: ``?release=<id>`` and the release list of a dataset.

The app only reads the release store (``PONMETRO_RELEASES``): manifests for the
lists, and a release's warehouse file through :func:`dashboards.warehouse.reading`,
the same hardened read-only opener as the served warehouse. A release id is
checked against the id pattern and the store before any path is built from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from flask import Response, request

from dashboards import warehouse
from ponmetro import releases
from ponmetro.settings import releases_path

PARAM = "release"


class UnknownRelease(LookupError):
    """``?release=`` names no kept release."""


def kept() -> list[releases.Release]:
    """Kept releases, newest first ([] when this host has no release store)."""
    return list(reversed(releases.list_releases(releases_path())))


def current_id() -> str | None:
    return releases.current_id(releases_path())


def tag() -> str:
    """A short digest of the kept releases and the current one, for ETags of pages and
    feeds that list them (they change when a release is published or pruned)."""
    ids = ",".join(r.id for r in kept()) + f"|{current_id()}"
    return hashlib.sha256(ids.encode()).hexdigest()[:8]


def requested() -> releases.Release | None:
    """The release named by ``?release=`` (None when absent); UnknownRelease if not kept."""
    value = request.args.get(PARAM)
    if value in (None, ""):
        return None
    try:
        return releases.get(releases_path(), value)
    except releases.ReleaseError:
        raise UnknownRelease(value) from None


@contextmanager
def reading(release: releases.Release | None) -> Iterator[None]:
    """Queries in the block read ``release``'s build (the served warehouse for None)."""
    with warehouse.reading(release.warehouse) if release else nullcontext():
        yield


def not_found(value: str) -> Response:
    """404 for an unknown ``?release=``; the id is echoed only if it is well formed."""
    named = f"release {value}" if releases.valid_id(value) else "this release"
    return Response(f"Not found: {named} is not kept on this service (release ids look "
                    "like 20260130T101500Z-1a2b3c4d; each dataset page lists the kept "
                    "releases).\n", status=404, mimetype="text/plain")
