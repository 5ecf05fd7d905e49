"""Validate GBFS files against the official MobilityData JSON Schemas.

The schemas come from the ``gbfs-validator`` package (MIT), which bundles the official
Draft-07 schemas for every GBFS version; ``jsonschema``'s Draft7Validator with a
FormatChecker applies them. A file that fails is refused with its first error (the
JSON path and the reason) and the total count, so the operator sees what broke.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft7Validator, FormatChecker

from etl.connectors.errors import ConnectorError


class GbfsValidationError(ConnectorError):
    """A GBFS file does not conform to the official schema of its version."""


def schema_root() -> Path:
    return Path(str(resources.files("gbfs_validator") / "data" / "schemas"))


def supported_versions() -> tuple[str, ...]:
    return tuple(sorted(p.name.removeprefix("v") for p in schema_root().iterdir() if p.is_dir()))


@cache
def _validator(version: str, feed: str, root: str) -> Draft7Validator:
    path = Path(root) / f"v{version}" / f"{feed}.json"
    if not path.exists():
        known = ", ".join(supported_versions()) if Path(root) == schema_root() else root
        raise GbfsValidationError(f"no official schema for GBFS {version} feed {feed!r} "
                                  f"(versions known: {known})")
    return Draft7Validator(json.loads(path.read_text("utf-8")), format_checker=FormatChecker())


def _where(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") \
        or "(top level)"


def validate(document: object, feed: str, source: str, *, version: str | None = None,
             schemas: Path | None = None) -> str:
    """Validate one GBFS file; return its version or raise :class:`GbfsValidationError`.

    ``version`` defaults to the file's own ``version`` field; ``schemas`` points at
    another copy of the official schemas (tests compare both).
    """
    if not isinstance(document, dict):
        raise GbfsValidationError(f"{source}: GBFS {feed} must be a JSON object")
    version = version or document.get("version")
    if not isinstance(version, str):
        raise GbfsValidationError(f"{source}: GBFS {feed} has no 'version' field "
                                  "(GBFS 1.x is deprecated and not accepted)")
    validator = _validator(version, feed, str(schemas or schema_root()))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise GbfsValidationError(f"{source}: GBFS {version} {feed} fails the official schema "
                                  f"at {_where(first.absolute_path)}: {first.message}{more}")
    return version
