"""What a hostile request looks like, and how to tell a safe answer from a leak.

Shared by the fixed-corpus and the property-based campaigns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import requests

#: Fixed hostile values: SQL injection, traversal, control and bidi characters,
#: markup, huge and odd numbers, broken JSON.
HOSTILE: list[str] = [
    "' OR '1'='1", "1; DROP TABLE mart.programme_projects; --", "\" OR 1=1 --",
    "1 UNION SELECT build_id FROM meta.build", "') UNION SELECT * FROM staging.social_usage_monthly --",
    "read_csv('/etc/passwd')", "(SELECT getenv('HOME'))", "current_setting('threads')",
    "${jndi:ldap://x}", "%27%20OR%201%3D1", "*", "%", "_",
    "../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "....//....//etc/passwd",
    "/etc/passwd", "..\\..\\windows\\win.ini", "file:///etc/passwd", "%00", "a\x00b",
    "\r\nSet-Cookie: pwned=1", "\u202egnp.exe", "\u200b\u2066x\u2069", "\x1b[31mred",
    "\x7f\x01\x02", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)", "{{7*7}}", "{\"a\":", "[]", "{}", "null", "true",
    "9" * 400, "1e309", "-1", "-9223372036854775809", "18446744073709551616", "NaN",
    "Infinity", "0x7fffffff", "2023-13-45", "x" * 3000, "é" * 1500, "🦄" * 500,
]

#: Parameter names the app's routes read (CKAN API, downloads, pages, catalogue).
PARAMS = ["q", "filters", "sort", "fields", "sql", "limit", "offset", "id", "resource_id",
          "rows", "start", "fq", "facet.field", "lang", "page", "format", "excel",
          "municipio_id", "nil_id", "year", "callback", "include_total"]

#: Substrings that reveal internals: tracebacks, SQL engine errors, paths, secrets.
LEAKS = re.compile(
    r"Traceback \(most recent|File \"/|site-packages|/work/|/usr/lib/python|"
    r"_duckdb|duckdb\.|Binder Error|Catalog Error|Parser Error|Conversion Error|"
    r"Invalid Input Error|Out of Range Error|INTERNAL Error:|IO Error:|"
    r"root:x:0:0|werkzeug\.|jinja2\.|PONMETRO_|warehouse\.duckdb|\.building-",
    re.I)

#: Per-request time bound (generous: the CI machine is small and shared).
TIME_BOUND_S = 20.0

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


@dataclass
class Verdict:
    url: str
    problem: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.url[:200]!r}"


def check(reply: requests.Response, what: str, reflected: str | None = None) -> list[Verdict]:
    """Everything wrong with one answer to a hostile request."""
    problems = []
    body = reply.text if len(reply.content) < 5_000_000 else reply.content[:5_000_000].decode(
        "utf-8", "replace")
    if reply.status_code >= 500:
        problems.append(Verdict(what, f"HTTP {reply.status_code}"))
    leak = LEAKS.search(body)
    if leak:
        problems.append(Verdict(what, f"leaks {leak.group(0)!r} (HTTP {reply.status_code})"))
    if reply.elapsed.total_seconds() > TIME_BOUND_S:
        problems.append(Verdict(what, f"took {reply.elapsed.total_seconds():.1f} s"))
    # gunicorn itself refuses over-long request lines and headers before the app runs
    gunicorn_refusal = reply.status_code in (400, 414, 431) and body.startswith("<html>") \
        and "Content-Security-Policy" not in reply.headers
    if not gunicorn_refusal:
        missing = [h for h in SECURITY_HEADERS if h not in reply.headers]
        if missing:
            problems.append(Verdict(what, f"missing {', '.join(missing)}"))
    if reflected and len(reflected) > 8 and "<" in reflected and \
            reply.headers.get("Content-Type", "").startswith("text/html") and reflected in body:
        problems.append(Verdict(what, "reflects markup unescaped"))
    return problems


def dash_callback_body(dep: dict, values: list[object]) -> dict:
    """The JSON Dash's renderer posts for callback ``dep`` with ``values`` as its inputs."""
    out = dep["output"]
    if out.startswith(".."):
        outputs = []
        for part in out.strip(".").split("..."):
            cid, _, prop = part.rpartition(".")
            outputs.append({"id": _component_id(cid), "property": prop})
    else:
        cid, _, prop = out.rpartition(".")
        outputs = {"id": _component_id(cid), "property": prop}
    inputs = [{"id": i["id"], "property": i["property"], "value": values[n % len(values)]}
              for n, i in enumerate(dep["inputs"])]
    state = [{"id": s["id"], "property": s["property"], "value": None}
             for s in dep.get("state", [])]
    changed = [f"{_id_text(i['id'])}.{i['property']}" for i in dep["inputs"][:1]]
    return {"output": out, "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": changed}


def location_body(dep: dict, pathname: str, search: str) -> dict:
    """A callback request as the browser sends it when the URL is ``pathname + search``."""
    by_prop = {"pathname": pathname, "search": search, "hash": "",
               "href": f"http://127.0.0.1{pathname}{search}"}
    body = dash_callback_body(dep, [None])
    for item in body["inputs"] + body["state"]:
        item["value"] = by_prop.get(item["property"], item["value"])
    return body


def is_location_driven(dep: dict) -> bool:
    return any(i["property"] == "pathname" for i in dep["inputs"])


def _component_id(text: str) -> object:
    return json.loads(text) if text.startswith("{") else text


def _id_text(cid: object) -> str:
    return json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) \
        else str(cid)
