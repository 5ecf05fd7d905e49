"""Rolling switch to a new build, one app host at a time, with no failed request.

For each host: take it out of the proxy's rotation, give in-flight requests time to
finish, install the new build on it (``install_build``: the one step a release pull
replaces), wait until the host itself reports the new build, put it back. At every
moment the other hosts serve, and no host switches builds while it has traffic, so no
response mixes two builds.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def install_build(source: Path, warehouse: Path) -> None:
    """Copy ``source`` beside ``warehouse`` and rename it into place (atomic on one
    filesystem); the app's warehouse door follows the new file within a second."""
    warehouse = Path(warehouse)
    partial = warehouse.with_name(f".{warehouse.name}.incoming-{os.getpid()}")
    shutil.copyfile(source, partial)
    os.replace(partial, warehouse)


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
