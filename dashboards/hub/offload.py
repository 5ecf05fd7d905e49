"""Large filtered downloads written by a child process and relayed through a pipe.

Streaming millions of rows in the web worker grows it for good: DuckDB's buffer pool keeps
the blocks the scan read (up to the door's ``memory_limit``) and the allocators keep the
Arrow batches' pages. At scale 100 a 9 M-row filtered CSV took a worker from 211 to 429 MB;
a lower ``memory_limit`` does not reach 300 MB (measured in-process: +221 MB at 1 GB,
+189 MB at 128 MB, +127 MB at 64 MB, where a full sort no longer fits). So a filtered download of
``MIN_ROWS`` rows or more (counted first) is written by ``python -m dashboards.hub.offload``,
the same query and writer as in the worker, to a pipe the worker copies to the client:
the child's memory ends with it, and a child that dies cannot take the worker down.

Parameters are checked in the worker before the child starts (bad input is a 400). The
child checks the data identity before its first byte: if the data moved on since the
response's ETag was made, it writes nothing and the worker streams the download itself.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from dashboards import formats, warehouse
from dashboards.formats import Format
from dashboards.hub.wholefiles import MOVED  # one exit code for "the data moved on"
from dashboards.queries import catalog
from dashboards.queries.catalog import Dataset
from dashboards.queries.datastore import stream

log = logging.getLogger(__name__)
#: Streamed downloads of this many rows or more are written by a child: below it the rows
#: stream in-process in well under the child's start (about 0.8 CPU-s) and leave less
#: behind (a 34,561-row filtered CSV of the largest table at scale 100: +21 MB).
MIN_ROWS = 250_000
#: Bytes per read from the child (and the pipe's size, so one read drains it).
CHUNK = 1 << 20
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Python >= 3.10 on Linux)


def relay(ds: Dataset, fmt: Format, query: dict[str, Any], identity: str,
          release: Path | None = None) -> Iterator[bytes] | None:
    """The download's bytes from a child process, or None when the child wrote nothing
    (the data moved on, or it could not start): then the caller streams it itself.

    The first bytes are read here, before any response is made; closing the iterator
    (the client went away) ends the child.
    """
    args = [sys.executable, "-m", __name__, ds.id, fmt.key, fmt.variant, identity,
            json.dumps(query, default=str)]
    if release is not None:
        args += ["--release", str(release)]
    errors = tempfile.TemporaryFile(prefix="ponmetro-offload-")
    try:
        child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors,
                                 stdin=subprocess.DEVNULL, bufsize=0)
    except OSError as exc:
        errors.close()
        log.warning("download of %s not offloaded (%s): streaming it", ds.id, exc)
        return None
    try:
        fcntl.fcntl(child.stdout.fileno(), _F_SETPIPE_SZ, CHUNK)
    except OSError:
        pass  # above the system's pipe-max-size: smaller reads, same bytes
    buffer = bytearray(CHUNK)  # reused: each chunk is copied out at its exact size
    first = _read(child, buffer)
    if not first:
        code = child.wait()
        _report(ds, code, errors)
        return None
    return _rest(child, buffer, first, ds, errors)


def _read(child: subprocess.Popen, buffer: bytearray) -> bytes:
    """Up to ``CHUNK`` bytes from the child, as an exact-size copy: reading into a fresh
    ``CHUNK``-sized object and shrinking it fragmented the worker's heap by tens of MB."""
    n = child.stdout.readinto(buffer)
    return bytes(memoryview(buffer)[:n]) if n else b""


def _rest(child: subprocess.Popen, buffer: bytearray, first: bytes, ds: Dataset,
          errors: Any) -> Iterator[bytes]:
    finished = False
    try:
        yield first
        while chunk := _read(child, buffer):
            yield chunk
        finished = True
    finally:
        if not finished:
            child.kill()  # the client went away: nobody reads the rest
        child.stdout.close()
        code = child.wait()
        if finished and code != 0:  # the client got a truncated body: say why in the log
            _report(ds, code, errors)
        errors.close()


def _report(ds: Dataset, code: int, errors: Any) -> None:
    errors.seek(0)
    tail = errors.read()[-300:].decode("utf-8", "replace").strip()
    if code == MOVED:
        log.info("offloaded download of %s: %s", ds.id, tail)
    else:
        log.warning("offloaded download of %s exited %s: %s", ds.id, code, tail)


def write(dataset_id: str, key: str, variant: str, identity: str, query: dict[str, Any],
          out: Any, release: Path | None = None) -> tuple[int, str]:
    """The child's job: the download's bytes into ``out``, or a code saying why not."""
    with warehouse.reading(release) if release is not None else nullcontext():
        ds, fmt = catalog.get(dataset_id), formats.get(key, variant)
        if ds is None or fmt is None:
            return 2, f"unknown dataset or format: {dataset_id} {key} {variant}"
        if release is None and warehouse.data_identity() != identity:
            return MOVED, "the data changed before the download was written"
        with stream(ds, mode=fmt.mode, **query) as (reader, _):
            fmt.write(reader, ds, out)
        out.flush()
    return 0, "written"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dashboards.hub.offload",
                                description="write one filtered download to stdout")
    for name in ("dataset_id", "key", "variant", "identity", "query"):
        p.add_argument(name)
    p.add_argument("--release", type=Path, default=None, help="a kept release file to read")
    args = p.parse_args(argv)
    try:
        code, message = write(args.dataset_id, args.key, args.variant, args.identity,
                              json.loads(args.query), sys.stdout.buffer, args.release)
    except BrokenPipeError:
        return 1  # the worker stopped reading (the client went away)
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
