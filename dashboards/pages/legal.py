"""Legal notes, privacy policy and accessibility statement (short, bilingual)."""

from __future__ import annotations

from dash import dcc, html

from dashboards import shell
from dashboards.i18n import localized_href, resolve_lang

TEXTS = {
    "legal": {
        "it": ("Note legali", [
            "I contenuti e i dati di questo sito sono pubblicati dal Comune di Milano nell'ambito "
            "del Programma Operativo Nazionale Città Metropolitane 2014-2020 (PON Metro).",
            "Salvo dove diversamente indicato, i dati sono rilasciati con licenza Creative "
            "Commons Attribuzione 4.0 Internazionale (CC BY 4.0): si possono riutilizzare "
            "citando la fonte «Comune di Milano – PON Metro».",
            "I dati dimostrativi (segnalati in ogni pagina) sono sintetici e non descrivono "
            "persone, luoghi o progetti reali."]),
        "en": ("Legal notes", [
            "The content and data of this site are published by the City of Milan under the "
            "National Operational Programme for Metropolitan Cities 2014-2020 (PON Metro).",
            "Unless stated otherwise, the data are released under the Creative Commons "
            "Attribution 4.0 International licence (CC BY 4.0): reuse them crediting "
            "\"Comune di Milano – PON Metro\".",
            "Demo data (labelled on every page) are synthetic and describe no real person, "
            "place or project."]),
    },
    "privacy": {
        "it": ("Informativa sulla privacy", [
            "Questo sito non usa cookie di profilazione né strumenti di tracciamento di terze "
            "parti e non carica risorse da server esterni.",
            "I dati sui servizi sociali sono pubblicati solo in forma aggregata: le celle con "
            "meno di 5 persone (da 1 a 4) sono oscurate, secondo le regole deontologiche Sistan.",
            "Titolare del trattamento: Comune di Milano. Per esercitare i diritti previsti dal "
            "Regolamento (UE) 2016/679 rivolgersi al Responsabile della protezione dei dati."]),
        "en": ("Privacy policy", [
            "This site sets no profiling cookies, uses no third-party tracking and loads nothing "
            "from external servers.",
            "Social-services data are published only as aggregates: cells of fewer than 5 "
            "people (1 to 4) are suppressed, following the Sistan code of conduct.",
            "Data controller: City of Milan. To exercise your rights under Regulation (EU) "
            "2016/679 contact the Data Protection Officer."]),
    },
    "accessibility": {
        "it": ("Dichiarazione di accessibilità", [
            "Il Comune di Milano si impegna a rendere questo sito accessibile, conformemente "
            "alla legge 4/2004 e alle Linee guida AgID (requisiti della norma EN 301 549, "
            "WCAG 2.1 livello AA).",
            "Stato di conformità: parzialmente conforme. Ogni grafico ha una tabella dei dati "
            "come alternativa testuale e i dati scaricabili in CSV e XLSX; le mappe hanno un "
            "elenco equivalente.",
            "Meccanismo di feedback: è possibile segnalare problemi di accessibilità al "
            "Comune di Milano; in caso di risposta insoddisfacente ci si può rivolgere al "
            "Difensore civico per il digitale di AgID.",
            "La dichiarazione è compilata sul modello AgID (form.agid.gov.it) e riesaminata "
            "ogni anno entro il 23 settembre."]),
        "en": ("Accessibility statement", [
            "The City of Milan is committed to making this site accessible, in line with Law "
            "4/2004 and the AgID guidelines (requirements of EN 301 549, WCAG 2.1 level AA).",
            "Compliance status: partially compliant. Every chart has a data table as a text "
            "alternative and downloadable CSV and XLSX data; maps have an equivalent list.",
            "Feedback: accessibility problems can be reported to the City of Milan; if the "
            "answer is unsatisfactory, contact AgID's Digital Ombudsman (Difensore civico "
            "per il digitale).",
            "The statement follows the AgID model (form.agid.gov.it) and is reviewed every year "
            "by 23 September."]),
    },
}


def _page(kind: str):
    def layout(lang=None, **_query):
        lang = resolve_lang(lang)
        heading, paragraphs = TEXTS[kind][lang]
        return html.Article([html.H1(heading), *[html.P(p) for p in paragraphs],
                             html.P(dcc.Link("Home", href=localized_href("/", lang)))])
    return layout


def _heading(kind: str):
    return lambda lang, **_: TEXTS[kind][lang][0]


def _summary(kind: str):
    return lambda lang, **_: TEXTS[kind][lang][1][0]


for _kind, _path, _name in (("legal", "/note-legali", "Legal notes"),
                            ("privacy", "/privacy", "Privacy"),
                            ("accessibility", "/accessibilita", "Accessibility statement")):
    shell.register_page(_kind, path=_path, title=_heading(_kind), description=_summary(_kind),
                   layout=_page(_kind), name=_name)
