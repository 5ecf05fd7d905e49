"""Rolling switch to a new build, one app host at a time, with no failed request.

For each host: take it out of the proxy's rotation, give in-flight requests time to
finish, install the new release on it (``pull_release``, i.e. ``ponmetro release pull``:
sha256 checked before the switch), wait until the host itself reports the new build, put
it back. At every moment the other hosts serve, and no host switches builds while it has
traffic, so no response mixes two builds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path


def pull_release(source: str | Path, warehouse: Path, store: Path | None = None) -> str:
    """Install the source store's current release on one host: ``ponmetro release pull``.

    The release is fetched into the host's own store (default: ``releases/`` beside its
    warehouse), its sha256 checked, and the served file switched in one rename; the
    app's warehouse door follows the new file within a second. Returns the release id.
    """
    from ponmetro.releases.store import pull
    from ponmetro.settings import releases_keep

    warehouse = Path(warehouse)
    store = Path(store) if store else warehouse.parent / "releases"
    return pull(str(source), store, warehouse, None, releases_keep(None)).id


def rolling_switch(hosts: Sequence[str], install: Callable[[str], None],
                   drain: Callable[[str | None], None], build_of: Callable[[str], str],
                   expected: str, settle: float = 2.0, timeout: float = 60.0) -> None:
    """Switch ``hosts`` one by one to build ``expected``.

    ``drain(host)`` takes a host out of rotation (``drain(None)``: all back in);
    ``install(host)`` puts the new build on it; ``build_of(host)`` asks the host
    directly which build it serves.
    """
    for host in hosts:
        drain(host)
        time.sleep(settle)  # in-flight requests finish on the old build
        install(host)
        deadline = time.monotonic() + timeout
        while build_of(host) != expected:
            if time.monotonic() > deadline:
                drain(None)
                raise TimeoutError(f"{host} did not switch to build {expected}")
            time.sleep(0.2)
        drain(None)
