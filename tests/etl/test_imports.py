"""The import graph, measured with grimp: no cycle among etl modules, and etl stands alone.

A cycle (``etl.demo`` <-> ``etl.domains`` was one) makes import order matter and hides
which module owns a decision; the ETL must build without the app, so it never imports
``dashboards``.
"""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("etl", "dashboards", "ponmetro")


def cycle_edges(graph, package: str) -> list[tuple[str, str]]:
    """Direct imports a -> b inside ``package`` where b also (transitively) imports a."""
    inside = [m for m in graph.modules if m == package or m.startswith(package + ".")]
    return sorted((a, b) for a in inside for b in graph.find_modules_directly_imported_by(a)
                  if b in inside and graph.chain_exists(importer=b, imported=a))


def test_no_import_cycle_between_etl_modules(graph):
    assert cycle_edges(graph, "etl") == []


def test_etl_never_imports_dashboards(graph):
    chains = graph.find_shortest_chains(importer="etl", imported="dashboards")
    assert chains == set(), chains


def test_the_check_sees_a_cycle():
    """The detector is not blind: a deliberate back edge shows up as a cycle."""
    broken = grimp.build_graph("etl")
    broken.add_import(importer="etl.calendar", imported="etl.demo")
    assert ("etl.calendar", "etl.demo") in cycle_edges(broken, "etl")

