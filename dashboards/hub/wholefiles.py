"""Whole-table download files: written once per data identity, then sent by the kernel.

An unfiltered CSV or Parquet of a dataset is the same bytes for every request until the
data changes (a new build, or a live batch on top of it: ``warehouse.data_identity()``).
The first request writes it, with the same query and writer as the streamed download, into
``<downloads dir>/<key>/<file name>`` (``ponmetro.settings.downloads_dir``; the key hashes
the warehouse path and the data identity), under a temporary name renamed into place, so
a half-written file is never served. Concurrent first requests, in any worker or thread,
wait on one writer (an ``flock`` per file); later requests get the file with ``sendfile``.
Folders of other identities are removed once no writer holds them (a file already being
sent survives its removal: the open handle keeps it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from dashboards import warehouse
from dashboards.formats import Format
from dashboards.queries.catalog import Dataset
from dashboards.queries.datastore import stream
from ponmetro.settings import downloads_dir, warehouse_path

log = logging.getLogger(__name__)
#: Rows per Arrow batch while writing a whole file (bigger batches, fewer Python steps).
BATCH_ROWS = 200_000


def folder() -> Path:
    """The folder of the data being served now (may not exist yet)."""
    served = warehouse_path()
    key = hashlib.sha256(f"{served}\x1f{warehouse.data_identity()}".encode()).hexdigest()[:32]
    return downloads_dir(served) / key


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    with open(path, "a+b") as fh:
        fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def path(ds: Dataset, fmt: Format) -> Path:
    """The finished whole file of ``ds`` in ``fmt`` for the data served now, written by
    this call if no one has yet. Raises what the query or the disk raised (nothing is
    left behind then)."""
    here = folder()
    target = here / fmt.file_name(ds.id)
    if target.is_file():
        return target
    here.parent.mkdir(parents=True, exist_ok=True)
    with _locked(here.parent / f"{here.name}.lock", fcntl.LOCK_SH):  # keeps the sweep off
        here.mkdir(exist_ok=True)
        with _locked(here / f".{target.name}.lock", fcntl.LOCK_EX):
            if not target.is_file():
                _write(ds, fmt, target)
    sweep(keep=here.name)
    return target


def _write(ds: Dataset, fmt: Format, target: Path) -> None:
    part = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        with stream(ds, mode=fmt.mode, batch_size=BATCH_ROWS) as (reader, _), \
                open(part, "wb") as out:
            fmt.write(reader, ds, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def sweep(keep: str) -> None:
    """Remove the folders of other data identities that no writer holds."""
    root = downloads_dir(warehouse_path())
    for lock in root.glob("*.lock"):
        name = lock.name.removesuffix(".lock")
        if name == keep:
            continue
        with open(lock, "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being written: a later sweep removes it
            shutil.rmtree(root / name, ignore_errors=True)
            lock.unlink(missing_ok=True)
            log.info("removed whole-table downloads of an earlier data identity: %s", name)
