"""deploy/render.py: the proxy configuration comes from the templates, and nginx accepts it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from dashboards.security import DATA_POLICY, STATIC_HEADERS
from deploy import render as proxy
from tests.deploy.topology import NGINX, reachable_folder


def nginx_accepts(conf) -> subprocess.CompletedProcess:
    prefix = conf.parent
    return subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf),
                           "-e", str(prefix / "logs" / "error.log")],
                          capture_output=True, text=True)


def test_rendered_configuration_is_valid_nginx(prod_tools):
    prefix = reachable_folder("render")
    hosts = ["127.0.0.2:8001", "127.0.0.3:8001", "unix:/run/ponmetro/app.sock"]
    try:
        conf = proxy.render(prefix, "127.0.0.1:8080", hosts, down=["127.0.0.3:8001"],
                            download_connections=7)
        text = conf.read_text()
        checked = nginx_accepts(conf)
        proxy_conf = (prefix / "proxy.conf").read_text()
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    assert checked.returncode == 0, checked.stderr
    assert "{{" not in text and "{{" not in proxy_conf
    assert "server 127.0.0.2:8001 max_fails=1 fail_timeout=5s;" in text
    assert "server 127.0.0.3:8001 max_fails=1 fail_timeout=5s down;" in text
    assert "limit_conn downloads 7;" in text and "listen 127.0.0.1:8080" in text
    # one source for the headers: the app's own, on the proxy's error pages and assets
    for name, value in {"Content-Security-Policy": DATA_POLICY, **STATIC_HEADERS}.items():
        assert text.count(f'add_header {name} "{value}" always;') == 2, name


def test_missing_value_and_no_host_are_errors():
    with pytest.raises(KeyError, match="listen"):
        proxy.fill("listen {{listen}}; {{port}}", {"port": "1"})
    with pytest.raises(ValueError, match="at least one app host"):
        proxy.upstream_lines([])


@pytest.mark.skipif(os.geteuid() != 0, reason="workers drop to nobody as root")
def test_unreachable_folder_is_refused_with_the_reason(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(PermissionError, match="not searchable by others"):
        proxy.render(private / "run", "127.0.0.1:8080", ["127.0.0.2:8001"])


@pytest.mark.skipif(os.geteuid() != 0, reason="workers drop to nobody as root")
def test_assets_in_a_private_checkout_are_served_from_a_copy(prod_tools, tmp_path):
    """A checkout in a folder only root can enter: nginx's workers get a copy to serve."""
    private = tmp_path / "checkout"
    private.mkdir(mode=0o700)
    assets = private / "assets"
    shutil.copytree(proxy.ROOT / "assets", assets)
    prefix = reachable_folder("render-private")
    try:
        conf = proxy.render(prefix, "127.0.0.1:8080", ["127.0.0.2:8001"], assets=assets)
        text = conf.read_text()
        checked = nginx_accepts(conf)
        copied = sorted(p.relative_to(prefix / "assets") for p in (prefix / "assets").rglob("*"))
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    assert checked.returncode == 0, checked.stderr
    assert f"alias {prefix / 'assets'}/;" in text and str(private) not in text
    assert copied == sorted(p.relative_to(assets) for p in assets.rglob("*"))
