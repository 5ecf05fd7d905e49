"""Read a source from a local path or an HTTP(S) URL, with timeouts and clear errors.

Operators pass whatever they have: a file saved from the portal, a resource URL, or
a ``file://`` URI. Network failures become one-line :class:`ConnectorError`s naming
the URL and what went wrong; nothing is retried silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests

from etl.connectors.errors import ConnectorError

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "ponmetro-milano-connectors/1 (+https://dati.comune.milano.it)"


def is_url(source: str | Path) -> bool:
    return str(source).startswith(("http://", "https://", "file://"))


def fetch_bytes(source: str | Path, *, headers: dict[str, str] | None = None,
                timeout: float = DEFAULT_TIMEOUT, session: requests.Session | None = None,
                ok_statuses: tuple[int, ...] = (200,)) -> bytes:
    """Return the bytes of a local file, a ``file://`` URI or an HTTP(S) URL.

    ``ok_statuses`` lets API clients read error bodies (CKAN answers 404 with JSON).
    """
    text = str(source)
    if text.startswith("file://"):
        return _read_local(Path(unquote(urlparse(text).path)))
    if not is_url(text):
        return _read_local(Path(text))
    getter = session or requests
    try:
        response = getter.get(text, headers={"User-Agent": USER_AGENT, **(headers or {})},
                              timeout=timeout)
    except requests.Timeout as exc:
        raise ConnectorError(f"GET {text}: no answer within {timeout:g} s") from exc
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise ConnectorError(f"GET {text}: cannot connect ({reason})") from exc
    if response.status_code not in ok_statuses:
        raise ConnectorError(f"GET {text}: HTTP {response.status_code} {response.reason}")
    return response.content


def fetch_json(source: str | Path, **kwargs) -> object:
    """Fetch and decode a JSON document, naming the source when it is not JSON."""
    raw = fetch_bytes(source, **kwargs)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConnectorError(f"{source}: not UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise ConnectorError(f"{source}: invalid JSON at line {exc.lineno} column "
                             f"{exc.colno}: {exc.msg}") from exc


def _read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConnectorError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise ConnectorError(f"{path}: is a folder, expected a file") from exc
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read ({exc.strerror})") from exc
