"""Render the front proxy's configuration from deploy/*.template (no hand-edited copies).

``render()`` writes ``nginx.conf`` and ``proxy.conf`` into a prefix folder (with the
log and temp folders nginx needs), filling in the public address, the app hosts
(``down`` ones stay listed but get no traffic: a rolling switch drains a host that
way) and the security headers of dashboards/security.py, so the proxy's own error
pages carry exactly the app's headers. ``python -m deploy.render --help``.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

from dashboards.security import DATA_POLICY, STATIC_HEADERS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENV_DOWNLOAD_CONNECTIONS = "PONMETRO_DOWNLOAD_CONNECTIONS"
DEFAULT_DOWNLOAD_CONNECTIONS = 4
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every ``{{name}}``; a placeholder without a value is an error, not a blank."""
    missing = sorted(set(_PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for placeholder(s): {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def security_headers() -> str:
    headers = {"Content-Security-Policy": DATA_POLICY, **STATIC_HEADERS}
    return "\n".join(f'            add_header {name} "{value}" always;'
                     for name, value in headers.items())


def upstream_lines(hosts: Sequence[str], down: Iterable[str] = ()) -> str:
    if not hosts:
        raise ValueError("at least one app host is needed")
    down = set(down)
    return "\n".join(f"        server {host} max_fails=1 fail_timeout=5s"
                     f"{' down' if host in down else ''};" for host in hosts)


def _reachable_by_others(folder: Path) -> bool:
    """Can a process of another user (nginx's workers) read the files below ``folder``?"""
    if any(not parent.stat().st_mode & 0o001 for parent in (folder, *folder.parents)):
        return False
    return all(path.stat().st_mode & (0o001 if path.is_dir() else 0o004)
               for path in folder.rglob("*"))


def render(prefix: Path, listen: str, hosts: Sequence[str], down: Iterable[str] = (),
           assets: Path = ROOT / "assets", download_connections: int | None = None) -> Path:
    """Write the configuration under ``prefix``; returns the path of nginx.conf."""
    prefix = Path(prefix).resolve()
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    if download_connections is None:
        download_connections = int(os.environ.get(ENV_DOWNLOAD_CONNECTIONS,
                                                  DEFAULT_DOWNLOAD_CONNECTIONS))
    user = ""
    if os.geteuid() == 0:  # never run nginx's workers as root
        user = "user nobody nogroup;"
        nobody = pwd.getpwnam("nobody")
        for folder in (prefix, *prefix.parents):
            if not folder.stat().st_mode & 0o001:
                raise PermissionError(f"nginx's workers (user nobody) cannot reach {prefix}: "
                                      f"{folder} is not searchable by others (chmod o+x)")
    for name in (*(f"tmp/{t}" for t in _TEMP_DIRS), "cache"):
        folder = prefix / name
        folder.mkdir(parents=True, exist_ok=True)
        if user:
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    assets = Path(assets).resolve()
    if user and not _reachable_by_others(assets):
        # A checkout in a private folder (e.g. mode 0700): serve a copy from the prefix,
        # which the workers can reach, rather than widening the checkout's permissions.
        shutil.copytree(assets, prefix / "assets", dirs_exist_ok=True)
        assets = prefix / "assets"
    values = {
        "user": user, "worker_processes": "auto", "prefix": str(prefix), "listen": listen,
        "upstreams": upstream_lines(hosts, down), "assets": str(assets),
        "security_headers": security_headers(),
        "download_connections": str(int(download_connections)),
    }
    for name in ("nginx.conf", "proxy.conf"):
        text = fill((HERE / f"{name}.template").read_text("utf-8"), values)
        (prefix / name).write_text(text, "utf-8")
    return prefix / "nginx.conf"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", required=True, type=Path)
    parser.add_argument("--listen", required=True, help="e.g. 0.0.0.0:8050")
    parser.add_argument("--host", action="append", required=True, dest="hosts",
                        help="app host (repeat): 127.0.0.2:8001 or unix:/run/app.sock")
    parser.add_argument("--down", action="append", default=[], help="host to drain")
    args = parser.parse_args(argv)
    print(render(args.prefix, args.listen, args.hosts, args.down))


if __name__ == "__main__":
    main()
