"""Concurrent load with wrk: pages, callbacks, the CKAN API and downloads, mixed.

wrk (Debian) drives ``clients`` keep-alive connections for ``duration`` seconds
through a Lua script that cycles over a fixed request list; its ``done`` hook
prints the latency percentiles and error counts as JSON for the table.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import requests

from bench.report import Report

WRK = shutil.which("wrk") or "/usr/bin/wrk"

_SCRIPT = r"""
local reqs = {}
%s
local i = 0
function init(args) i = tonumber(offset) or 0 end
function setup(thread)
  thread:set("offset", tostring(math.random(0, #reqs - 1)))
end
request = function()
  i = i %% #reqs + 1
  local r = reqs[i]
  return wrk.format(r[1], r[2], r[3], r[4])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"bytes":%%d,"connect":%%d,"read":%%d,"write":%%d,'
    .. '"status":%%d,"timeout":%%d,"p50":%%d,"p95":%%d,"p99":%%d,"max":%%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal for any text: UTF-8 bytes, unsafe ones as decimal escapes."""
    safe = set(range(0x20, 0x7F)) - {ord('"'), ord("\\")}
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}"
                         for b in text.encode("utf-8")) + '"'


def mix(base: str, pages: list[str], callback_bodies: list[tuple[str, dict]]) -> list[tuple]:
    """The request list: every page, every callback body, API calls, small downloads."""
    reqs: list[tuple] = [("GET", p, None, None) for p in pages]
    headers = {"Content-Type": "application/json"}
    reqs += [("POST", path, headers, json.dumps(body)) for path, body in callback_bodies]
    ids = requests.get(base + "/api/3/action/package_list", timeout=60).json()["result"]
    reqs += [("GET", "/api/3/action/package_list", None, None),
             ("GET", "/api/3/action/package_search?q=bike&rows=5", None, None)]
    small = []
    for ds in ids[:6]:
        reqs.append(("GET", f"/api/3/action/package_show?id={ds}", None, None))
        show = requests.get(base + f"/api/3/action/package_show?id={ds}", timeout=60).json()
        resources = show.get("result", {}).get("resources", [])
        if resources:
            reqs.append(("GET", "/api/3/action/datastore_search?resource_id="
                         f"{resources[0]['id']}&limit=100", None, None))
        small.append(ds)
    reqs += [("GET", f"/download/{ds}.csv", None, None) for ds in small[:3]]
    return reqs


def _lua(reqs: list[tuple]) -> str:
    lines = []
    for method, path, headers, body in reqs:
        h = "{" + ",".join(f"[{lua_string(k)}]={lua_string(v)}"
                           for k, v in (headers or {}).items()) + "}"
        lines.append(f"reqs[#reqs+1] = {{{lua_string(method)}, {lua_string(path)}, {h}, "
                     f"{lua_string(body) if body else 'nil'}}}")
    return _SCRIPT % "\n".join(lines)


def run(base: str, reqs: list[tuple], clients: int, duration: int, workdir: Path,
        rep: Report, workers: int) -> None:
    script = workdir / "mix.lua"
    script.write_text(_lua(reqs), encoding="utf-8")
    threads = max(1, min(2, clients))
    out = subprocess.run([WRK, "-t", str(threads), "-c", str(clients), "-d", f"{duration}s",
                          "--timeout", "30s", "-s", str(script), base],
                         capture_output=True, text=True, timeout=duration + 120, check=True)
    (workdir / "wrk.out").write_text(out.stdout + out.stderr)
    line = next(x for x in out.stdout.splitlines() if x.startswith('{"requests"'))
    r = json.loads(line)
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    scope = f"{clients} clients x {duration} s, {workers} workers, {len(reqs)}-request mix"
    rep.add("load", f"{scope}: requests/s", r["requests"] / (r["duration_us"] / 1e6), "req/s",
            note=f"{r['requests']:,} requests")
    rep.add("load", "errors (connect, read, write, timeout, non-2xx/3xx)", errors, "req",
            target="0", met=errors == 0,
            note=f"status {r['status']}, timeout {r['timeout']}, read {r['read']}")
    for p in ("p50", "p95", "p99"):
        rep.add("load", f"latency {p}", r[p] / 1000, "ms")
    rep.add("load", "latency max", r["max"] / 1000, "ms")
