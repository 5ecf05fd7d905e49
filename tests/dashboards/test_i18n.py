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


def _babel(value, lang: str, decimals: int) -> str:
    """Babel's own text for the pattern fmt_number stands for (the reference)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale={"it": "it_IT", "en": "en_GB"}[lang])


def test_decimal_numbers_format_as_babel_does():
    """Non-integers skip Babel's pattern machinery and still give its text, digit for digit:
    random magnitudes, both signs, half-way cases (Babel rounds the shortest decimal text
    half to even: 2.675 -> 2,68 though the binary float is below it), values that round to
    zero (sign kept, as Babel does), integers asked with decimals, and sizes near the limit."""
    import random

    from dashboards.i18n import fmt_number

    rng = random.Random(141)
    values = [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 0.135, 0.145, 0.155, 2.675, 1.005,
              -1.005, 0.045, 9.995, 9.994999, 99.5, 999.5, 1234.5, -1234.5, 0.001, -0.001,
              -0.004, 1e-7, -1e-9, 5e-324, 123456789.125, 999999999999999.9, -999999999999999.9,
              1e14 + 0.5, 3, -7, 0, 10**14, 1 / 3, 2 / 3, -2 / 3, 0.1 + 0.2]
    values += [rng.uniform(-10, 10) for _ in range(1500)]
    values += [rng.uniform(-1, 1) * 10 ** rng.randint(0, 14) for _ in range(1500)]
    values += [round(rng.uniform(-1000, 1000), rng.randint(0, 4)) + 0.005 for _ in range(500)]
    values += [rng.randint(-10**6, 10**6) / 8 for _ in range(500)]  # exact binary halves
    for lang in ("it", "en"):
        for decimals in (0, 1, 2, 3):
            for value in values:
                assert fmt_number(value, lang, decimals) == _babel(value, lang, decimals), \
                    (lang, decimals, value)
    assert fmt_number(2.675, "it", 2) == "2,68"
    assert fmt_number(-0.001, "en", 2) == "-0.00"
    assert fmt_number(-1234.5, "it", 1) == "-1.234,5"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 1e15, -1e15,
                                   1.5e20, 1e300])
def test_numbers_outside_the_shortcut_are_babels(value):
    """NaN, infinities and huge values go to Babel itself (same text, or same error)."""
    from dashboards.i18n import fmt_number

    for lang in ("it", "en"):
        for decimals in (0, 2):
            try:
                expected = _babel(value, lang, decimals)
            except Exception as exc:  # Babel cannot round it: neither can the table
                with pytest.raises(type(exc)):
                    fmt_number(value, lang, decimals)
            else:
                assert fmt_number(value, lang, decimals) == expected
    assert fmt_number(None, "it", 2) == "–"


def test_dates_are_kept_per_value_and_language():
    """Formatted dates are cached per value: the same date in the other language, or a
    datetime at midnight of the same day, must not get the cached text of another."""
    from datetime import datetime

    from babel.dates import format_date, format_datetime

    day, moment = date(2023, 1, 1), datetime(2023, 1, 1, 0, 0)
    assert i18n.fmt_month(day, "it") == format_date(day, "MMM y", locale="it_IT")
    assert i18n.fmt_month(day, "en") == format_date(day, "MMM y", locale="en_GB")
    assert i18n.fmt_date(day, "en") == format_date(day, "medium", locale="en_GB")
    assert i18n.fmt_date(moment, "en") == format_datetime(moment, "medium", locale="en_GB")
    assert i18n.fmt_date(moment, "en") != i18n.fmt_date(day, "en")
    assert i18n.fmt_date(day, "xx") == format_date(day, "medium", locale="it_IT")
