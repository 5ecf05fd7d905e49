"""Do the hash lock files still match pyproject.toml? `check` says so; `stamp` records it.

`make lock` resolves pyproject.toml into requirements.lock (run) and
requirements-test.lock (run + test extra) with uv, then stamps each lock with a digest of
the requirement list it was resolved from. `check` recomputes that digest from the current
pyproject.toml, so a dependency added, removed or re-ranged without `make lock` is caught
offline, whatever PyPI holds on the day. It also checks that every requirement is pinned
and, when `packaging` is importable (always in the venv; a bare Debian python may lack it),
that each pin satisfies its range.

Standard library only, so the Makefile can run it before anything is installed.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# lock file -> the optional-dependency groups resolved into it, besides the main ones
LOCKS: dict[str, tuple[str, ...]] = {
    "requirements.lock": (),
    "requirements-test.lock": ("test",),
}
DIGEST_LINE = "# pyproject-digest: "
FIX = "run `make lock` and commit requirements.lock and requirements-test.lock"
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def canonical(name: str) -> str:
    """PEP 503 name, so `Flask_Caching` in a lock matches `flask-caching` in pyproject."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(project: dict, extras: tuple[str, ...]) -> list[str]:
    """The requirement strings a lock is resolved from, in pyproject order."""
    found = list(project.get("dependencies", []))
    for extra in extras:
        found += project.get("optional-dependencies", {}).get(extra, [])
    return found


def digest(project: dict, extras: tuple[str, ...]) -> str:
    """Order- and whitespace-insensitive digest of what the resolver was asked for."""
    lines = sorted("".join(r.split()) for r in requirements(project, extras))
    lines.append("requires-python " + project.get("requires-python", ""))
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def pins(text: str) -> dict[str, str]:
    """Canonical name -> pinned version, from a `name==version \\` lock."""
    return {canonical(name): version for name, version in _PIN.findall(text)}


def _load(root: Path) -> dict:
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _range_problems(lock: str, reqs: list[str], pinned: dict[str, str]) -> list[str]:
    try:
        from packaging.requirements import Requirement
    except ImportError:  # bare interpreter: the digest already proves the lock is current
        return []
    out = []
    for text in reqs:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = pinned.get(canonical(req.name))
        if version is not None and not req.specifier.contains(version, prereleases=True):
            out.append(f"{lock}: {req.name}=={version} does not satisfy `{text}`; {FIX}")
    return out


def problems(root: Path = ROOT) -> list[str]:
    """Every way the locks disagree with pyproject.toml, each naming the fix."""
    project = _load(root)
    out = []
    for lock, extras in LOCKS.items():
        path = root / lock
        if not path.exists():
            out.append(f"{lock} is missing; {FIX}")
            continue
        text = path.read_text(encoding="utf-8")
        recorded = next(
            (ln[len(DIGEST_LINE):].strip() for ln in text.splitlines() if ln.startswith(DIGEST_LINE)),
            None,
        )
        if recorded != digest(project, extras):
            out.append(
                f"{lock} was not generated from the dependencies now in pyproject.toml "
                f"(recorded {recorded}, expected {digest(project, extras)}); {FIX}"
            )
        reqs = requirements(project, extras)
        pinned = pins(text)
        for req in reqs:
            name = _NAME.match(req).group(1)
            if ";" not in req and canonical(name) not in pinned:
                out.append(f"{lock}: `{req}` from pyproject.toml is not pinned; {FIX}")
        out += _range_problems(lock, reqs, pinned)
    return out


def stamp(root: Path = ROOT) -> None:
    """Record in each lock the digest of the requirement list it was just resolved from."""
    project = _load(root)
    for lock, extras in LOCKS.items():
        path = root / lock
        kept = [
            ln for ln in path.read_text(encoding="utf-8").splitlines()
            if not ln.startswith(DIGEST_LINE)
        ]
        path.write_text(
            "\n".join([DIGEST_LINE + digest(project, extras), *kept]) + "\n", encoding="utf-8"
        )


def main(argv: list[str]) -> int:
    if argv == ["stamp"]:
        stamp()
        return 0
    if argv == ["check"]:
        found = problems()
        for line in found:
            print(f"lock check: {line}", file=sys.stderr)
        return 1 if found else 0
    print("usage: python tools/lockfile.py check|stamp", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
