"""Resolve a portal dataset to a resource URL through CKAN's ``package_show``.

dati.comune.milano.it is a CKAN portal: a dataset (``ds964``) lists its resources,
each with a ``format`` and a ``url``. Resolving at run time survives the portal
renaming or re-uploading a file, which hard-coded resource URLs do not.
"""

from __future__ import annotations

from etl.connectors.errors import ConnectorError
from etl.connectors.fetch import DEFAULT_TIMEOUT, fetch_json

MILANO_PORTAL = "https://dati.comune.milano.it"


def package_show(portal: str, dataset: str, *, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Return the dataset dict (with ``resources``) or raise a ConnectorError."""
    url = f"{portal.rstrip('/')}/api/3/action/package_show?id={dataset}"
    try:
        body = fetch_json(url, timeout=timeout, ok_statuses=(200, 403, 404, 409))
    except ConnectorError as exc:
        if "invalid JSON" not in str(exc) and "not UTF-8" not in str(exc):
            raise
        raise ConnectorError(f"{url}: not a CKAN API answer (is {portal} a CKAN portal?)") \
            from exc
    if not isinstance(body, dict) or "success" not in body:
        raise ConnectorError(f"{url}: not a CKAN API answer")
    if not body["success"]:
        error = body.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise ConnectorError(f"{url}: CKAN error: {message or 'unknown'}")
    result = body.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("resources"), list):
        raise ConnectorError(f"{url}: package_show result has no resources")
    return result


def resource_url(portal: str, dataset: str, formats: tuple[str, ...],
                 name_hint: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """URL of the first resource of ``dataset`` in one of ``formats`` (case-insensitive).

    ``name_hint`` prefers resources whose name or URL contains it (e.g. ``4326`` to pick
    the WGS84 export when the portal also publishes a projected one).
    """
    package = package_show(portal, dataset, timeout=timeout)
    wanted = {f.lower() for f in formats}
    candidates = [r for r in package["resources"]
                  if isinstance(r, dict) and str(r.get("format", "")).lower() in wanted
                  and r.get("url")]
    if name_hint:
        hinted = [r for r in candidates
                  if name_hint.lower() in (str(r.get("name", "")) + str(r["url"])).lower()]
        candidates = hinted or candidates
    if not candidates:
        found = sorted({str(r.get("format")) for r in package["resources"] if isinstance(r, dict)})
        raise ConnectorError(f"dataset {dataset} on {portal} has no {'/'.join(formats)} "
                             f"resource (formats found: {', '.join(found) or 'none'})")
    return str(candidates[0]["url"])
