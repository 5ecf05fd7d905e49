"""No English UI string on an Italian page, no Italian one on an English page.

Walks the rendered pages in headless Debian Chromium and collects every string a reader
meets: text (also inside closed data tables and Plotly's SVG legends and axis titles),
``aria-label``/``title``/``alt``, and from each chart's figure the trace names, hover
texts, axis titles and annotations. Each string and its parts (split at " – ", ": ",
"<br>", " · ") is compared with the translation catalogues: on an Italian page no part
may be the English msgid of a message whose Italian differs, and vice versa. Fragments
marked with another ``lang`` attribute are skipped (they are labelled, as WCAG asks).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from babel.messages.pofile import read_po

from tests.browser.conftest import settle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/", "/axis/2", "/axis/4", "/projects/MI4.1.1.c", "/projects/MI2.2.3.a", "/housing",
         "/social", "/mobility", "/reporting?as_of=2021-06-30"]
_SPLIT = re.compile(r"<br>|\n| – | · |: |; ")
_TRAILING = re.compile(r"[\s\d.,:;%€()*+–-]+$")
_LEADING = re.compile(r"^[^\w(]+")

COLLECT = """() => {
  const pageLang = document.documentElement.lang;
  const out = [];
  const foreign = el => { const l = el && el.closest('[lang]'); return l && l.lang !== pageLang; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(parent.tagName)) continue;
    if (foreign(parent)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label],[title],[alt],[placeholder]')) {
    if (foreign(el)) continue;
    for (const a of ['aria-label', 'title', 'alt', 'placeholder']) {
      const v = el.getAttribute(a); if (v) out.push(v.trim());
    }
  }
  const strings = v => (Array.isArray(v) ? v : [v]).filter(s => typeof s === 'string');
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    for (const t of (gd.data || [])) {
      for (const k of ['name', 'hovertemplate', 'hovertext', 'text']) out.push(...strings(t[k]));
    }
    const l = gd.layout || {};
    for (const k of Object.keys(l)) {
      if (/^[xy]axis/.test(k) && l[k] && l[k].title) out.push(...strings(l[k].title.text || l[k].title));
    }
    for (const a of (l.annotations || [])) out.push(...strings(a.text));
    if (l.title) out.push(...strings(l.title.text || l.title));
  }
  return out;
}"""


def _catalogue_sets() -> tuple[set[str], set[str]]:
    """(English-only strings, Italian-only strings): a string that is a msgid somewhere
    and a translation elsewhere is valid in both languages and proves nothing."""
    ids, strings, english, italian = set(), set(), set(), set()
    for po in sorted((ROOT / "dashboards" / "translations" / "it" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for m in read_po(fh, locale="it"):
                if not m.id or not m.string or m.fuzzy:
                    continue
                ids.add(str(m.id))
                strings.add(str(m.string))
                if str(m.id) != str(m.string):
                    english.add(str(m.id))
                    italian.add(str(m.string))
    return english - strings, italian - ids


ENGLISH, ITALIAN = _catalogue_sets()


def parts(text: str) -> set[str]:
    """The string, its parts, and each without trailing numbers or symbols."""
    out = {text}
    for piece in _SPLIT.split(text):
        piece = piece.strip()
        if piece:
            out |= {piece, _TRAILING.sub("", _LEADING.sub("", piece)).strip()}
    return {p for p in out if len(p) > 1}


def wrong_language(strings: list[str], lang: str) -> list[str]:
    other = ENGLISH if lang == "it" else ITALIAN
    return sorted({p for s in strings for p in parts(s) if p in other})


def test_catalogue_comparison_catches_both_directions():
    assert "Committed (cumulative)" in ENGLISH and "Impegnato (cumulato)" in ITALIAN
    assert wrong_language(["Impegnato (cumulato)", "Asse 2 – 12%"], "it") == []
    assert wrong_language(["Committed (cumulative)"], "it") == ["Committed (cumulative)"]
    assert wrong_language(["Projects: 4 – Status"], "it") == ["Projects", "Status"]
    assert wrong_language(["Fine prevista: 30 giu 2023<br>Stato di rischio: ✖ Rosso"],
                          "en") == ["Fine prevista", "Rosso", "Stato di rischio"]


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("route", PAGES)
def test_page_speaks_one_language(page, live_server, route, lang):
    url = live_server + route + ("" if lang == "it" else ("&" if "?" in route else "?")
                                 + "lang=en")
    if route.startswith("/reporting"):  # warm the report cache (the page renders the same report)
        requests.get(live_server + "/reporting/download", timeout=300,
                     params={"as_of": "2021-06-30", "file": "table6"})
    settle(page, url)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".every(gd => gd.data !== undefined)")
    strings = page.evaluate(COLLECT)
    assert len(strings) > 20
    bad = wrong_language(strings, lang)
    assert not bad, f"{route} ({lang}): {bad}"
