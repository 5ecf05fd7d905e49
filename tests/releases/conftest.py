"""Fixtures of the release tests: real warehouse files that differ in known ways, the real
``ponmetro`` command in a subprocess, and a loopback HTTP release source."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BIN, ROOT

#: What ``variant`` changes in dataset ``indicators`` (key indicator_code): one row
#: removed, two changed, one added. It also moves money, so the EU report differs.
INDICATOR_CHANGES = {"added": 1, "removed": 1, "changed": 2}


def edit(base: Path, target: Path, build_id: str, *statements: tuple[str, list]) -> Path:
    """A copy of ``base`` with ``statements`` applied and its own build id (a real file)."""
    shutil.copyfile(base, target)
    con = duckdb.connect(str(target))
    try:
        for sql, params in statements:
            con.execute(sql, params)
        con.execute("UPDATE meta.build SET build_id = ?", [build_id])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return target


def make_variant(base: Path, target: Path, build_id: str) -> Path:
    """``base`` with the INDICATOR_CHANGES edits, and more money on one transaction."""
    con = duckdb.connect(str(base), read_only=True)
    try:
        codes = [r[0] for r in con.execute(
            "SELECT indicator_code FROM mart.indicators ORDER BY indicator_code").fetchall()]
    finally:
        con.close()
    return edit(
        base, target, build_id,
        ("DELETE FROM mart.indicators WHERE indicator_code = ?", [codes[-1]]),
        ("UPDATE mart.indicators SET target_2023 = coalesce(target_2023, 0) * 2 + 1 "
         "WHERE indicator_code IN (?, ?)", codes[1:3]),
        ("INSERT INTO mart.indicators SELECT * REPLACE ('TEST.NEW' AS indicator_code) "
         "FROM mart.indicators WHERE indicator_code = ?", [codes[0]]),
        ("UPDATE mart.financial_transactions SET amount_eur = amount_eur + 12345 "
         "WHERE transaction_id = (SELECT min(transaction_id) "
         "FROM mart.financial_transactions)", []))


@pytest.fixture(scope="session")
def variants(warehouse, tmp_path_factory) -> dict[str, Path]:
    """``base`` (the session demo build) and two edited copies, each with its own build id."""
    folder = tmp_path_factory.mktemp("variants")
    base = folder / "base.duckdb"
    shutil.copyfile(warehouse, base)
    v1 = make_variant(base, folder / "v1.duckdb", "20990101T000000Z-00000001")
    v2 = edit(v1, folder / "v2.duckdb", "20990101T000000Z-00000002",
              ("UPDATE mart.projects SET title_it = title_it || ' (v2)' WHERE project_code = "
               "(SELECT min(project_code) FROM mart.projects)", []))
    return {"base": base, "v1": v1, "v2": v2}


def build_id(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT build_id FROM meta.build").fetchone()[0]
    finally:
        con.close()


class Host:
    """One host: its own release store and served warehouse, driven by the real CLI."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.store = folder / "releases"
        self.served = folder / "warehouse.duckdb"
        self.env = {**os.environ, "PONMETRO_RELEASES": str(self.store),
                    "PONMETRO_WAREHOUSE": str(self.served)}
        self.env.pop("PONMETRO_RELEASES_KEEP", None)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "ponmetro"), *args], env=self.env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "ponmetro"), *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def current(self) -> str | None:
        path = self.store / "CURRENT"
        return path.read_text().strip() if path.exists() else None


@pytest.fixture
def host(tmp_path) -> Host:
    return Host(tmp_path / "host")


@pytest.fixture
def make_host(tmp_path):
    return lambda name: Host(tmp_path / name)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; ``throttle`` (bytes/s) slows them, ``cut`` sends half of each large
    file under a full Content-Length and closes (a truncated transfer)."""

    throttle: float = 0
    cut: bool = False

    def log_message(self, *args) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:
        size = os.fstat(source.fileno()).st_size
        limit = size // 2 if self.cut and size > 1_000_000 else size
        sent = 0
        while sent < limit:
            block = source.read(min(256 * 1024, limit - sent))
            if not block:
                break
            outputfile.write(block)
            sent += len(block)
            if self.throttle:
                time.sleep(len(block) / self.throttle)
        if sent < size:
            self.close_connection = True


class Source:
    def __init__(self, folder: Path, throttle: float = 0, cut: bool = False):
        handler = type("H", (_Handler,), {"throttle": throttle, "cut": cut})
        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_source():
    """``http_source(folder, throttle=..., cut=...)``: a loopback HTTP server over a folder."""
    started: list[Source] = []

    def start(folder: Path, **kw) -> Source:
        started.append(Source(folder, **kw))
        return started[-1]

    yield start
    for source in started:
        source.close()
