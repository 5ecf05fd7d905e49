"""Writing the release store: publish a build, pull a release, roll back; keep the last N.

Every step that readers could see is one ``rename``: a release folder is written
under a dot-name and renamed into the store, the ``CURRENT`` pointer and the
served warehouse file are replaced with ``os.replace``. The order is release
folder, served warehouse, pointer; a process killed at any moment leaves the
previous warehouse served (or the new one whole), never a mix, and running the
same command again completes it. One lock file serialises writers.

The served warehouse (``PONMETRO_WAREHOUSE``) is a hard link to the release's
file when both are on one file system (no copy), a verified copy otherwise.
Release files are made read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import requests

from etl.publish import process_alive
from ponmetro.releases import (
    CURRENT,
    MANIFEST,
    WAREHOUSE,
    Release,
    ReleaseError,
    current_id,
    get,
    list_releases,
    parse_manifest,
    release_id,
    sha256_file,
    valid_id,
)

LOCK = ".lock"
HTTP_TIMEOUT = (10, 60)
CHUNK = 1 << 20


# ----------------------------------------------------------------- file-system steps

def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_text_atomic(path: Path, text: str) -> None:
    scratch = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(scratch, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _link_or_copy(source: Path, target: Path) -> None:
    """Put ``source``'s bytes at ``target`` (a new name): hard link, else copy + fsync."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        _fsync_file(target)


def _sweep(folder: Path, pattern: str) -> None:
    """Remove scratch files and folders left by killed runs (their pid is gone)."""
    for leftover in folder.glob(pattern):
        pid = leftover.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    try:
        store.mkdir(parents=True, exist_ok=True)
        fh = open(store / LOCK, "a+")
    except OSError as exc:
        raise ReleaseError(f"cannot use the release store {store}: {exc.strerror}") from exc
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        _sweep(store, ".incoming-*")
        _sweep(store, ".pruning-*")
        yield


# ----------------------------------------------------------------- checks

def build_id_of(path: Path) -> str:
    """The build id inside a warehouse file; ReleaseError if it is not a readable warehouse."""
    if not path.is_file():
        raise ReleaseError(f"warehouse not found: {path}"
                           + (" is a folder" if path.is_dir() else ""))
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT build_id FROM meta.build").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise ReleaseError(f"{path} is not a readable warehouse "
                           f"({str(exc).splitlines()[0][:120]})") from None
    if not row:
        raise ReleaseError(f"{path} is not a readable warehouse (no build recorded)")
    return str(row[0])


def _verify(release: Release, path: Path) -> None:
    size = path.stat().st_size
    if size != release.bytes:
        raise ReleaseError(f"release {release.id}: warehouse file is {size} bytes, the "
                           f"manifest says {release.bytes} (truncated or wrong file)")
    digest = sha256_file(path)
    if digest != release.sha256:
        raise ReleaseError(f"release {release.id}: sha256 mismatch (file {digest[:16]}..., "
                           f"manifest {release.sha256[:16]}...); nothing was switched")


def verified(store: Path, rid: str) -> Release:
    """The kept release ``rid`` after checking its file against the manifest's sha256."""
    release = get(store, rid)
    _verify(release, release.warehouse)
    return release


# ----------------------------------------------------------------- switching

def _install(release: Release, served: Path) -> None:
    """Make ``served`` the release's file in one rename (readers follow a replaced file)."""
    try:
        served.parent.mkdir(parents=True, exist_ok=True)
        _sweep(served.parent, f".{served.name}.release-*")
        if served.exists() and os.path.samefile(served, release.warehouse):
            return  # already this release (rename between two links of one file is a no-op)
        scratch = served.with_name(f".{served.name}.release-{os.getpid()}")
        scratch.unlink(missing_ok=True)
        _link_or_copy(release.warehouse, scratch)
        if scratch.stat().st_size != release.bytes:
            scratch.unlink(missing_ok=True)
            raise ReleaseError(f"copy of release {release.id} to {served} is incomplete")
        os.replace(scratch, served)
        _fsync_dir(served.parent)
    except OSError as exc:
        raise ReleaseError(f"cannot switch {served} to release {release.id}: "
                           f"{exc.strerror or exc}") from exc


def _make_current(store: Path, release: Release, served: Path | None) -> None:
    """Serve ``release`` + the ingested batches it did not absorb (etl.ingest): the live
    snapshot is remade on the release's file first, then the served file is switched."""
    if served is not None:
        from etl.ingest import IngestError, refresh
        from etl.validate import LandingError

        try:
            refresh(served, base=release.warehouse)
        except (IngestError, LandingError, OSError) as exc:
            raise ReleaseError(f"cannot re-apply the ingested batches on release "
                               f"{release.id}: {exc}") from exc
        _install(release, served)
    _write_text_atomic(store / CURRENT, release.id + "\n")


