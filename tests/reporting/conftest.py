"""Reporting fixtures: a report runner over any warehouse file, a browser that may run axe."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """axe-core is injected as an inline script, which the app's CSP rightly blocks."""
    return {**browser_context_args, "bypass_csp": True}
