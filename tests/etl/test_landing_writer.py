"""One landing writer: the demo generator and the connectors write the same way."""

from __future__ import annotations

import polars as pl


def test_one_landing_writer_for_demo_and_connectors(tmp_path):
    """The demo writes through the connectors' Landing (one manifest format, one MANIFEST
    name), and stays deterministic: same bytes twice, no lock or fetch time left behind."""
    from etl.connectors.landing import MANIFEST, Landing
    from etl.demo import DemoContext

    outputs = []
    for run in ("a", "b"):
        ctx = DemoContext(out=tmp_path / run)
        ctx.landing.start_manifest({"generator": "test"})
        ctx.write_csv("x/rows.csv", pl.DataFrame({"v": [1, 2]}), source="s",
                      separator=";")
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / run).rglob("*")
                        if p.is_file()})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {MANIFEST, "rows.csv"}
    assert outputs[0]["rows.csv"] == b"v\n1\n2\n"
    entry = Landing(tmp_path / "a").read_manifest()["files"]["x/rows.csv"]
    assert entry == {"synthetic": True, "source": "s", "rows": 2}
