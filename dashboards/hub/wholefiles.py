"""Whole-table download files: written once per data identity, then sent by the kernel.

An unfiltered CSV or Parquet of a dataset is the same bytes for every request until the
data changes (a new build, or a live batch on top of it: ``warehouse.data_identity()``).
The first request has it written, with the same query and writer as the streamed
download, into ``<downloads dir>/<key>/<file name>`` (``ponmetro.settings.downloads_dir``;
the key hashes the warehouse path and the data identity), under a temporary name renamed
into place, so a half-written file is never served. Concurrent first requests, in any
worker or thread, wait on one writer (an ``flock`` per file); later requests get the
file with ``sendfile``. Folders of other identities are removed once no writer holds
them (a file already being sent survives its removal: the open handle keeps it).

Only tables of ``MIN_ROWS`` rows or more are kept this way. The writer is a child process
(``python -m dashboards.hub.wholefiles``) that refuses to write if the data identity moved
meanwhile: scanning a whole table grows a process by DuckDB's buffers and Arrow's pools
for good, which the web worker is spared, and a writer that dies (disk full, killed)
cannot take the worker down.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import logging
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from dashboards import formats, warehouse
from dashboards.formats import Format
from dashboards.queries import catalog
from dashboards.queries.catalog import Dataset
from dashboards.queries.datastore import stream
from ponmetro.settings import downloads_dir, warehouse_path

log = logging.getLogger(__name__)
#: The longest a writer may take (gunicorn's request timeout is 300 s).
WRITE_TIMEOUT_S = 280
#: Exit code of a writer that found the data identity changed (nothing written).
MOVED = 3
#: Tables from this many rows are kept as whole files; smaller ones stream in milliseconds,
#: less than starting a writer (a Python process, about a second).
MIN_ROWS = 50_000


class NotWritten(OSError):
    """The whole file could not be written (the download then streams)."""


def _key(identity: str) -> str:
    return hashlib.sha256(f"{warehouse_path()}\x1f{identity}".encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    with open(path, "a+b") as fh:
        fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def path(ds: Dataset, fmt: Format, identity: str) -> Path:
    """The finished whole file of ``ds`` in ``fmt`` for data version ``identity`` (the one
    the response's ETag names), written by a child process if no one has yet. Raises
    OSError (``NotWritten``) when it cannot be, e.g. the data moved on meanwhile; nothing
    is left behind then."""
    root = downloads_dir(warehouse_path())
    here = root / _key(identity)
    target = here / fmt.file_name(ds.id)
    if target.is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"{here.name}.lock", fcntl.LOCK_SH):  # keeps the sweep off
        here.mkdir(exist_ok=True)
        with _locked(here / f".{target.name}.lock", fcntl.LOCK_EX):
            if not target.is_file():
                _write(ds, fmt, target, identity)
    sweep(keep=here.name)
    return target


def _write(ds: Dataset, fmt: Format, target: Path, identity: str) -> None:
    part = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.part")
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, ds.id, fmt.key, fmt.variant, str(part), identity],
            capture_output=True, text=True, timeout=WRITE_TIMEOUT_S, check=False)
        if done.returncode != 0 or not part.is_file():
            raise NotWritten(f"writer of {target.name} exited {done.returncode}: "
                             f"{done.stderr.strip()[-300:]}")
        os.replace(part, target)
        log.info("wrote %s (%d bytes) in %.1f s; %s", target, target.stat().st_size,
                 time.monotonic() - started, done.stdout.strip())
    except subprocess.TimeoutExpired as exc:
        raise NotWritten(f"writer of {target.name} took over {WRITE_TIMEOUT_S} s") from exc
    finally:
        part.unlink(missing_ok=True)


def sweep(keep: str) -> None:
    """Remove the folders of other data identities that no writer holds."""
    root = downloads_dir(warehouse_path())
    for entry in list(root.iterdir()):
        name = entry.name.removesuffix(".lock")
        if name == keep or (entry.is_dir() and entry.with_name(f"{name}.lock").exists()):
            continue  # the current one; a folder is handled through its lock file
        lock = root / f"{name}.lock"
        with open(lock, "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being written: a later sweep removes it
            shutil.rmtree(root / name, ignore_errors=True)
            lock.unlink(missing_ok=True)
            log.info("removed whole-table downloads of an earlier data identity: %s", name)


def write(dataset_id: str, key: str, variant: str, out: Path, identity: str
          ) -> tuple[int, str]:
    """The child's job: ``out`` holds the whole
    download (fsynced), or the code says why not (``MOVED``: the data identity is no
    longer ``identity``). Returns (code, message)."""
    ds, fmt = catalog.get(dataset_id), formats.get(key, variant)
    if ds is None or fmt is None:
        return 2, f"unknown dataset or format: {dataset_id} {key} {variant}"
    if warehouse.data_identity() != identity:
        return MOVED, "the data changed before the file was written"
    with stream(ds, mode=fmt.mode) as (reader, _), open(out, "wb") as fh:
        fmt.write(reader, ds, fh)
        fh.flush()
        os.fsync(fh.fileno())
    if warehouse.data_identity() != identity:  # the cursor may have followed a switch
        out.unlink()
        return MOVED, "the data changed while the file was written"
    return 0, "written"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboards.hub.wholefiles",
                                description="write one whole-table download file")
    for name in ("dataset_id", "key", "variant", "out", "identity"):
        p.add_argument(name)
    args = p.parse_args(argv)
    code, message = write(args.dataset_id, args.key, args.variant, Path(args.out),
                          args.identity)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{message} (writer peak RSS {peak:.0f} MB)",
          file=sys.stdout if code == 0 else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
