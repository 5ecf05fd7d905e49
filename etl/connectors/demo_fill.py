"""Keep a mixed landing folder buildable: demo files that referred to demo stations are
redrawn over the real station list, and stay labelled synthetic.

``ponmetro build --landing DIR`` accepts real and demo files side by side. When a
connector replaces the demo station list with the real one, two demo files would
point at stations that no longer exist: the MI2.2.3.a station extract (a foreign key
the build enforces) and, when no real feed history is imported, the status telemetry.
Both are redrawn here with the mobility domain's own demo generator over the real
stations, and recorded as synthetic, so every page still says which data are demo.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from etl.connectors.landing import Landing

PROGRAMME_PATH = "mobility/station_programme.csv"
STATUS_GLOB = "mobility/station_status/*.csv"
SOURCE = "synthetic demo (mobility), redrawn over the real station list"


def _demo_context(landing: Landing):
    from etl.demo import DemoContext

    manifest = landing.read_manifest()
    return DemoContext(out=landing.root, seed=int(manifest.get("seed", 42)),
                       scale=int(manifest.get("scale", 1)))


def _stations_for_demo(stations: pl.DataFrame) -> pl.DataFrame:
    from etl.domains.mobility import layout

    x, y = layout.to_km(stations["lon"].to_numpy(), stations["lat"].to_numpy())
    median = stations["capacity"].median()
    return stations.with_columns(
        pl.col("capacity").fill_null(int(median) if median is not None else 20),
        pl.Series("dist_km", (x ** 2 + y ** 2) ** 0.5),
    )


def _is_synthetic(landing: Landing, relpath: str) -> bool:
    return bool(landing.read_manifest()["files"].get(relpath, {}).get("synthetic"))


def refit_programme(landing: Landing, stations: pl.DataFrame) -> bool:
    """Redraw a synthetic station_programme over ``stations``; True if it did."""
    if not (landing.root / PROGRAMME_PATH).exists() or not _is_synthetic(landing,
                                                                          PROGRAMME_PATH):
        return False
    from etl.domains.mobility import layout

    ctx = _demo_context(landing)
    frame = layout.programme(_stations_for_demo(stations), ctx.rng("mobility.refit"))
    landing.write_csv(PROGRAMME_PATH, frame, source=SOURCE, synthetic=True)
    return True


def statuses_if_missing(landing: Landing, stations: pl.DataFrame) -> int:
    """Demo status partitions over ``stations`` when the folder has none (a station list
    from the portal comes without telemetry); returns the partitions written."""
    if any(landing.root.glob(STATUS_GLOB)) or not _any_synthetic(landing):
        return 0  # telemetry exists, or a wholly real folder: it must come from GBFS
    from etl.calendar import TELEMETRY
    from etl.domains import mobility
    from etl.domains.mobility import telemetry

    ctx = _demo_context(landing)
    demo_stations = _stations_for_demo(stations)
    programme = (pl.read_csv(landing.root / PROGRAMME_PATH, schema_overrides={
        "station_id": pl.String}) if (landing.root / PROGRAMME_PATH).exists()
        else demo_stations.head(0).select("station_id"))
    sampled = mobility.status_sample(demo_stations, programme, ctx.scale,
                                     ctx.rng("mobility.refit.sample"))
    first = TELEMETRY.end - timedelta(days=ctx.telemetry_days - 1)
    written = 0
    for month, frame in telemetry.station_status(sampled, ctx.rng("mobility.refit.status"),
                                                 first, TELEMETRY.end):
        landing.write_csv(f"mobility/station_status/{month}.csv", frame, source=SOURCE,
                          synthetic=True)
        written += 1
    return written


def _any_synthetic(landing: Landing) -> bool:
    return any(entry.get("synthetic") for entry in landing.read_manifest()["files"].values())
