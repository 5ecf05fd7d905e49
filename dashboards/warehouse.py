"""The one door to the warehouse: a read-only DuckDB connection that follows rebuilds.

Every query in the app goes through :func:`query`. The connection is opened
read-only; when the ETL renames a new build into place the next request (at most
``RECHECK_SECONDS`` later) notices the new file and reopens, so a rebuild is
picked up without restarting gunicorn. A missing or corrupt file raises
:class:`WarehouseUnavailable`, which pages and ``/healthz`` turn into a clear
message instead of a crash.

:func:`reading` points the queries of one request at a kept release file instead
(``?release=``), through the same opener and protections.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ponmetro.settings import live_snapshot_path, warehouse_path

RECHECK_SECONDS = 1.0
#: How long a switch to a new file waits for the old file's database to be let go by the
#: queries still running on it (see _open); a download holding it longer is not waited for.
FRESH_WAIT_SECONDS = 0.05
#: The app never reads files, URLs or extensions through SQL, and cannot be made to;
#: memory and threads are capped per process so one expensive query cannot starve the host.
#: Applied with SET after connecting (then locked): DuckDB refuses a second connection to
#: the same file in one process if its connect-time configuration differs.
_HARDENING = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET memory_limit = '1GB'",
    "SET threads = 2",
    "SET lock_configuration = true",
)


def open_readonly(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Open a warehouse file read-only, sandboxed. Raises duckdb.Error if unreadable."""
    return _open_readonly(path)[0]


def open_live(path: Path, snapshot: Path) -> duckdb.DuckDBPyConnection | None:
    """Open the live snapshot (``etl.ingest``) with the build ``path`` attached read-only
    as ``base`` (before the configuration is locked), or None when the snapshot is
    missing, unreadable or made on another build (then the build alone is served)."""
    return _open_live(path, snapshot)[0]


def _open_readonly(path: str | os.PathLike[str]) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """:func:`open_readonly`, and whether the database was opened afresh (see _reused)."""
    con = duckdb.connect(str(path), read_only=True)
    if _reused(con):
        return con, False
    return _harden(con), True


def _open_live(path: Path, snapshot: Path) -> tuple[duckdb.DuckDBPyConnection | None, bool]:
    """:func:`open_live`, and whether the database was opened afresh (see _reused)."""
    try:
        con = duckdb.connect(str(snapshot), read_only=True)
    except duckdb.Error:
        return None, True
    fresh = not _reused(con)  # a reused one has its ``base`` attached and is locked
    try:
        if fresh:
            quoted = str(path).replace("'", "''")
            con.execute(f"ATTACH '{quoted}' AS base (READ_ONLY)")
        same = con.execute("SELECT (SELECT base_build_id FROM meta.live) = "
                           "(SELECT build_id FROM base.meta.build)").fetchone()[0]
    except duckdb.Error:
        same = False
    if not same:
        con.close()
        return None, True
    return (_harden(con) if fresh else con), fresh


def _open(path: Path, snapshot: Path | None, wait: float,
          ) -> tuple[duckdb.DuckDBPyConnection, bool, bool]:
    """The live snapshot over ``path`` (when given and usable), else ``path`` alone:
    (connection, is it the snapshot, was its database opened afresh).

    A query still running on the connection just closed keeps the old database alive
    until it unwinds, a few milliseconds: for up to ``wait`` seconds, a reused database
    is let go and the file opened again.
    """
    deadline = time.monotonic() + wait
    while True:
        live, fresh = _open_live(path, snapshot) if snapshot is not None else (None, True)
        con, fresh = (live, fresh) if live is not None else _open_readonly(path)
        if fresh or time.monotonic() >= deadline:
            return con, live is not None, fresh
        con.close()
        time.sleep(0.005)


def _reused(con: duckdb.DuckDBPyConnection) -> bool:
    """Did ``duckdb.connect`` hand back a database this process already had open?

    DuckDB keeps one database per file path per process, alive while anything still uses
    it: a download streaming from the previous build, or a query still unwinding from a
    switch. Connecting to a path whose file was replaced since then returns the old
    file's database, not the new file. The door locks every database it opens
    (``_HARDENING``), so a locked one was opened before.
    """
    return bool(con.execute("SELECT current_setting('lock_configuration')").fetchone()[0])


