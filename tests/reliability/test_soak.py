"""Load soak: concurrent clients against a real gunicorn, with wrk; 0 errors, stable memory.

The traffic mixes what visitors and machines do: page shells, the Dash page
callbacks that render each page's content, API actions, a download and the
catalogue. Smoke size in CI; ``PONMETRO_CAMPAIGN=full`` runs 50 clients for
5 minutes (results in docs/reliability.md). ``PONMETRO_SOAK_REPORT=<file>``
writes the measured figures as JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import Server
from tests.reliability.conftest import enumerate_routes, fill, sample_values
from tests.reliability.hostile import is_location_driven, location_body

WRK = shutil.which("wrk") or "/usr/bin/wrk"

LUA = """
local requests = {}
local bodies = %s
for i, r in ipairs(bodies) do
  requests[i] = wrk.format(r[1], r[2], {["Content-Type"] = "application/json"}, r[3])
end
local n = 0
request = function()
  n = n + 1
  return requests[(n %% #requests) + 1]
end
"""


def rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (from /proc)."""
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                todo += [int(c) for c in children]
        except (FileNotFoundError, AttributeError, ProcessLookupError):
            continue
    return total


def traffic(base: str, warehouse: Path) -> list[tuple[str, str, str]]:
    """(method, path, body) of the soak mix, built from the app's own routes."""
    values = sample_values(warehouse)
    routes = enumerate_routes()
    pages = sorted({fill(r, values) for r in routes if r.kind == "page"} - {"/404"})
    deps = requests.get(f"{base}/_dash-dependencies", timeout=60).json()
    router = next(d for d in deps if is_location_driven(d) and "_pages_content" in d["output"])
    small = values["dataset_id"][0]
    mix = [("GET", p, "") for p in pages]
    mix += [("POST", "/_dash-update-component", json.dumps(location_body(router, p, "")))
            for p in pages]
    mix += [("GET", "/healthz", ""), ("GET", "/api/3/action/package_list", ""),
            ("GET", f"/api/3/action/package_show?id={small}", ""),
            ("GET", f"/api/3/action/datastore_search?resource_id={small}&limit=50", ""),
            ("GET", f"/download/{small}.csv", ""), ("GET", "/catalog.ttl", "")]
    return mix


def lua_table(mix: list[tuple[str, str, str]]) -> str:
    def lua_string(text: str) -> str:
        return "[==[" + text + "]==]"
    return "{" + ", ".join("{" + ", ".join(map(lua_string, item)) + "}" for item in mix) + "}"


def parse_wrk(output: str) -> dict[str, float]:
    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    return {
        "requests": number(r"(\d+) requests in"),
        "requests_per_s": number(r"Requests/sec:\s+([\d.]+)"),
        "non_2xx_3xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "latency_p50_ms": _ms(re.search(r"50%\s+([\d.]+)(us|ms|s)", output)),
        "latency_p99_ms": _ms(re.search(r"99%\s+([\d.]+)(us|ms|s)", output)),
    }


def _ms(match) -> float:
    if not match:
        return 0.0
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


@pytest.mark.slow
def test_soak_with_concurrent_clients(campaign, warehouse, tmp_path):
    if not Path(WRK).exists():
        pytest.fail("wrk is missing: run `make test-deps` (apt-get install wrk)")
    served = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, served)
    workers = int(os.environ.get("PONMETRO_SOAK_WORKERS", "2"))
    server = Server(served, workers=workers, log=tmp_path / "gunicorn.log",
                    env={"PONMETRO_CACHE_DIR": str(tmp_path / "cache")}).start()
    try:
        mix = traffic(server.url, served)
        script = tmp_path / "mix.lua"
        script.write_text(LUA % lua_table(mix))
        for method, path, body in mix:  # warm up: every request once, and check it works
            reply = requests.request(method, server.url + path, data=body or None, timeout=120,
                                     headers={"Content-Type": "application/json"})
            assert reply.status_code == 200, (method, path, reply.status_code)
        warm = rss_kib(server.proc.pid)
        started = time.monotonic()
        result = subprocess.run(
            [WRK, "-t", "2", "-c", str(campaign.soak_clients), "-d",
             f"{campaign.soak_seconds}s", "--timeout", "60s", "--latency", "-s", str(script),
             server.url], capture_output=True, text=True,
            timeout=campaign.soak_seconds + 300)
        elapsed = time.monotonic() - started
        end = rss_kib(server.proc.pid)
        assert server.proc.poll() is None, "gunicorn died during the soak"
        health = requests.get(server.url + "/healthz", timeout=30)
    finally:
        server.stop()
    figures = parse_wrk(result.stdout)
    figures.update(clients=campaign.soak_clients, seconds=round(elapsed, 1), workers=workers,
                   rss_warm_mib=round(warm / 1024, 1), rss_end_mib=round(end / 1024, 1),
                   urls=len(mix))
    report = os.environ.get("PONMETRO_SOAK_REPORT")
    if report:
        Path(report).write_text(json.dumps(figures, indent=1) + "\n")
    print(json.dumps(figures))
    assert result.returncode == 0, result.stderr
    assert figures["requests"] > 0, result.stdout
    assert figures["non_2xx_3xx"] == 0 and figures["socket_errors"] == 0, result.stdout
    assert health.status_code == 200
    assert end <= warm * 1.5 + 64 * 1024, f"memory grew from {warm} KiB to {end} KiB"
