"""A schematic map of Milan for the demo: not the real NIL boundaries.

Municipio 1 is a disc in the centre; municipi 2-9 are ring sectors around it,
clockwise from the north-east as in the real city; each is cut into cells, 88
in all, named after well-known neighbourhoods. Real portal polygons replace it
(``ponmetro build --geography``); every output says which one a build used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Point, Polygon, mapping

CENTRE = (9.19, 45.464)  # lon, lat of the Duomo area
R_CENTRE_KM, R_MID_KM, R_OUTER_KM = 1.8, 4.6, 8.6
#: compass bearing (degrees) at which each outer municipio's sector starts
SECTOR_START = {2: 22.5, 3: 67.5, 4: 112.5, 5: 157.5, 6: 202.5, 7: 247.5, 8: 292.5,
                9: 337.5}

NEIGHBOURHOODS: dict[int, tuple[str, ...]] = {
    1: ("Duomo", "Brera", "Guastalla", "Vigentina", "Ticinese", "Magenta - San Vittore",
        "Parco Sempione", "Garibaldi Repubblica", "Sarpi", "Porta Nuova"),
    2: ("Stazione Centrale", "Buenos Aires - Porta Venezia", "Loreto", "Padova", "Turro",
        "Greco", "Gorla", "Crescenzago", "Adriano"),
    3: ("Città Studi", "Lambrate", "Ortica", "Casoretto", "Cimiano", "Parco Lambro",
        "Porta Monforte", "Indipendenza", "Rubattino", "Rottole"),
    4: ("XXII Marzo", "Umbria - Molise", "Calvairate", "Corsica", "Forlanini", "Taliedo",
        "Ponte Lambro", "Rogoredo", "Santa Giulia", "Corvetto", "Triulzo Superiore"),
    5: ("Tibaldi", "Stadera", "Vigentino", "Scalo Romana", "Chiaravalle", "Quintosole",
        "Gratosoglio", "Ronchetto delle Rane", "Morivione", "Missaglia"),
    6: ("Porta Genova", "Tortona", "Solari", "Sant'Ambrogio", "Navigli", "Giambellino",
        "Lorenteggio", "Barona", "San Cristoforo", "Ronchetto sul Naviglio"),
    7: ("De Angeli - Monte Rosa", "Bande Nere", "Selinunte", "San Siro", "Forze Armate",
        "Quarto Cagnino", "Baggio", "Muggiano", "Quinto Romano", "Figino", "Trenno"),
    8: ("Portello", "Cagnola", "Sacco", "Villapizzone", "QT8", "Gallaratese", "Certosa",
        "Quarto Oggiaro", "Roserio"),
    9: ("Isola", "Maggiolina", "Dergano", "Bovisa", "Bicocca", "Affori", "Niguarda",
        "Comasina"),
}


def _to_lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    lon0, lat0 = CENTRE
    return (round(lon0 + x_km / (111.32 * math.cos(math.radians(lat0))), 6),
            round(lat0 + y_km / 111.32, 6))


def _sector(r0: float, r1: float, a0: float, a1: float) -> Polygon:
    """Ring sector between radii r0..r1 (km) and bearings a0..a1 (degrees)."""
    steps = max(2, int(abs(a1 - a0) / 3))
    arc = [a0 + (a1 - a0) * i / steps for i in range(steps + 1)]

    def at(r: float, a: float) -> tuple[float, float]:
        rad = math.radians(a)
        return _to_lonlat(r * math.sin(rad), r * math.cos(rad))

    outer = [at(r1, a) for a in arc]
    inner = [at(r0, a) for a in reversed(arc)] if r0 > 0 else [_to_lonlat(0, 0)]
    return Polygon(outer + inner)


@dataclass
class Cell:
    nil_id: int
    name: str
    municipio_id: int
    polygon: Polygon


@dataclass
class SchematicGeography:
    """The 88 schematic NIL cells and 9 municipi, with sampling helpers."""

    cells: list[Cell] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cells:
            return
        nil_id = 1
        for mun, names in NEIGHBOURHOODS.items():
            for polygon, name in zip(self._cut(mun, len(names)), names, strict=True):
                self.cells.append(Cell(nil_id, name, mun, polygon))
                nil_id += 1
        self._by_name = {c.name.lower(): c for c in self.cells}

    @staticmethod
    def _cut(mun: int, n: int) -> list[Polygon]:
        if mun == 1:
            return [_sector(0, R_CENTRE_KM, i * 360 / n, (i + 1) * 360 / n) for i in range(n)]
        a0 = SECTOR_START[mun]
        inner, outer = math.ceil(n / 2), n // 2
        cells = [_sector(R_CENTRE_KM, R_MID_KM, a0 + 45 * i / inner, a0 + 45 * (i + 1) / inner)
                 for i in range(inner)]
        cells += [_sector(R_MID_KM, R_OUTER_KM, a0 + 45 * i / outer, a0 + 45 * (i + 1) / outer)
                  for i in range(outer)]
        return cells

    def municipio_polygon(self, mun: int) -> Polygon:
        if mun == 1:
            return _sector(0, R_CENTRE_KM, 0, 360)
        a0 = SECTOR_START[mun]
        return _sector(R_CENTRE_KM, R_OUTER_KM, a0, a0 + 45)

    def cell(self, name: str) -> Cell:
        return self._by_name[name.lower()]

    def random_point(self, rng: np.random.Generator, name: str | None = None,
                     municipio: int | None = None) -> tuple[float, float]:
        """A uniform random (lon, lat) inside a named cell, a municipio, or the city."""
        if name is not None:
            polygon = self.cell(name).polygon
        elif municipio is not None:
            polygon = self.municipio_polygon(municipio)
        else:
            polygon = _sector(0, R_OUTER_KM * 0.97, 0, 360)
        minx, miny, maxx, maxy = polygon.bounds
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if polygon.contains(Point(x, y)):
                return round(float(x), 6), round(float(y), 6)

    def nil_feature_collection(self) -> dict:
        return _collection([
            {"ID_NIL": c.nil_id, "NIL": c.name.upper(), "MUNICIPIO": c.municipio_id,
             "Fonte": SCHEMATIC_SOURCE}, c.polygon] for c in self.cells)

    def municipi_feature_collection(self) -> dict:
        return _collection([{"MUNICIPIO": m, "Fonte": SCHEMATIC_SOURCE},
                            self.municipio_polygon(m)] for m in range(1, 10))


SCHEMATIC_SOURCE = "Geografia schematica demo (non reale) / schematic demo geography"


def _collection(items) -> dict:
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [{"type": "Feature", "properties": props, "geometry": mapping(poly)}
                     for props, poly in items],
    }
