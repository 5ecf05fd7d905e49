"""Fixtures of the public-page tests: the app's Flask client on the session demo warehouse."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(warehouse):
    from dashboards import app as module
    from dashboards import warehouse as door

    door.reset()
    return module.server.test_client()


@pytest.fixture(scope="module")
def door(warehouse):
    """The query layer's door on the same warehouse (ground truth for the pages)."""
    from dashboards import warehouse as door

    door.reset()
    return door


@pytest.fixture
def console(page):
    """Console errors and failed responses of one page (as in the dashboards' suite)."""
    from tests.browser.conftest import Console

    return Console(page)
