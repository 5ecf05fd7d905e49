"""Italian first, English on request: gettext catalogues read with Babel.

Message ids in code are English; Italian lives in
``translations/it/LC_MESSAGES/<domain>.po`` (one catalogue per area of the app,
so each area owns its own file). Catalogues are read once at import with
Babel's PO reader: no compile step, nothing to forget in deployment.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _bdate
from babel.dates import format_datetime as _bdatetime
from babel.messages.pofile import read_po
from babel.numbers import (
    NumberPattern,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)

SUPPORTED = ("it", "en")
DEFAULT = "it"
_LOCALES = {"it": "it_IT", "en": "en_GB"}
_DIR = Path(__file__).parent / "translations"


def _load() -> dict[str, dict[str, str]]:
    catalogues: dict[str, dict[str, str]] = {lang: {} for lang in SUPPORTED}
    for po in sorted(_DIR.glob("*/LC_MESSAGES/*.po")):
        lang = po.parts[-3]
        with po.open("rb") as fh:
            catalogue = read_po(fh, locale=lang)
        for message in catalogue:
            if message.id and message.string and not message.fuzzy:
                catalogues.setdefault(lang, {})[str(message.id)] = str(message.string)
    return catalogues


_CATALOGUES = _load()


def resolve_lang(value: str | None) -> str:
    """Map any user-supplied value to a supported language (Italian by default)."""
    value = (value or "").strip().lower()[:2]
    return value if value in SUPPORTED else DEFAULT


def translator(lang: str | None) -> Callable[[str], str]:
    """``_ = translator(lang)``; ``_("Housing")`` gives "Abitare" in Italian."""
    table = _CATALOGUES.get(resolve_lang(lang), {})
    return lambda msgid: table.get(msgid, msgid)


@functools.lru_cache(maxsize=64)
def _number_format(lang: str, decimals: int, percent: bool) -> tuple[NumberPattern, Locale]:
    """Parsed Babel pattern and locale: tables format thousands of numbers per render."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + ("%" if percent else "")
    return parse_pattern(pattern), Locale.parse(_LOCALES[lang])


@functools.lru_cache(maxsize=8)
def _int_symbols(lang: str) -> tuple[str, str]:
    """The locale's group separator and minus sign, for integers formatted without Babel."""
    return get_group_symbol(_LOCALES[lang]), get_minus_sign_symbol(_LOCALES[lang])


@functools.lru_cache(maxsize=8)
def _separators(lang: str) -> dict[int, str]:
    """``str.translate`` table from Python's ``1,234.5`` to the locale's separators."""
    return str.maketrans({",": get_group_symbol(_LOCALES[lang]),
                          ".": get_decimal_symbol(_LOCALES[lang])})


_QUANTA = tuple(Decimal(10) ** -n for n in range(7))
#: Below this, a float's decimal text (<= 17 digits) plus 6 decimals fits Decimal's
#: 28-digit context, so rounding never overflows (Babel raises past it: left to Babel).
_FAST_LIMIT = 1e15


def _fast_decimal(value: float | int, lang: str, decimals: int) -> str:
    """Babel's ``#,##0.00`` output without its per-call pattern machinery (~1 us, not ~20).

    The same steps as ``NumberPattern.apply``: ``Decimal(str(value))``, the sign taken
    before rounding (so -0.001 reads "-0,00" as in Babel), half-even quantization in the
    default context, groups of three; tests/dashboards/test_i18n.py checks it
    against Babel on many values."""
    number = Decimal(str(value))
    text = f"{abs(number).quantize(_QUANTA[decimals]):,f}".translate(_separators(lang))
    return _int_symbols(lang)[1] + text if number.is_signed() else text


def fmt_number(value: float | int | None, lang: str | None, decimals: int = 0) -> str:
    """1.234,5 in Italian, 1,234.5 in English; an en dash for missing values.

    Tables format thousands of numbers per render and Babel's pattern costs ~20 us
    each: whole numbers are grouped directly, other finite numbers of ordinary size go
    through :func:`_fast_decimal` (same text); NaN, infinities and huge values through Babel."""
    if value is None:
        return "–"
    lang = resolve_lang(lang)
    kind = type(value)
    if decimals == 0 and kind is int:
        group, minus = _int_symbols(lang)
        text = f"{abs(value):,}".replace(",", group)
        return minus + text if value < 0 else text
    if (kind is float or kind is int) and decimals < len(_QUANTA) and \
            math.isfinite(value) and abs(value) < _FAST_LIMIT:
        return _fast_decimal(value, lang, decimals)
    pattern, locale = _number_format(lang, decimals, False)
    return pattern.apply(value, locale)


def fmt_percent(value: float | None, lang: str | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    pattern, locale = _number_format(resolve_lang(lang), decimals, True)
    return pattern.apply(value, locale)


def fmt_eur(value: float | None, lang: str | None) -> str:
    return "–" if value is None else f"{fmt_number(value, lang)} €"


def fmt_date(value: date | datetime | None, lang: str | None) -> str:
    if value is None:
        return "–"
    return _date_text(value, resolve_lang(lang), "medium", isinstance(value, datetime))


@functools.lru_cache(maxsize=1)
def _babel_locales() -> dict[str, Locale]:
    """Parsed locales: Babel's date functions parse a locale string on every call."""
    return {lang: Locale.parse(name) for lang, name in _LOCALES.items()}


@functools.lru_cache(maxsize=8192, typed=True)
def _date_text(value: date | datetime, lang: str, form: str, with_time: bool) -> str:
    """A date as text, kept per value: a table repeats the same months row after row."""
    locale = _babel_locales()[lang]
    if with_time:
        return _bdatetime(value, format=form, locale=locale)
    return _bdate(value, format=form, locale=locale)


def localized_href(path: str, lang: str | None, **params: object) -> str:
    """An internal link that keeps the language (``?lang=en``) and any given filters.

    Italian is the default, so it is left out of the URL; empty parameters are dropped.
    """
    from urllib.parse import urlencode

    query = {k: str(v) for k, v in params.items() if v not in (None, "", "all")}
    if resolve_lang(lang) != DEFAULT:
        query = {"lang": resolve_lang(lang), **query}
    return path + ("?" + urlencode(query) if query else "")


def fmt_month(value: date | None, lang: str | None) -> str:
    """"gen 2023" / "Jan 2023": month labels for time axes and tables."""
    if value is None:
        return "–"
    return _date_text(value, resolve_lang(lang), "MMM y", False)