def _harden(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    for statement in _HARDENING:
        con.execute(statement)
    return con


class WarehouseUnavailable(RuntimeError):
    """The warehouse file is missing, unreadable or not a warehouse."""


@dataclass(frozen=True)
class BuildInfo:
    build_id: str
    built_at: datetime
    is_demo: bool
    geography: str
    #: the build id, plus the ingested batches served on top of it (changes with each one)
    data_version: str = ""


class _Door:
    def __init__(self, path: Path | None = None, live: bool = False) -> None:
        self._fixed = path
        self._live = live  # the served warehouse follows its live snapshot; releases do not
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple | None = None
        self._checked = 0.0
        self._info: BuildInfo | None = None

    def _path(self) -> Path:
        return self._fixed or warehouse_path()

    def _refresh(self) -> None:
        """Open the file, or reopen it when a new build was renamed into place (lock held)."""
        now = time.monotonic()
        if self._con is not None and now - self._checked < RECHECK_SECONDS:
            return
        path = self._path()
        try:
            st = os.stat(path)
        except OSError as exc:
            self._close()
            raise WarehouseUnavailable("no warehouse has been published yet") from exc
        identity: tuple = (st.st_ino, st.st_mtime_ns, st.st_size)
        snapshot = live_snapshot_path(path)
        if self._live:
            try:
                sn = os.stat(snapshot)
                identity += (sn.st_ino, sn.st_mtime_ns, sn.st_size)
            except OSError:
                pass
        if self._con is None or identity != self._identity:
            # A switch from a settled file waits a moment for a fresh database (see
            # _open); a retry while something still holds the old one does not.
            patient = self._identity is not None
            self._close()
            try:
                con, live, fresh = _open(path, snapshot if len(identity) > 3 else None,
                                         FRESH_WAIT_SECONDS if patient else 0.0)
                row = con.execute(
                    "SELECT build_id, built_at, is_demo, geography FROM meta.build"
                ).fetchone()
                version = con.execute("SELECT data_version FROM meta.live").fetchone()[0] \
                    if live else row[0]
            except duckdb.Error as exc:
                raise WarehouseUnavailable("warehouse file is unreadable or corrupt") \
                    from exc
            # A reused database may be the replaced file (see _reused): serve it, but
            # leave the identity unsettled, so that a later check opens the file again
            # once whatever kept the old database alive has let go of it.
            self._con, self._identity = con, identity if fresh else None
            self._info = BuildInfo(*row, data_version=version)
        self._checked = now

    def _close(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except duckdb.Error:
                pass
        self._con, self._identity, self._info = None, None, None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for this thread (DuckDB cursors share the database, not state).

        Made under the lock, so a concurrent switch to a new build cannot close the
        connection in between. A switch does close the cursors already taken (DuckDB
        opens one instance per file path, so the old build must be closed before the new
        one opens); :func:`query` then reads again from the new build.
        """
        with self._lock:
            self._refresh()
            return self._con.cursor()

    def info(self) -> BuildInfo:
        """The build this door has open (read under the lock, never half-switched)."""
        with self._lock:
            self._refresh()
            return self._info

    def reset(self) -> None:
        with self._lock:
            self._close()


_door = _Door(live=True)
#: Doors to kept release files (``?release=``), by path. A file is immutable once
#: released; an evicted door is dropped, not closed, so a download still streaming
#: from it finishes (DuckDB keeps the database open while a cursor uses it).
_release_doors: dict[Path, _Door] = {}
_RELEASE_DOORS_MAX = 4  # each is a DuckDB instance with its own memory cap
_release_lock = threading.Lock()
_active: ContextVar[_Door | None] = ContextVar("ponmetro_warehouse_door", default=None)


def _current() -> _Door:
    return _active.get() or _door


@contextmanager
def reading(path: str | os.PathLike[str]) -> Iterator[None]:
    """Within the block, every query of this thread reads ``path`` (a kept release file)
    through the same hardened read-only opener, instead of the served warehouse."""
    key = Path(path)
    with _release_lock:
        door = _release_doors.pop(key, None) or _Door(key)
        _release_doors[key] = door  # most recently used last
        while len(_release_doors) > _RELEASE_DOORS_MAX:
            _release_doors.pop(next(iter(_release_doors)))
    token = _active.set(door)
    try:
        yield
    finally:
        _active.reset(token)


def query(sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
    """Run one parameterised read-only statement and return a Polars frame.

    If another thread switched to a new build while this statement ran (its cursor was
    closed with the old build), the statement runs once more, on the new build.
    """
    door = _current()
    for attempt in (1, 2):
        cur = door.cursor()
        try:
            return cur.sql(sql, params=params or None).pl()
        except duckdb.IOException as exc:
            door.reset()
            raise WarehouseUnavailable("warehouse file could not be read") from exc
        except duckdb.ConnectionException:
            if attempt == 2:
                raise
        finally:
            cur.close()
    raise AssertionError("unreachable")


def cursor() -> duckdb.DuckDBPyConnection:
    """A raw cursor, for streaming downloads (Arrow record batches). Close it after use."""
    return _current().cursor()


def build_info() -> BuildInfo:
    """The current build (id, time, demo flag); raises WarehouseUnavailable."""
    return _current().info()


def data_identity() -> str:
    """What cached results are keyed on: the build and the batches ingested on top of it
    (the one key function: ``dashboards.cache`` and memoized fragments use it)."""
    return _current().info().data_version


def reset() -> None:
    """Forget the open connection (tests, and after an I/O error)."""
    _current().reset()
