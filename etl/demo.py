"""The synthetic demo: every domain writes landing files in the real contract formats.

The demo is deterministic (same seed and scale, same bytes) and clearly labelled:
``manifest.json`` marks every file it writes as synthetic, and the build carries
that flag into ``meta.sources`` so pages can say the data are demo data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:  # the domains import this module's constants: no import cycle at run time
    from etl.domains.geography.schematic import SchematicGeography

MANIFEST = "manifest.json"
PROGRAMME_START = date(2016, 1, 1)
PROGRAMME_END = date(2023, 12, 31)
#: Telemetry covers the last days of the programme, ending on PROGRAMME_END.
TELEMETRY_END = date(2023, 12, 31)


@dataclass
class DemoContext:
    """What every domain generator needs: where to write, randomness, the map."""

    out: Path
    seed: int = 42
    scale: int = 1
    geography: SchematicGeography = field(default_factory=lambda: _schematic())
    written: dict[str, dict[str, object]] = field(default_factory=dict)

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
        path = self.out / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_csv(path, separator=separator, datetime_format="%Y-%m-%dT%H:%M:%SZ",
                        date_format="%Y-%m-%d")
        self._record(relpath, source, frame.height)
        return path

    def write_json(self, relpath: str, document: object, source: str, rows: int) -> Path:
        path = self.out / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                        encoding="utf-8")
        self._record(relpath, source, rows)
        return path

    def _record(self, relpath: str, source: str, rows: int) -> None:
        self.written[relpath] = {"synthetic": True, "source": source, "rows": rows}


def _schematic() -> SchematicGeography:
    from etl.domains.geography.schematic import SchematicGeography

    return SchematicGeography()


def generate(out: Path, seed: int = 42, scale: int = 1) -> DemoContext:
    """Write the whole demo landing folder and its manifest."""
    from etl.domains import DOMAINS  # domains import this module's constants

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out=out, seed=seed, scale=scale)
    for domain in DOMAINS:
        domain.generate(ctx)
    manifest = {
        "generator": "ponmetro demo",
        "seed": seed,
        "scale": scale,
        "note": "Synthetic demo data calibrated to PON Metro Milano published figures; "
                "not real records.",
        "files": dict(sorted(ctx.written.items())),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    return ctx
