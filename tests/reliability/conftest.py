"""Fixtures of the reliability campaigns: campaign size, a private landing copy, routes.

``PONMETRO_CAMPAIGN=smoke`` (the default, what CI runs) keeps every campaign to a
few seconds; ``PONMETRO_CAMPAIGN=full`` runs the sizes the issue asks for (see
docs/reliability.md for the command and the measured results).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Campaign:
    name: str
    build_kills: int
    hypothesis_examples: int
    soak_seconds: int
    soak_clients: int
    racing_builds: int


CAMPAIGNS = {
    "smoke": Campaign("smoke", build_kills=20, hypothesis_examples=60, soak_seconds=20,
                      soak_clients=16, racing_builds=3),
    "full": Campaign("full", build_kills=100, hypothesis_examples=1000, soak_seconds=300,
                     soak_clients=50, racing_builds=20),
}


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    name = os.environ.get("PONMETRO_CAMPAIGN", "smoke")
    if name not in CAMPAIGNS:
        pytest.fail(f"PONMETRO_CAMPAIGN must be one of {', '.join(CAMPAIGNS)}, not {name!r}")
    return CAMPAIGNS[name]




@pytest.fixture(scope="session")
def small_landing(demo_landing, tmp_path_factory) -> Path:
    """The demo landing folder with one partition per telemetry feed: builds in ~1 s."""
    from etl.domains import all_contracts

    small = tmp_path_factory.mktemp("small-landing")
    shutil.copytree(demo_landing, small, dirs_exist_ok=True)
    for contract in all_contracts():
        if contract.is_partitioned:
            for extra in sorted(small.glob(contract.path))[1:]:
                extra.unlink()
    return small


@pytest.fixture
def landing_copy(small_landing, tmp_path) -> Path:
    """A private copy of the small landing folder, free to corrupt."""
    copy = tmp_path / "landing"
    shutil.copytree(small_landing, copy)
    return copy


@pytest.fixture(scope="session")
def small_warehouse(small_landing, tmp_path_factory) -> Path:
    """A warehouse built from :func:`small_landing` (the fault campaigns' 'previous')."""
    from etl.build import build

    path = tmp_path_factory.mktemp("small-wh") / "warehouse.duckdb"
    build(small_landing, path, progress=False)
    return path


# --------------------------------------------------------------------------- routes

@dataclass(frozen=True)
class Route:
    """One URL pattern of the app, from Flask's url_map or Dash's page registry."""

    template: str  # Flask syntax: /data/<dataset_id>
    methods: tuple[str, ...]
    args: tuple[str, ...]
    kind: str  # "flask" or "page"


_ARG = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_]+)>")


def enumerate_routes() -> list[Route]:
    """Every route the running app answers, read from the app itself (never listed by hand)."""
    import dash

    from dashboards.app import server

    routes = []
    for rule in server.url_map.iter_rules():
        methods = tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        routes.append(Route(rule.rule, methods, tuple(sorted(rule.arguments)), "flask"))
    for page in dash.page_registry.values():
        template = page.get("path_template") or page["path"]
        flask_style = re.sub(r"<([a-zA-Z_]+)>", r"<\1>", template)
        routes.append(Route(flask_style, ("GET",), tuple(_ARG.findall(flask_style)), "page"))
    return routes


def sample_values(warehouse_path: Path) -> dict[str, list[str]]:
    """Valid values for route arguments, read from the warehouse and the app's registries."""
    from dashboards import warehouse as door

    os.environ["PONMETRO_WAREHOUSE"] = str(warehouse_path)
    door.reset()
    values: dict[str, list[str]] = {}
    values["dataset_id"] = door.query(
        "SELECT dataset_id FROM meta.datasets ORDER BY 1")["dataset_id"].to_list()
    # the real project codes: a failing query fails the campaign, never falls back to a guess
    values["code"] = door.query(
        "SELECT project_code FROM mart.projects ORDER BY 1")["project_code"].to_list()
    assert values["code"], f"mart.projects in {warehouse_path} holds no project"
    door.reset()  # release the file: other tests open it with their own settings
    from dashboards.hub.ckan import ACTIONS

    values["name"] = sorted(ACTIONS)
    values["fmt"] = ["csv", "json", "geojson", "parquet", "xlsx"]
    values["ext"] = ["ttl", "jsonld", "rdf"]
    values["axis"] = values["N"] = values["axis_id"] = ["1", "2", "3", "4"]
    values["id"] = values["dataset_id"]
    values["dataset_file"] = values["dataset_id"]
    return values


def fill(route: Route, values: dict[str, list[str]], override: dict[str, str] | None = None,
         pick: int = 0) -> str:
    """A concrete path for ``route``: each argument from ``override`` or a valid value."""
    def one(match: re.Match) -> str:
        name = match.group(1)
        if override and name in override:
            return override[name]
        options = values.get(name) or ["x"]
        return options[pick % len(options)]
    return _ARG.sub(one, route.template)


def open_readonly(path: Path):
    """A read-only connection to ``path`` with the app's own settings (so in-process
    connections to the session warehouse never disagree)."""
    from dashboards.warehouse import open_readonly as door_open

    return door_open(path)
