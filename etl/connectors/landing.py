"""Write connector output into a landing folder and record it as real in the manifest.

The build labels a warehouse as demo data when any file in ``manifest.json`` is marked
synthetic, and takes ``meta.sources.source`` from the manifest entry. A connector that
replaces a demo file must therefore flip its entry to ``synthetic: false`` and say where
the data came from; files it does not touch keep their own entries.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

MANIFEST = "manifest.json"


class Landing:
    """A landing folder that connectors write into."""

    def __init__(self, root: Path, *, demo: bool = False):
        """``demo=True``: the demo generator, sole writer of a fresh folder, so no lock
        file and no ``fetched_at``: its output is byte-for-byte deterministic."""
        self.root = Path(root)
        self.demo = demo
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, relpath: str) -> Path:
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_text(self, relpath: str, text: str, *, source: str, rows: int,
                   synthetic: bool = False) -> Path:
        target = self.path(relpath)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # readers never see a half-written landing file
        self.record(relpath, source=source, rows=rows, synthetic=synthetic)
        return target

    def write_csv(self, relpath: str, frame: pl.DataFrame, *, source: str,
                  note: str | None = None, synthetic: bool = False,
                  separator: str = ",") -> Path:
        target = self.path(relpath)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        frame.write_csv(tmp, separator=separator, datetime_format="%Y-%m-%dT%H:%M:%SZ",
                        date_format="%Y-%m-%d")
        tmp.replace(target)
        self.record(relpath, source=source, rows=frame.height, note=note,
                    synthetic=synthetic)
        return target

    def write_json(self, relpath: str, document: object, *, source: str, rows: int,
                   synthetic: bool = False) -> Path:
        return self.write_text(relpath, json.dumps(document, ensure_ascii=False,
                                                   separators=(",", ":")),
                               source=source, rows=rows, synthetic=synthetic)

    def start_manifest(self, header: dict) -> None:
        """Begin a fresh manifest (the demo generator: ``header`` names the generator)."""
        with self._manifest_lock():
            self._save_manifest({**header, "files": {}})

    def read_manifest(self) -> dict:
        path = self.root / MANIFEST
        if not path.exists():
            return {"generator": "ponmetro connectors", "files": {}}
        manifest = json.loads(path.read_text("utf-8"))
        manifest.setdefault("files", {})
        return manifest

    def _save_manifest(self, manifest: dict) -> None:
        manifest["files"] = dict(sorted(manifest["files"].items()))
        path = self.root / MANIFEST
        tmp = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        tmp.replace(path)

    @contextmanager
    def _manifest_lock(self):
        """Serialise read-modify-write of the manifest between connector processes
        (a poller and an import running at once must not lose each other's entries)."""
        if self.demo:
            yield
            return
        with (self.root / f".{MANIFEST}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def record(self, relpath: str, *, source: str, rows: int, note: str | None = None,
               synthetic: bool = False) -> None:
        """Record ``relpath`` in ``manifest.json``: real unless it still holds demo rows
        (``synthetic``), so the build's demo label stays true."""
        entry = {"synthetic": synthetic, "source": source, "rows": rows}
        if not self.demo:
            entry["fetched_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if note:
            entry["note"] = note
        with self._manifest_lock():
            manifest = self.read_manifest()
            manifest["files"][relpath] = entry
            self._save_manifest(manifest)

    def forget(self, relpath_glob: str, *, synthetic_only: bool = False) -> list[str]:
        """Delete files matching a glob and drop their manifest entries.

        Used for demo partitions a real feed replaces (``synthetic_only``), so a build
        never mixes a demo history with a real one of the same feed.
        """
        removed = []
        with self._manifest_lock():
            manifest = self.read_manifest()
            for candidate in sorted(self.root.glob(relpath_glob)):
                rel = str(candidate.relative_to(self.root))
                if synthetic_only and not manifest["files"].get(rel, {}).get("synthetic"):
                    continue
                candidate.unlink()
                manifest["files"].pop(rel, None)
                removed.append(rel)
            if removed:
                self._save_manifest(manifest)
        return removed
