"""The synthetic demo: every domain writes landing files in the real contract formats.

The demo is deterministic (same seed and scale, same bytes) and clearly labelled:
``manifest.json`` marks every file it writes as synthetic, and the build carries
that flag into ``meta.sources`` so pages can say the data are demo data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from etl.connectors.landing import Landing
from etl.domains import DOMAINS
from etl.domains.geography.schematic import SchematicGeography


@dataclass
class DemoContext:
    """What every domain generator needs: where to write, randomness, the map."""

    out: Path
    seed: int = 42
    scale: int = 1
    geography: SchematicGeography = field(default_factory=SchematicGeography)

    def __post_init__(self) -> None:
        self.landing = Landing(self.out, demo=True)

    @property
    def written(self) -> dict[str, dict[str, object]]:
        """The manifest entries of the files written so far (relpath -> entry)."""
        return self.landing.read_manifest()["files"]

    def rng(self, name: str) -> np.random.Generator:
        """A generator private to ``name``, so domains do not shift each other's draws."""
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    @property
    def telemetry_days(self) -> int:
        """At least 90 days at scale 1; grows with scale (years at scale 100)."""
        return 90 * max(1, self.scale // 6)

    def write_csv(self, relpath: str, frame: pl.DataFrame, source: str,
                  separator: str = ",") -> Path:
        return self.landing.write_csv(relpath, frame, source=source, synthetic=True,
                                      separator=separator)

    def write_json(self, relpath: str, document: object, source: str, rows: int) -> Path:
        return self.landing.write_json(relpath, document, source=source, rows=rows,
                                       synthetic=True)


def generate(out: Path, seed: int = 42, scale: int = 1) -> DemoContext:
    """Write the whole demo landing folder and its manifest."""
    ctx = DemoContext(out=Path(out), seed=seed, scale=scale)
    ctx.landing.start_manifest({
        "generator": "ponmetro demo",
        "seed": seed,
        "scale": scale,
        "note": "Synthetic demo data calibrated to PON Metro Milano published figures; "
                "not real records.",
    })
    for domain in DOMAINS:
        domain.generate(ctx)
    return ctx
