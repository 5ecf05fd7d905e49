"""``make serve-prod``: redis + gunicorn + nginx on one machine, in the foreground.

A small supervisor: starts redis (unix socket), gunicorn (unix socket, shared redis
cache and rate-limit counters, client address from the proxy) and nginx (public
``PORT``), all in a run folder. SIGTERM or Ctrl-C stops all three (proxy first, redis
last); if any of them dies, the others are stopped too and the exit code is 1, so a
service manager restarts the whole set. ``PONMETRO_WAREHOUSE`` names the warehouse.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.render import ROOT, render

ENV_RUN_DIR = "PONMETRO_RUN_DIR"
STOP_SECONDS = 30


def _wait_for(path: Path, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"error: {what} did not start (see the run folder's logs)")
        time.sleep(0.05)



def stop_group(proc: subprocess.Popen | None, grace: float = STOP_SECONDS) -> None:
    """SIGTERM a process started in its own session (``start_new_session=True``), SIGKILL
    it after ``grace`` seconds, then whatever is left in its group (a gunicorn or nginx
    worker outliving its master)."""
    if proc is None:
        return
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

class Supervisor:
    def __init__(self, run: Path, port: str, host: str) -> None:
        self.run, self.port, self.host = run, port, host
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.run / "logs" / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def start(self) -> None:
        run = self.run
        redis_sock, app_sock = run / "redis.sock", run / "app.sock"
        redis = self.spawn("redis", [shutil.which("redis-server") or "redis-server",
                                     "--port", "0", "--unixsocket", str(redis_sock),
                                     "--unixsocketperm", "700", "--save", "",
                                     "--appendonly", "no", "--dir", str(run)])
        _wait_for(redis_sock, redis, "redis")
        env = {**os.environ, "PONMETRO_CACHE_TYPE": "redis",
               "PONMETRO_REDIS_URL": f"unix://{redis_sock}", "PONMETRO_PROXIES": "1"}
        gunicorn = self.spawn("gunicorn", [
            str(Path(sys.executable).parent / "gunicorn"), "dashboards.app:server",
            "--config", str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT),
            "--bind", f"unix:{app_sock}"], env=env)
        _wait_for(app_sock, gunicorn, "gunicorn", timeout=180)
        conf = render(run, f"{self.host}:{self.port}", [f"unix:{app_sock}"])
        self.spawn("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(run),
                             "-c", str(conf), "-e", str(run / "logs" / "error.log"),
                             "-g", "daemon off;"])
        print(f"serving on http://{self.host}:{self.port} (run folder {run})", flush=True)

    def stop(self) -> None:
        """Proxy first (no new requests), then the app, then redis; SIGKILL stragglers."""
        self.stopping = True
        for _name, proc in reversed(self.procs):
            stop_group(proc)

    def watch(self) -> int:
        while not self.stopping:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    print(f"error: {name} exited with {proc.returncode}; stopping the rest",
                          file=sys.stderr, flush=True)
                    self.stop()
                    return 1
            time.sleep(0.2)
        return 0


def main() -> int:
    run = Path(os.environ.get(ENV_RUN_DIR) or tempfile.mkdtemp(prefix="ponmetro-prod-"))
    (run / "logs").mkdir(parents=True, exist_ok=True)
    run.chmod(0o755)  # nginx's workers (nobody) reach the app socket through it
    supervisor = Supervisor(run, os.environ.get("PORT", "8050"),
                            os.environ.get("HOST", "0.0.0.0"))

    def on_signal(signum, _frame) -> None:
        if not supervisor.stopping:
            supervisor.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.start()
    except BaseException:
        supervisor.stop()
        raise
    return supervisor.watch()


if __name__ == "__main__":
    sys.exit(main())
