"""docs/landing.md is generated from the contracts and must not drift from them."""

from pathlib import Path

from etl.domains import all_contracts
from etl.landing_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "landing.md"


def test_landing_doc_is_current():
    assert DOC.read_text("utf-8") == render(), "run: ponmetro contracts > docs/landing.md"


def test_every_contract_and_column_is_documented():
    text = render()
    for contract in all_contracts():
        assert f"`{contract.path}`" in text
        for column in contract.columns:
            assert f"| `{column.name}` |" in text
