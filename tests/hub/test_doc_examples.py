"""The examples of docs/open-data.md ("Standard clients") run against a live gunicorn."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"
BIN = Path(sys.executable).parent


def examples() -> list[tuple[str, str]]:
    text = DOC.read_text("utf-8")
    section = text.split("<!-- examples:begin -->", 1)[1].split("<!-- examples:end -->", 1)[0]
    return re.findall(r"```(python|sh)\n(.*?)```", section, re.S)


def test_the_doc_has_an_example_per_client():
    blocks = "".join(code for _, code in examples())
    for client in ("RemoteCKAN", "ckanapi action", "owslib", "ogrinfo", "curl"):
        assert client in blocks, client


@pytest.mark.parametrize("kind, code", examples(), ids=lambda v: v[:40] if len(v) > 6 else v)
def test_example_runs(hub, kind, code):
    code = code.replace("http://localhost:8050", hub)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    command = [str(BIN / "python"), "-c", code] if kind == "python" else \
        ["bash", "-euo", "pipefail", "-c", code]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip(), "the example printed nothing"
    assert "Traceback" not in run.stderr
