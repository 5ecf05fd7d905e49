"""The release store: one folder per release, a manifest each, a pointer to the current one.

Layout (``PONMETRO_RELEASES``, default ``data/releases/``)::

    <store>/CURRENT                       the id of the current release (one line)
    <store>/<release-id>/warehouse.duckdb the full build, read-only, never changed
    <store>/<release-id>/release.json     id, build id, created, sha256, bytes, per-dataset
                                          rows and what changed against the previous release

This module only reads the store, so the web app can import it; writing
(publish, pull, rollback) lives in :mod:`ponmetro.releases.store`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

MANIFEST = "release.json"
WAREHOUSE = "warehouse.duckdb"
CURRENT = "CURRENT"
#: Release ids are what ``publish`` makes (``20260130T101500Z-1a2b3c4d``); anything else
#: is refused before it is used in a path.
ID_PATTERN = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")


class ReleaseError(Exception):
    """A release operation that cannot be done; the message is one line for the operator."""


@dataclass(frozen=True)
class DatasetChange:
    """One dataset in one release: its rows and the change against the previous release."""

    rows: int
    added: int
    removed: int
    changed: int

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Release:
    id: str
    build_id: str
    created: datetime
    sha256: str
    bytes: int
    previous: str | None
    datasets: dict[str, DatasetChange]
    withdrawn: dict[str, int] = field(default_factory=dict)
    folder: Path = Path()

    @property
    def warehouse(self) -> Path:
        return self.folder / WAREHOUSE

    def manifest(self) -> dict[str, Any]:
        return {"id": self.id, "build_id": self.build_id,
                "created": self.created.isoformat(), "sha256": self.sha256,
                "bytes": self.bytes, "previous": self.previous,
                "datasets": {k: vars(v) for k, v in sorted(self.datasets.items())},
                "withdrawn": dict(sorted(self.withdrawn.items()))}

    def notes(self, dataset_id: str, lang: str = "en") -> str:
        """``adms:versionNotes`` text: what changed in one dataset (``it`` or ``en``)."""
        change = self.datasets.get(dataset_id)
        it = lang == "it"
        if change is None:
            return (f"Rilascio {self.id}: dataset non presente." if it else
                    f"Release {self.id}: dataset not present.")
        if self.previous is None:
            return (f"Rilascio {self.id} (build {self.build_id}): primo rilascio, "
                    f"{change.rows} righe." if it else
                    f"Release {self.id} (build {self.build_id}): first release, "
                    f"{change.rows} rows.")
        if it:
            return (f"Rilascio {self.id} (build {self.build_id}), rispetto a {self.previous}: "
                    f"{change.added} righe aggiunte, {change.removed} rimosse, "
                    f"{change.changed} modificate; {change.rows} righe in tutto.")
        return (f"Release {self.id} (build {self.build_id}), against {self.previous}: "
                f"{change.added} rows added, {change.removed} removed, "
                f"{change.changed} changed; {change.rows} rows in all.")


def valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def release_id(created: datetime, sha256: str) -> str:
    return f"{created:%Y%m%dT%H%M%SZ}-{sha256[:8]}"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def parse_manifest(data: dict[str, Any], folder: Path = Path()) -> Release:
    """A :class:`Release` from ``release.json`` content; ReleaseError when malformed."""
    try:
        rid = data["id"]
        if not valid_id(rid):
            raise ValueError(f"bad id {str(rid)[:40]!r}")
        sha = str(data["sha256"])
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise ValueError("bad sha256")
        return Release(
            id=rid, build_id=str(data["build_id"]),
            created=datetime.fromisoformat(data["created"]), sha256=sha,
            bytes=int(data["bytes"]), previous=data.get("previous"),
            datasets={str(k): DatasetChange(int(v["rows"]), int(v["added"]),
                                            int(v["removed"]), int(v["changed"]))
                      for k, v in data["datasets"].items()},
            withdrawn={str(k): int(v) for k, v in (data.get("withdrawn") or {}).items()},
            folder=folder)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReleaseError(f"malformed release manifest {folder / MANIFEST}: {exc}") from None


def read_release(folder: Path) -> Release:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        raise ReleaseError(f"no release in {folder}") from None
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"unreadable release manifest {folder / MANIFEST}: {exc}") from None
    release = parse_manifest(data, folder)
    if release.id != folder.name:
        raise ReleaseError(f"release manifest {folder / MANIFEST} names {release.id}, "
                           f"not its folder")
    return release


def list_releases(store: Path) -> list[Release]:
    """Every kept release, oldest first (unreadable folders are skipped)."""
    out = []
    try:
        folders = [p for p in Path(store).iterdir() if valid_id(p.name) and p.is_dir()]
    except OSError:
        return []
    for folder in folders:
        try:
            out.append(read_release(folder))
        except ReleaseError:
            continue
    return sorted(out, key=lambda r: (r.created, r.id))


def current_id(store: Path) -> str | None:
    try:
        value = (Path(store) / CURRENT).read_text("utf-8").strip()
    except OSError:
        return None
    return value if valid_id(value) else None


def get(store: Path, rid: object) -> Release:
    """The kept release ``rid``; ReleaseError naming it when it is not kept here."""
    if not valid_id(rid):
        raise ReleaseError(f"unknown release {str(rid)[:40]!r}: release ids look like "
                           "20260130T101500Z-1a2b3c4d")
    folder = Path(store) / str(rid)
    if not (folder / MANIFEST).is_file():
        raise ReleaseError(f"unknown release {rid}: not kept in {store}")
    return read_release(folder)
