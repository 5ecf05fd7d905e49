"""Human labels for catalogue facet values (themes, frequencies, axes, formats)."""

from __future__ import annotations

from dashboards import formats
from dashboards.i18n import translator
from dashboards.queries import catalog


def facet_label(facet: str, value: str, lang: str) -> str:
    _ = translator(lang)
    en = lang == "en"
    if facet == "theme":
        return catalog.THEME_LABELS.get(value, (value, value))[1 if en else 0]
    if facet == "frequency":
        return catalog.FREQUENCY_LABELS.get(value, (value, value))[1 if en else 0]
    if facet == "axis":
        return f"{_('Axis')} {value}"
    if facet == "format" and (fmt := formats.get(value)) is not None:
        return fmt.tag
    return value.upper()
