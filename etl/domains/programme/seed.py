"""Programme reference data for Milan: axes, actions, the 28 operations and indicators.

Why a module of constants: the demo generator writes these facts to landing files
in the managing authority's format, and tests compare them with the programme
text. Provenance is explicit: ``VERIFIED_*`` facts come from public sources named
in ``SOURCE_*``; everything else (per-axis split, CUPs, dates, budgets, most
indicator codes and targets) is demo data and is labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Milan's allocation on axes 1-5 (comune.milano.it, "La strategia di Milano").
MILAN_ALLOCATION_EUR = 40_355_143.14
SOURCE_ALLOCATION = ("comune.milano.it PON Metro Milano 'La strategia di Milano' "
                     "(Milan total EUR 40,355,143.14 on axes 1-5); per-axis split is demo")
SOURCE_AXES = ("Axis codes 1-5: OpenCoesione po_linee_azioni (2014IT16M2OP004); names, funds, "
               "thematic objectives: comune.milano.it; allocation split and rates: demo")
SOURCE_ACTIONS = ("Action names: third-party transcripts of the programme, unverified against "
                  "Section 2 of the programme text")
SOURCE_PROJECTS = ("Codes, titles and descriptions: City of Milan operational plan "
                   "(PON Metro Milano projects page, updated 22/01/2024); CUP, dates, budgets, "
                   "locations: demo")
SOURCE_CO_ERDF = "Reg. (EU) 1301/2013 Annex I (unverified); target: demo"
SOURCE_CO_ESF = "Reg. (EU) 1304/2013 Annex I (unverified); target: demo"
SOURCE_IO = ("Programme-specific indicator: code and name are demo (the programme's Section "
             "2.A indicator tables are not available); target from the operational plan "
             "figures where stated, else demo")

CATEGORY_OF_REGION = "more_developed"  # Lombardy (NUTS ITC4C)


@dataclass(frozen=True)
class Axis:
    axis_id: int
    name_it: str
    name_en: str
    fund: str
    thematic_objective: str
    allocation_eur: float
    cofinancing_rate: float


#: Demo split of the Milan allocation (sums to MILAN_ALLOCATION_EUR); EU rate 50% is
#: the more-developed-region rate, unverified for this programme.
AXES: tuple[Axis, ...] = (
    Axis(1, "Agenda digitale metropolitana", "Metropolitan digital agenda", "FESR", "OT2",
         5_200_000.00, 0.5),
    Axis(2, "Sostenibilità dei servizi pubblici e della mobilità urbana",
         "Sustainability of public services and urban mobility", "FESR", "OT4",
         9_600_000.00, 0.5),
    Axis(3, "Servizi per l'inclusione sociale", "Services for social inclusion", "FSE", "OT9",
         8_900_000.00, 0.5),
    Axis(4, "Infrastrutture per l'inclusione sociale", "Infrastructure for social inclusion",
         "FESR", "OT9", 15_200_000.00, 0.5),
    Axis(5, "Assistenza tecnica", "Technical assistance", "FESR", "", 1_455_143.14, 0.5),
)

#: (action_code, axis_id, name_it, name_en)
ACTIONS: tuple[tuple[str, int, str, str], ...] = (
    ("1.1.1", 1, "Adozione di tecnologie per migliorare i servizi urbani della smart city",
     "Adoption of technologies to improve smart-city urban services"),
    ("2.2.3", 2, "Mobilità lenta", "Soft mobility"),
    ("3.1.1", 3, "Agenzia sociale per la casa / sostegno all'abitare",
     "Social housing agency / housing support"),
    ("3.2.1", 3, "Percorsi di accompagnamento alla casa per comunità emarginate",
     "Housing accompaniment paths for marginalised communities"),
    ("3.2.2", 3, "Servizi a bassa soglia per senza dimora", "Low-threshold services for homeless people"),
    ("3.3.1", 3, "Sostegno all'attivazione di nuovi servizi in aree degradate",
     "Support for new services in deprived areas"),
    ("4.1.1", 4, "Realizzazione e recupero di alloggi", "Construction and recovery of housing"),
    ("4.2.1", 4, "Recupero di immobili inutilizzati per servizi sociali",
     "Recovery of unused buildings for social services"),
    ("5.1.1", 5, "Assistenza tecnica", "Technical assistance"),
)


@dataclass(frozen=True)
class Project:
    code: str
    seed_title: str  # the heading of the project in the programme text, verbatim
    title_it: str
    title_en: str
    summary_en: str
    summary_it: str
    domain: str
    weight: float  # demo share of the axis budget
    place: str | None  # schematic neighbourhood for the demo point (None: several sites)
    address: str | None
    beneficiary: str = "Comune di Milano"


PROJECTS: tuple[Project, ...] = (
    Project("MI1.1.1.a", "Digital platform", "Quartieri Connessi: piattaforma digitale ERP",
            "Connected Neighbourhoods ERP digital platform",
            "Web platform run by MM SpA on the municipal public housing stock, for tenants, "
            "committees and citizens, linked to the 9 multifunctional spaces.",
            "Piattaforma web gestita da MM SpA sul patrimonio ERP comunale, per inquilini, "
            "comitati e cittadini, collegata ai 9 spazi multifunzionali.",
            "digital", 1.3, "Brera", "Via del Vecchio Politecnico 8", "MM SpA"),
    Project("MI1.1.1.b", "Georeferenced digital platform",
            "Piattaforma georeferenziata della residenzialità sociale temporanea",
            "Georeferenced platform of temporary social housing",
            "GIS platform mapping services and the about 1,000 temporary social-housing beds "
            "used by the city, shared with the Metropolitan City.",
            "Piattaforma GIS dei servizi e dei circa 1.000 posti letto di residenzialità "
            "sociale temporanea usati dal Comune, condivisa con la Città metropolitana.",
            "digital", 0.8, "Duomo", "Piazza della Scala 2"),
    Project("MI1.1.1.c", "Digital platform for home services",
            "WeMi: piattaforma dei servizi domiciliari", "WeMi home-services platform",
            "Collaborative platform to find and share home care, assistance and social "
            "support services.",
            "Piattaforma collaborativa per cercare e condividere servizi domiciliari di cura, "
            "assistenza e supporto sociale.",
            "digital", 1.0, "Duomo", "Piazza della Scala 2"),
    Project("MI1.1.1.d",
            "Digital services to promote the economic and social development of the "
            "Metropolitan City of Milan",
            "Servizi digitali per la Città metropolitana di Milano",
            "Digital services for the Metropolitan City",
            "Needs assessment with the metropolitan municipalities, then shared vertical "
            "(property, welfare, territorial information) and horizontal platforms.",
            "Analisi dei fabbisogni dei comuni metropolitani e piattaforme condivise "
            "verticali (patrimonio, welfare, SIT) e orizzontali.",
            "digital", 1.6, "Duomo", "Piazza della Scala 2"),
    Project("MI2.2.3.a", "Areas for Cycling Mobility", "Stazioni di bike sharing",
            "Bike-sharing stations",
            "About 28 new bike-sharing stations and 7 expanded ones, 300-400 m apart, near "
            "attractors and interchange nodes.",
            "Circa 28 nuove stazioni di bike sharing e 7 ampliate, a 300-400 m l'una "
            "dall'altra, vicino ad attrattori e nodi di interscambio.",
            "mobility", 2.2, None, None),
    Project("MI2.2.3.b", "Area for shared and sustainable mobility",
            "Aree per la mobilità condivisa", "Shared-mobility areas",
            "33 sensor-equipped sharing areas for bikes, scooters and (electric) cars, with "
            "charging, video surveillance and bay-occupancy data.",
            "33 aree attrezzate per la mobilità condivisa con sensori di occupazione, "
            "ricarica elettrica e videosorveglianza.",
            "mobility", 2.4, None, None),
    Project("MI2.2.3.c", "Cycle route - Corso Sempione", "Itinerario ciclabile Corso Sempione",
            "Cycle route Corso Sempione",
            "Cycle path and pedestrian space completing the Duomo-Sempione-Molino Dorino "
            "itinerary (EuroVelo 5 northern route).",
            "Pista ciclabile e spazi pedonali a completamento dell'itinerario "
            "Duomo-Sempione-Molino Dorino (EuroVelo 5).",
            "mobility", 1.4, "Parco Sempione", "Corso Sempione"),
    Project("MI2.2.3.d", "Cycle itinerary - Piazza Napoli Giambellino",
            "Itinerario ciclabile Piazza Napoli-Giambellino",
            "Cycle itinerary Piazza Napoli-Giambellino",
            "East-west cycle path from Piazza Napoli to the park in via Odazio, linked to the "
            "Naviglio Grande towpath and San Cristoforo station.",
            "Percorso ciclabile est-ovest da Piazza Napoli al parco di via Odazio, collegato "
            "all'alzaia del Naviglio Grande e alla stazione San Cristoforo.",
            "mobility", 1.2, "Giambellino", "Piazza Napoli - Via Odazio"),
    Project("MI2.2.3.e", "Repubblica Cycle Route – Vittor Pisani – Monte Santo – City of Fiume",
            "Itinerario ciclabile Repubblica-Vittor Pisani-Monte Santo-Città di Fiume",
            "Cycle route Repubblica-Vittor Pisani-Monte Santo-Città di Fiume",
            "Cycle circulation around Piazza della Repubblica and viale Monte Santo, with a "
            "safe crossing of the Repubblica junction.",
            "Sistema ciclabile tra Piazza della Repubblica e viale Monte Santo con "
            "attraversamento sicuro dell'incrocio.",
            "mobility", 1.3, "Garibaldi Repubblica", "Piazza della Repubblica"),
    Project("MI2.2.3.f", "Solari Tortona cycle route", "Itinerario ciclabile Solari-Tortona",
            "Cycle route Solari-Tortona",
            "Cycle route in the Solari district regeneration programme, co-funded by city and "
            "regional funds.",
            "Itinerario ciclabile nel programma di rigenerazione del quartiere Solari.",
            "mobility", 1.0, "Solari", "Via Solari - Via Tortona"),
    Project("MI3.1.1.a", "Social agency for metropolitan leasing",
            "Agenzia sociale per la locazione metropolitana", "Social agency for metropolitan leasing",
            "Nine points in the municipi of the Milano Abitare agency against housing poverty, "
            "plus at least two experimental branches in the metropolitan area.",
            "Nove punti nei municipi dell'agenzia Milano Abitare contro la povertà abitativa e "
            "almeno due sportelli sperimentali nell'area metropolitana.",
            "housing", 1.6, None, None),
    Project("MI3.1.1.b", "Social accompaniment to a community and shared housing model",
            "Accompagnamento sociale \"Abitare nel villaggio\"",
            "Social accompaniment \"Living in the village\"",
            "Accompaniment of the new tenants of the De Lemene farmhouse at building, "
            "neighbourhood and city scale to prevent arrears and rule breaches.",
            "Accompagnamento dei nuovi abitanti della cascina De Lemene a scala di edificio, "
            "quartiere e città per prevenire morosità e violazioni.",
            "housing", 0.9, "QT8", "Via De Lemene 51/55/59"),
    Project("MI3.1.1.c", "Services to people",
            "Servizi per la vita autonoma delle persone con disabilità",
            "Services for autonomous living of people with disabilities",
            "Protected residential services with individual support towards autonomy for "
            "people with intellectual and physical disabilities.",
            "Servizi residenziali protetti con sostegno individuale verso l'autonomia per "
            "persone con disabilità intellettive e fisiche.",
            "social", 1.1, None, None),
    Project("MI3.1.1.d", "Services to people",
            "Accompagnamento contro il disagio abitativo", "Accompaniment against housing hardship",
            "Individual autonomy plans, skills and socialisation activities for people housed "
            "in the temporary apartments.",
            "Progetti individuali di autonomia, educazione e socializzazione per le persone "
            "accolte negli alloggi temporanei.",
            "housing", 1.0, None, None),
    Project("MI3.2.1.a", "Social accompaniment", "Accompagnamento sociale HUB",
            "HUB social accompaniment",
            "Mediation, neighbourhood co-planning and micro-enterprise activities alongside "
            "temporary hospitality in the HUB.",
            "Mediazione, co-progettazione di quartiere e micro-imprenditorialità a supporto "
            "dell'ospitalità temporanea nell'HUB.",
            "housing", 1.0, "Lorenteggio", None),
    Project("MI3.2.2.a", "Services to people", "Servizi a bassa soglia per persone senza dimora",
            "Low-threshold services for homeless people",
            "Listening, orientation, counselling and tutoring for homeless people using "
            "dormitories, reception centres and public showers.",
            "Ascolto, orientamento, consulenza e tutoring per persone senza dimora che usano "
            "dormitori, centri di prima accoglienza e docce pubbliche.",
            "social", 1.5, "Vigentino", "Viale Ortles 69"),
    Project("MI3.3.1.a", "Services to social activities",
            "Servizi negli spazi multifunzionali (co-progettazione)",
            "Services in the multifunctional spaces (co-planning)",
            "Co-planned third-sector services in the 9 renovated spaces: social concierge, "
            "animation, community enterprise.",
            "Servizi co-progettati con il terzo settore nei 9 spazi riqualificati: portierato "
            "sociale, animazione, impresa di comunità.",
            "social", 1.0, None, None),
    Project("MI3.3.1.b", "Contributions to social innovation projects",
            "Contributi a progetti di innovazione sociale (Lorenteggio)",
            "Contributions to social-innovation projects (Lorenteggio)",
            "Start-up contributions to third-sector projects with social effects, mainly in "
            "Lorenteggio.",
            "Contributi all'avvio di progetti del terzo settore con ricadute sociali, in "
            "via prioritaria a Lorenteggio.",
            "social", 0.9, "Lorenteggio", None),
    Project("MI3.3.1.c", "Civic crowdfunding", "Crowdfunding civico", "Civic crowdfunding",
            "Co-funding of civic crowdfunding campaigns for social-innovation projects in "
            "peripheral areas.",
            "Cofinanziamento di campagne di crowdfunding civico per progetti di innovazione "
            "sociale nelle periferie.",
            "social", 0.7, None, None),
    Project("MI3.3.1.e", "HUB of inclusive innovation – New services in degraded areas",
            "Scuola dei Quartieri (HUB dell'innovazione inclusiva)",
            "Neighbourhood School (HUB of inclusive innovation)",
            "Training course on neighbourhood business ideas, then project grants of up to "
            "EUR 25,000 for the first year of activity.",
            "Percorso di formazione su idee di impresa di quartiere e poi contributi fino a "
            "25.000 euro per il primo anno di attività.",
            "social", 1.3, None, None),
    Project("MI4.1.1.a", "Property renovation", "Ristrutturazione cascina \"Abitare nel villaggio\"",
            "\"Living in the village\" farmhouse renovation",
            "Recovery of the abandoned municipal farmhouse in via De Lemene 51/55/59 as a new "
            "housing service.",
            "Recupero della cascina comunale abbandonata di via De Lemene 51/55/59 come nuovo "
            "servizio abitativo.",
            "housing", 1.6, "QT8", "Via De Lemene 51/55/59"),
    Project("MI4.1.1.b", "Property renovation", "Ristrutturazione HUB", "HUB renovation",
            "Renovation of an abandoned municipal building (about 50 beds) and about 30 "
            "housing units nearby for evicted families.",
            "Ristrutturazione di un edificio comunale abbandonato (circa 50 posti letto) e di "
            "circa 30 alloggi vicini per famiglie sfrattate.",
            "housing", 1.3, "Lorenteggio", None),
    Project("MI4.1.1.c", "Recovery of public residential buildings",
            "Recupero di alloggi ERP sfitti", "Recovery of public residential buildings",
            "Two extraordinary-maintenance contracts bringing 80 vacant public housing units "
            "in 18 complexes back to assignment.",
            "Due appalti di manutenzione straordinaria per rimettere in assegnazione 80 "
            "alloggi ERP sfitti in 18 complessi.",
            "housing", 2.0, None, None),
    Project("MI4.1.1.d", "Housing renovations", "Alloggi accessibili", "Accessible accommodations",
            "Barrier removal and home automation in about 20 municipal or Aler flats for "
            "people with disabilities.",
            "Abbattimento barriere e domotica in circa 20 alloggi comunali o Aler per persone "
            "con disabilità.",
            "housing", 0.8, None, None),
    Project("MI4.1.1.e", "Apartment renovation", "Alloggi temporanei", "Temporary apartments",
            "Renovation and furnishing of 20 regional and 10 municipal flats for housing "
            "emergencies.",
            "Ristrutturazione e arredo di 20 alloggi regionali e 10 comunali per le emergenze "
            "abitative.",
            "housing", 0.9, None, None),
    Project("MI4.2.1.a", "Redevelopment of spaces", "Riqualificazione di 9 spazi multifunzionali",
            "9 multifunctional spaces",
            "Nine ERP spaces in Crescenzago, Gorla, Niguarda, Quarto Oggiaro, Gallaratese, "
            "Quarto Cagnino, Barona and Corvetto turned into concierge and community spaces.",
            "Nove spazi ERP a Crescenzago, Gorla, Niguarda, Quarto Oggiaro, Gallaratese, "
            "Quarto Cagnino, Barona e Corvetto trasformati in portinerie e spazi di comunità.",
            "social", 1.1, None, None),
    Project("MI4.2.1.b", "Renovation of derelict buildings",
            "Ricovero Jannacci e docce pubbliche", "Jannacci shelter and public showers",
            "Maintenance and systems upgrade of the Jannacci shelter (viale Ortles 69) and of "
            "the public showers in via A. da Baggio 50 and via Pucci 3.",
            "Manutenzione e adeguamento impianti del centro Jannacci (viale Ortles 69) e delle "
            "docce pubbliche di via A. da Baggio 50 e via Pucci 3.",
            "social", 1.2, "Vigentino", "Viale Ortles 69"),
    Project("MI4.2.1.c", "Renovation of common areas", "Riqualificazione di spazi comuni",
            "Renovation of common areas",
            "Recovery of public buildings in peripheral neighbourhoods to host new local "
            "services.",
            "Recupero di edifici pubblici nei quartieri periferici per ospitare nuovi servizi "
            "di prossimità.",
            "social", 0.7, None, None),
)

#: Share of each axis allocation covered by selected operations (demo).
SELECTED_SHARE = {1: 0.985, 2: 0.97, 3: 0.99, 4: 0.975, 5: 0.0}


@dataclass(frozen=True)
class Indicator:
    code: str
    axis_id: int
    name_it: str
    name_en: str
    unit: str
    fund: str
    source: str
    verified: bool
    #: contribution of each project to the 2023 target; the target is their sum
    contributions: dict[str, float]
    kind: str = "output"


INDICATORS: tuple[Indicator, ...] = (
    Indicator("IO01", 1, "Piattaforme digitali realizzate", "Digital platforms delivered",
              "platforms", "FESR", SOURCE_IO, False,
              {"MI1.1.1.a": 1, "MI1.1.1.b": 1, "MI1.1.1.c": 1, "MI1.1.1.d": 1}),
    Indicator("IO02", 1, "Posti letto di residenzialità temporanea georeferenziati",
              "Temporary social-housing beds on the georeferenced platform", "beds", "FESR",
              SOURCE_IO, False, {"MI1.1.1.b": 1000}),
    Indicator("IO03", 2, "Stazioni di bike sharing nuove o ampliate",
              "Bike-sharing stations built or expanded", "stations", "FESR", SOURCE_IO, False,
              {"MI2.2.3.a": 35}),
    Indicator("IO04", 2, "Aree per la mobilità condivisa", "Shared-mobility areas", "areas",
              "FESR", SOURCE_IO, False, {"MI2.2.3.b": 33}),
    Indicator("IO05", 2, "Itinerari ciclabili completati", "Cycle routes completed", "routes",
              "FESR", SOURCE_IO, False,
              {"MI2.2.3.c": 1, "MI2.2.3.d": 1, "MI2.2.3.e": 1, "MI2.2.3.f": 1}),
    Indicator("CO17", 3, "Altre persone svantaggiate", "Other disadvantaged persons", "persons",
              "FSE", SOURCE_CO_ESF, False,
              {"MI3.1.1.a": 600, "MI3.1.1.b": 120, "MI3.1.1.d": 90, "MI3.2.1.a": 160,
               "MI3.3.1.a": 400}),
    Indicator("CO16", 3, "Partecipanti con disabilità", "Participants with disabilities",
              "persons", "FSE", SOURCE_CO_ESF, False, {"MI3.1.1.c": 45}),
    Indicator("CO18", 3, "Senza tetto o persone colpite da esclusione abitativa",
              "Homeless or affected by housing exclusion", "persons", "FSE", SOURCE_CO_ESF,
              False, {"MI3.2.2.a": 1200}),
    Indicator("CO22", 3, "Progetti destinati alle pubbliche amministrazioni o ai servizi "
              "pubblici", "Projects targeting public administrations or public services",
              "projects", "FSE", SOURCE_CO_ESF, False, {"MI3.1.1.a": 1}),
    Indicator("IO06", 3, "Punti dell'agenzia sociale per la locazione attivati",
              "Social housing agency points opened (9 in the municipi + 2 metropolitan)",
              "points", "FSE", SOURCE_IO, False, {"MI3.1.1.a": 11}),
    Indicator("IO07", 3, "Progetti di innovazione sociale sostenuti",
              "Social-innovation projects supported", "projects", "FSE", SOURCE_IO, False,
              {"MI3.3.1.b": 20, "MI3.3.1.c": 24, "MI3.3.1.e": 60}),
    Indicator("CO40", 4, "Abitazioni ripristinate nelle aree urbane",
              "Rehabilitated housing in urban areas", "housing units", "FESR", SOURCE_CO_ERDF,
              False, {"MI4.1.1.a": 24, "MI4.1.1.b": 30, "MI4.1.1.c": 80, "MI4.1.1.d": 20,
                      "MI4.1.1.e": 30}),
    Indicator("CO39", 4, "Edifici pubblici o commerciali costruiti o ristrutturati in aree "
              "urbane", "Public or commercial buildings built or renovated in urban areas",
              "m2", "FESR", SOURCE_CO_ERDF, False,
              {"MI4.1.1.a": 2600, "MI4.1.1.b": 1900, "MI4.2.1.a": 2250, "MI4.2.1.b": 3100,
               "MI4.2.1.c": 1400}),
    Indicator("IO08", 4, "Spazi multifunzionali riqualificati",
              "Multifunctional spaces redeveloped", "spaces", "FESR", SOURCE_IO, False,
              {"MI4.2.1.a": 9}),
    Indicator("IO09", 4, "Posti letto per l'ospitalità temporanea",
              "Beds for temporary hospitality", "beds", "FESR", SOURCE_IO, False,
              {"MI4.1.1.b": 50}),
)
