"""City open-data portal (CKAN, dati.comune.milano.it) to landing files.

A source is a local file, a resource URL, or a dataset id resolved through the
portal's ``package_show`` (so the connector follows the portal when it re-uploads a
resource). Output: ``geography/nil.geojson`` and ``geography/municipi.geojson`` of the
geography contracts, marked real in the landing manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from etl.connectors import boundaries
from etl.connectors.ckan import MILANO_PORTAL, resource_url
from etl.connectors.fetch import DEFAULT_TIMEOUT, fetch_bytes
from etl.connectors.landing import Landing

ATTRIBUTION = "Comune di Milano, CC BY 4.0"


@dataclass(frozen=True)
class PortalDataset:
    """Where a portal dataset lives and which of its resources to prefer."""

    dataset: str
    formats: tuple[str, ...]
    name_hint: str | None
    title: str


NIL = PortalDataset("ds964", ("GeoJSON", "JSON"), "nil", "NIL (Nuclei di Identità Locale)")
MUNICIPI = PortalDataset("ds379", ("GeoJSON", "JSON"), "municipi", "Municipi")
BIKE_STATIONS = PortalDataset("ds65", ("CSV", "GeoJSON"), None,
                              "BikeMi bike-sharing stations (aree sosta bike sharing)")


def locate(source: str | None, dataset: PortalDataset, portal: str = MILANO_PORTAL,
           timeout: float = DEFAULT_TIMEOUT) -> str:
    """The path or URL to read: ``source`` if given, else resolved via package_show."""
    if source:
        return str(source)
    return resource_url(portal, dataset.dataset, dataset.formats, dataset.name_hint,
                        timeout=timeout)


def _describe(dataset: PortalDataset, where: str) -> str:
    return f"{dataset.title}, portal dataset {dataset.dataset} ({where}); {ATTRIBUTION}"


def import_nil(landing: Path, source: str | None = None, *, portal: str = MILANO_PORTAL,
               timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Write real NIL polygons to ``geography/nil.geojson``."""
    where = locate(source, NIL, portal, timeout)
    features = boundaries.read_boundaries(fetch_bytes(where, timeout=timeout), where)
    document = boundaries.nil_landing(features, where, fonte=f"Comune di Milano {NIL.dataset}")
    return Landing(landing).write_json("geography/nil.geojson", document,
                                       source=_describe(NIL, where),
                                       rows=len(document["features"]))


def import_municipi(landing: Path, source: str | None = None, *, portal: str = MILANO_PORTAL,
                    timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Write real municipi polygons to ``geography/municipi.geojson``."""
    where = locate(source, MUNICIPI, portal, timeout)
    features = boundaries.read_boundaries(fetch_bytes(where, timeout=timeout), where)
    document = boundaries.municipi_landing(features, where,
                                           fonte=f"Comune di Milano {MUNICIPI.dataset}")
    return Landing(landing).write_json("geography/municipi.geojson", document,
                                       source=_describe(MUNICIPI, where),
                                       rows=len(document["features"]))
