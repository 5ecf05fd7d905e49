"""Placement figures: grid build time, share of grid cells and of points that take the
exact path, and CPU seconds to place N random points in the city bounds, grid versus
the exact STRtree path (``python -m bench.placement --landing DIR [--points N] [--no-exact]``:
the demo geography of a landing folder, and the real portal polygons of the shared
real-data folder when present).

Not a test: it prints figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from etl.connectors.located import _index
from etl.geo import MIXED, Geography

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def figures(name: str, geo: Geography, n: int, exact: bool) -> None:
    t = time.process_time()
    grid = geo.grid
    built = time.process_time() - t
    x0, y0, x1, y1 = grid.x0, grid.y0, grid.x1, grid.y1
    rng = np.random.default_rng(14)
    lon, lat = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
    t = time.process_time()
    fast = np.concatenate([geo.polygon_of(lon[i:i + 2048], lat[i:i + 2048])
                           for i in range(0, n, 2048)])
    fast_s = time.process_time() - t
    line = (f"{name}: {len(geo.polygons)} polygons, grid {grid.cells.shape[1]}^2 built in "
            f"{built:.2f} CPU-s, mixed cells {np.mean(grid.cells == MIXED):.1%}, "
            f"points on the exact path {geo.exact_points / geo.placed_points:.1%}; "
            f"{n:,} points: grid {fast_s:.2f} CPU-s")
    if exact:
        t = time.process_time()
        slow = np.concatenate([geo.exact_polygon_of(lon[i:i + 2048], lat[i:i + 2048])
                               for i in range(0, n, 2048)])
        line += f", exact {time.process_time() - t:.2f} CPU-s, same {np.array_equal(fast, slow)}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=13_000_000)
    parser.add_argument("--landing", type=Path, help="a landing folder (its geography/)")
    parser.add_argument("--real", type=Path, default=REALDATA)
    parser.add_argument("--no-exact", action="store_true")
    args = parser.parse_args()
    demo = (args.landing or Path("/nonexistent")) / "geography"
    sets = [("demo NIL", demo / "nil.geojson", "ID_NIL"),
            ("demo municipi", demo / "municipi.geojson", "MUNICIPIO"),
            ("real NIL", args.real / "nil" / "administrative-nil.geo.json", "ID_NIL"),
            ("real municipi", args.real / "municipi" / "administrative-municipi.geo.json",
             "MUNICIPIO")]
    for name, path, key in sets:
        if path.exists():
            figures(name, _index(path, key, None), args.points, not args.no_exact)


if __name__ == "__main__":
    main()