def _prune(store: Path, keep: int) -> list[str]:
    """Delete the oldest releases beyond ``keep``; never the current one."""
    current = current_id(store)
    releases = list_releases(store)
    removed: list[str] = []
    for release in releases:
        if len(releases) - len(removed) <= keep:
            break
        if release.id == current:
            continue
        trash = store / f".pruning-{release.id}-{os.getpid()}"
        os.replace(release.folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(release.id)
    return removed


def _add(store: Path, manifest: Release, fill) -> Release:
    """Write a release folder under a dot-name, then rename it into the store."""
    incoming = store / f".incoming-{manifest.id}-{os.getpid()}"
    shutil.rmtree(incoming, ignore_errors=True)
    try:
        incoming.mkdir()
        fill(incoming / WAREHOUSE)
        (incoming / WAREHOUSE).chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        with open(incoming / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest.manifest(), fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(incoming)
        os.replace(incoming, store / manifest.id)
        _fsync_dir(store)
    except OSError as exc:
        raise ReleaseError(f"cannot write release {manifest.id} into {store}: "
                           f"{exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return get(store, manifest.id)


# ----------------------------------------------------------------- the three commands

def publish(warehouse: Path, store: Path, served: Path | None, keep: int
            ) -> tuple[Release, bool]:
    """Take a built warehouse into the store and make it current; (release, is_new).

    A file whose sha256 a kept release already has makes that release current again.
    """
    from ponmetro.releases.diff import compare

    warehouse = Path(warehouse)
    build_id = build_id_of(warehouse)
    with _locked(store):
        sha = sha256_file(warehouse)
        for existing in list_releases(store):
            if existing.sha256 == sha:
                _make_current(store, existing, served)
                return existing, False
        previous_id = current_id(store)
        previous = get(store, previous_id) if previous_id else None
        created = datetime.now(UTC)
        try:
            changes, withdrawn = compare(warehouse, previous.warehouse if previous else None)
        except duckdb.Error as exc:
            raise ReleaseError(f"cannot compare {warehouse} with release {previous_id}: "
                               f"{str(exc).splitlines()[0][:160]}") from None
        manifest = Release(id=release_id(created, sha), build_id=build_id, created=created,
                           sha256=sha, bytes=warehouse.stat().st_size,
                           previous=previous.id if previous else None, datasets=changes,
                           withdrawn=withdrawn)

        def fill(target: Path) -> None:
            shutil.copyfile(warehouse, target)  # a copy: the build file may be reused
            _fsync_file(target)
            if sha256_file(target) != sha:  # the source changed under us
                raise ReleaseError(f"{warehouse} changed while it was being published")

        release = _add(store, manifest, fill)
        _make_current(store, release, served)
        _prune(store, keep)
        return release, True


def rollback(store: Path, served: Path | None) -> Release:
    """Make the newest release older than the current one current; return it."""
    with _locked(store):
        current = current_id(store)
        releases = list_releases(store)
        if current is None:
            raise ReleaseError(f"no current release in {store}: publish one first")
        ids = [r.id for r in releases]
        if current not in ids:
            raise ReleaseError(f"the current release {current} is no longer kept in {store}")
        position = ids.index(current)
        if position == 0:
            raise ReleaseError(f"release {current} is the oldest kept; nothing to roll back to")
        target = releases[position - 1]
        _verify(target, target.warehouse)
        _make_current(store, target, served)
        return target


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def _fetch(url: str, target: Path | None = None) -> bytes | None:
    """GET ``url`` into memory (small files) or stream it into ``target``."""
    try:
        with requests.get(url, timeout=HTTP_TIMEOUT, stream=target is not None) as resp:
            if resp.status_code == 404:
                raise ReleaseError(f"not found at the source: {url}")
            resp.raise_for_status()
            if target is None:
                return resp.content
            with open(target, "wb") as fh:
                for block in resp.iter_content(CHUNK):
                    fh.write(block)
                fh.flush()
                os.fsync(fh.fileno())
            return None
    except requests.RequestException as exc:
        raise ReleaseError(f"cannot fetch {url}: {str(exc).splitlines()[0][:160]} "
                           "(truncated or unreachable)") from None


def _remote_manifest(source: str, rid: str | None) -> tuple[Release, str]:
    """The release to pull (its manifest) and the location of its warehouse file."""
    if _is_url(source):
        base = source.rstrip("/") + "/"
        if rid is None:
            rid = (_fetch(base + CURRENT) or b"").decode("utf-8", "replace").strip()
            if not valid_id(rid):
                raise ReleaseError(f"{base}{CURRENT} does not name a release")
        elif not valid_id(rid):
            raise ReleaseError(f"unknown release {rid[:40]!r}: release ids look like "
                               "20260130T101500Z-1a2b3c4d")
        try:
            data = json.loads(_fetch(f"{base}{rid}/{MANIFEST}") or b"")
        except ValueError:
            raise ReleaseError(f"{base}{rid}/{MANIFEST} is not a release manifest") from None
        release = parse_manifest(data)
        if release.id != rid:
            raise ReleaseError(f"{base}{rid}/{MANIFEST} names release {release.id}")
        return release, f"{base}{rid}/{WAREHOUSE}"
    folder = Path(source)
    if not folder.is_dir():
        raise ReleaseError(f"release source not found: {source} (a release folder or URL)")
    if rid is None:
        rid = current_id(folder)
        if rid is None:
            raise ReleaseError(f"{folder} has no current release ({CURRENT} missing)")
    release = get(folder, rid)
    return release, str(release.warehouse)


def pull(source: str, store: Path, served: Path | None, rid: str | None, keep: int
         ) -> Release:
    """Fetch a release (folder or URL) into the local store, verify it, make it current."""
    release, location = _remote_manifest(source, rid)
    with _locked(store):
        local = store / release.id
        fetched = not (local / MANIFEST).is_file()
        if fetched:
            def fill(target: Path) -> None:
                if _is_url(location):
                    _fetch(location, target)
                else:
                    _link_or_copy(Path(location), target)
                _verify(release, target)

            _add(store, release, fill)
        local_release = get(store, release.id)
        if local_release.sha256 != release.sha256:
            raise ReleaseError(f"release {release.id} at the source differs from the kept "
                               "copy (sha256); nothing was switched")
        if not fetched:  # a fetched file was verified before it entered the store
            _verify(local_release, local_release.warehouse)
        _make_current(store, local_release, served)
        _prune(store, keep)
        return local_release
