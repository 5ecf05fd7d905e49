"""The Italian catalogue covers every message the council pages show, with the same
placeholders, and numbers and dates follow the locale (no ``make`` needed: Babel reads
the .po files directly, and this test extracts the msgids from the source)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from dashboards import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "dashboards" / "translations" / "it" / "LC_MESSAGES" / "messages.po"
#: The dashboards' own modules (pages of other areas have their own catalogues).
SOURCES = ["dashboards/app.py", "dashboards/shell.py", "dashboards/components/*.py", "dashboards/pages/home.py",
           "dashboards/pages/axis.py",
           "dashboards/pages/housing.py", "dashboards/pages/social.py",
           "dashboards/pages/mobility.py", "dashboards/pages/not_found_404.py"]
KEYWORDS = {"_": None, "N_": None, "t": (2,)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def used_msgids() -> set[str]:
    ids: set[str] = set()
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            for _line, msgid, _comments, _ctx in extract_from_file("python", str(path),
                                                                 keywords=KEYWORDS):
                ids.add(msgid)
    from dashboards.components import charts, frame, specs, timeline  # noqa: F401 - registers

    for spec in charts.REGISTRY.values():
        ids.update([spec.title, *spec.columns.values()])
    ids.update(label for _path, label in frame.NAV + frame.LEGAL)
    return {i for i in ids if i}


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    with PO.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale="it") if m.id}


def test_every_message_has_an_italian_translation(catalogue):
    ids = used_msgids()
    assert len(ids) > 150
    missing = sorted(i for i in ids if not catalogue.get(i))
    assert missing == [], f"add to {PO.name}: {missing}"


def test_translations_keep_their_placeholders(catalogue):
    wrong = {k: v for k, v in catalogue.items()
             if sorted(PLACEHOLDER.findall(k)) != sorted(PLACEHOLDER.findall(v))}
    assert wrong == {}


def test_translator_and_locale_formats():
    assert i18n.translator("it")("Housing") == "Abitare"
    assert i18n.translator("en")("Housing") == "Housing"
    assert i18n.translator("<script>")("Housing") == "Abitare"  # unknown -> Italian
    assert i18n.fmt_number(1234.5, "it", 1) == "1.234,5"
    assert i18n.fmt_number(1234.5, "en", 1) == "1,234.5"
    assert i18n.fmt_eur(1_000_000, "it") == "1.000.000 €"
    assert i18n.fmt_percent(0.456, "it") == "46%"
    assert i18n.fmt_month(date(2023, 1, 1), "it") == "gen 2023"
    assert i18n.fmt_month(date(2023, 1, 1), "en") == "Jan 2023"


@pytest.mark.parametrize(("lang", "params", "expected"), [
    ("it", {}, "/housing"),
    ("en", {}, "/housing?lang=en"),
    ("en", {"municipio": 3, "nil": None, "year": "all"}, "/housing?lang=en&municipio=3"),
    ("xx", {"q": "a&b=c"}, "/housing?q=a%26b%3Dc"),
])
def test_internal_links_keep_the_language(lang, params, expected):
    assert i18n.localized_href("/housing", lang, **params) == expected


def test_whole_numbers_format_as_babel_does():
    """The shortcut for integers gives Babel's own grouping and minus sign."""
    import random

    from dashboards.i18n import _number_format, fmt_number

    rng = random.Random(14)
    values = [0, 1, -1, 999, -999, 1000, -1000, 1234567, -1234567, 10**18, -(10**18),
              2**63 - 1, -(2**63)] + [rng.randint(-10**12, 10**12) for _ in range(2000)]
    for lang in ("it", "en"):
        pattern, locale = _number_format(lang, 0, False)
        for value in values:
            assert fmt_number(value, lang) == pattern.apply(value, locale), (lang, value)
    assert fmt_number(1234567, "it") == "1.234.567"
    assert fmt_number(-1234567, "en") == "-1,234,567"
    assert fmt_number(1234.5, "it", 1) == "1.234,5"  # not an integer: Babel, as before
