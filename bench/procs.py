"""Real processes the benchmark drives: gunicorn, redis-server, and their memory.

Peak memory comes from the kernel (``VmHWM`` in /proc, reset through
``clear_refs``) so it covers Arrow and DuckDB buffers that Python cannot see.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from deploy.serve import stop_group

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmHWM") / 1024


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS mark of ``pid`` (Linux >= 4.0); False when refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def wait_ready(proc: subprocess.Popen, name: str, log: Path | None, timeout: float,
               ready: Callable[[], bool],
               not_yet: tuple[type[Exception], ...] = (requests.RequestException,)) -> None:
    """Poll ``ready()`` until it holds; RuntimeError (naming ``log``) if the process exits
    or ``timeout`` seconds pass first. ``not_yet`` (a refused connection) means "poll again"."""
    see = f"; see {log}" if log else ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}{see}")
        try:
            if ready():
                return
        except not_yet:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer within {timeout:.0f} s{see}")


def open_warehouse(path: Path):
    """A read-only DuckDB connection configured like the app's.

    DuckDB refuses a second connection to one file with a different
    configuration, and the harness imports the app in-process for tracing.
    """
    import duckdb

    from dashboards import warehouse

    return duckdb.connect(str(path), read_only=True,
                          config=dict(getattr(warehouse, "_CONFIG", {})))


class Gunicorn:
    """``gunicorn dashboards.app:server`` on a free loopback port, like production."""

    def __init__(self, warehouse: Path, log: Path, workers: int = 2,
                 env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.workers = workers
        self.log = log
        self.env = {**os.environ, "PONMETRO_WAREHOUSE": str(warehouse),
                    "PONMETRO_TILE_URL": "", **(env or {})}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 90) -> Gunicorn:
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "dashboards.app:server", "-b", f"{HOST}:{self.port}",
             "-w", str(self.workers), "--timeout", "300", "--chdir", str(ROOT)],
            env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            wait_ready(self.proc, "gunicorn", self.log, timeout, lambda: requests.get(
                self.url + "/healthz", timeout=5).status_code == 200
                and len(self.worker_pids()) == self.workers)
        except RuntimeError:
            self.stop()
            raise
        return self

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def stop(self) -> None:
        stop_group(self.proc)


class Redis:
    """A throwaway redis-server (no persistence) on a free loopback port."""

    def __init__(self, workdir: Path) -> None:
        self.exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def available(self) -> bool:
        return Path(self.exe).exists()

    def __enter__(self) -> Redis:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            wait_ready(self.proc, "redis-server", None, 20, client.ping,
                       not_yet=(redis.ConnectionError,))
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
