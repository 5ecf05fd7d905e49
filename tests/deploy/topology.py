"""The production topology in tests: redis, app hosts on their own loopback addresses,
the nginx front proxy rendered by deploy/render.py, and `make serve-prod` itself."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from deploy.render import render
from tests.conftest import BIN, ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def wait_http(url: str, timeout: float = 180, ok=(200,)) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=10).status_code in ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in time")


def free_port_on(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention ``text`` (a run folder, a port)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if text in cmd and state != "Z":
            found.append(f"{entry.name}: {cmd}")
    return found


def reachable_folder(label: str) -> Path:
    """A fresh folder nginx's unprivileged workers can reach (pytest's tmp is private)."""
    folder = Path(tempfile.mkdtemp(prefix=f"ponmetro-{label}-"))
    folder.chmod(0o755)
    return folder


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 30) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


class ServeProd:
    """`make serve-prod` exactly as documented (installation steps already done)."""

    def __init__(self, warehouse: Path, run_dir: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = run_dir
        self.env = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1",
                    "PONMETRO_WAREHOUSE": str(warehouse), "PONMETRO_RUN_DIR": str(run_dir),
                    "PONMETRO_TILE_URL": ""}
        self.env.pop("PONMETRO_RATE_LIMIT", None)  # the production default
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServeProd:
        self.log = (self.run_dir / "make.out").open("wb")
        self.proc = subprocess.Popen(
            ["make", "--no-print-directory", "-o", "install", "-o", "prod-deps",
             "serve-prod"], cwd=ROOT, env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.url + "/healthz")
        return self

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM to make and the supervisor (as a service manager sends it)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout)

    def leftovers(self, timeout: float = 40) -> list[str]:
        deadline = time.monotonic() + timeout
        while (left := processes_mentioning(str(self.run_dir))) and \
                time.monotonic() < deadline:
            time.sleep(0.5)
        return left


class Hosts:
    """N gunicorn app hosts on 127.0.0.2, .3, ..., each with its own warehouse copy,
    sharing one real redis, behind an nginx rendered from deploy/ templates."""

    def __init__(self, warehouse: Path, workdir: Path, count: int = 3, workers: int = 1):
        self.workdir = workdir
        self.redis_port = free_port()
        self.addresses = [f"127.0.0.{i + 2}" for i in range(count)]
        self.app_port = free_port_on(self.addresses[0])
        self.hosts = [f"{a}:{self.app_port}" for a in self.addresses]
        self.warehouses = {}
        for host, address in zip(self.hosts, self.addresses, strict=True):
            folder = workdir / f"host-{address}"
            folder.mkdir(parents=True)
            self.warehouses[host] = folder / "warehouse.duckdb"
            shutil.copyfile(warehouse, self.warehouses[host])
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = reachable_folder("proxy")
        self.procs: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None):
        log = (self.workdir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(argv, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self.procs[name]

    def start_host(self, host: str) -> None:
        env = {**os.environ, "PONMETRO_WAREHOUSE": str(self.warehouses[host]),
               "PONMETRO_CACHE_TYPE": "redis", "PONMETRO_TILE_URL": "",
               "PONMETRO_REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
               "PONMETRO_PROXIES": "1", "PONMETRO_RATE_LIMIT": "off"}
        self._spawn(host, [str(BIN / "gunicorn"), "dashboards.app:server", "--config",
                           str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT), "--bind", host,
                           "--workers", str(self.workers)], env)

    def start(self) -> Hosts:
        self._spawn("redis", [REDIS, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.workdir)])
        for host in self.hosts:
            self.start_host(host)
        for host in self.hosts:
            wait_http(f"http://{host}/healthz")
        conf = render(self.prefix, f"127.0.0.1:{self.port}", self.hosts)
        self._spawn("nginx", [NGINX, "-p", str(self.prefix), "-c", str(conf),
                              "-e", str(self.prefix / "logs" / "error.log"),
                              "-g", "daemon off;"])
        wait_http(self.url + "/healthz")
        return self

    def drain(self, host: str | None) -> None:
        """Re-render the proxy with ``host`` down (None: all up) and reload it gracefully."""
        render(self.prefix, f"127.0.0.1:{self.port}", self.hosts, down=[host] if host else [])
        subprocess.run([NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                        "-e", str(self.prefix / "logs" / "error.log"), "-s", "reload"],
                       check=True, capture_output=True)
        time.sleep(0.5)  # new workers take over

    def build_of(self, host: str) -> str:
        return requests.get(f"http://{host}/healthz", timeout=10).json()["build_id"]

    def kill(self, host: str) -> None:
        """kill -9 the host: its master and workers."""
        os.killpg(self.procs[host].pid, signal.SIGKILL)
        self.procs[host].wait()

    def stop(self) -> None:
        for name in ["nginx", *self.hosts, "redis"]:
            if name in self.procs:
                stop_group(self.procs[name])
