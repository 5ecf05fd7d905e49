"""The open-data catalogue: which marts are published, with their metadata.

Every published dataset is declared exactly once here: id, mart table, titles and
descriptions in Italian and English, EU theme, keywords, frequency, axis,
coverage and a data dictionary (unit and IT/EN description per column). At
build time :func:`write_catalog` reads the *actual* schema of each mart, so the
types in ``meta.dataset_columns`` always match what downloads and the API serve.
A declared dataset whose mart (or one of whose columns) is missing is skipped
with a build warning, so domains under construction never break the build; the
test suite checks that the final build publishes every declared dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from etl.calendar import ELIGIBILITY, TELEMETRY

PUBLISHER_IT = "Comune di Milano"
PUBLISHER_IPA = "c_f205"
LICENCE_ID = "CC-BY-4.0"
LICENCE_TITLE = "Creative Commons Attribution 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

SUPPRESSION_IT = (
    "Dati aggregati, nessun dato personale. Soppressione primaria: i conteggi tra 1 e 4 "
    "(tra 1 e 9 per le categorie particolari, es. disabilità) sono oscurati: valore vuoto e "
    "flag = 'c'; gli zeri sono pubblicati. Soppressione secondaria: in ogni gruppo di celle il "
    "cui totale è pubblicato o ricavabile (stesso mese o giorno) vengono oscurate altre celle "
    "finché nessuna cella nascosta può essere ricalcolata dai totali. Lo schema è stabile nel "
    "tempo, quindi il confronto tra rilasci non rivela valori.")
SUPPRESSION_EN = (
    "Aggregates only, no personal data. Primary suppression: counts from 1 to 4 (1 to 9 for "
    "special categories such as disability) are suppressed: empty value and flag = 'c'; zeros "
    "are published. Secondary suppression: in every group of cells whose total is published "
    "or derivable (same month or day) further cells are suppressed until no hidden cell can "
    "be recomputed from totals. The pattern is stable over time, so comparing releases "
    "reveals nothing.")


@dataclass(frozen=True)
class Col:
    """One column of a published dataset: unit and the IT/EN description."""

    name: str
    it: str = ""
    en: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Dataset:
    """One published dataset, backed by one mart table."""

    id: str
    table: str
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    theme: str  # EU data-theme code
    keywords: tuple[str, ...]
    frequency: str  # EU frequency code
    domain: str
    columns: tuple[Col | str, ...]
    order_by: tuple[str, ...]
    axis: int | None = None
    spatial_it: str = "Comune di Milano"
    temporal: tuple[date, date] | None = None
    lon: str | None = None  # located by point columns ...
    lat: str | None = None
    geometry: str | None = None  # ... or by a GeoJSON geometry column
    suppressed: bool = False
    extra: dict[str, str] = field(default_factory=dict)


#: Columns that mean the same thing in every dataset.
COMMON: dict[str, Col] = {c.name: c for c in (
    Col("nil_id", "Codice del NIL (Nucleo di Identità Locale); vuoto fuori dal comune",
        "NIL (local identity unit) code; empty outside the city"),
    Col("municipio_id", "Numero del municipio (1-9); vuoto fuori dal comune",
        "Municipio (district) number (1-9); empty outside the city"),
    Col("project_code", "Codice del progetto PON Metro (es. MI4.1.1.b)",
        "PON Metro project code (e.g. MI4.1.1.b)"),
    Col("axis_id", "Asse del programma (1-4)", "Programme axis (1-4)"),
    Col("lon", "Longitudine WGS84", "WGS84 longitude", "degrees"),
    Col("lat", "Latitudine WGS84", "WGS84 latitude", "degrees"),
    Col("month", "Mese (primo giorno del mese)", "Month (first day of the month)"),
    Col("date", "Giorno", "Day"),
    Col("hour", "Ora di inizio, UTC", "Start of the hour, UTC"),
    Col("name", "Nome", "Name"),
    Col("address", "Indirizzo", "Address"),
    Col("geometry", "Geometria GeoJSON (WGS84)", "GeoJSON geometry (WGS84)"),
    Col("station_id", "Identificativo della stazione bike sharing", "Bike-sharing station id"),
    Col("area_id", "Identificativo dell'area di mobilità condivisa", "Shared-mobility area id"),
    Col("site_id", "Identificativo della sede del servizio", "Service site id"),
    Col("vehicle_type_id", "Tipo di veicolo (GBFS)", "Vehicle type (GBFS)"),
    Col("indicator_code", "Codice dell'indicatore (es. CO40, IO01)",
        "Indicator code (e.g. CO40, IO01)"),
    Col("year", "Anno", "Year"),
    Col("flag", "Flag di riservatezza: 'c' = valore oscurato, altrimenti vuoto",
        "Confidentiality flag: 'c' = suppressed value, otherwise empty"),
    Col("centroid_lon", "Longitudine del centroide", "Centroid longitude", "degrees"),
    Col("centroid_lat", "Latitudine del centroide", "Centroid latitude", "degrees"),
    Col("area_m2", "Superficie", "Area", "m2"),
)}

#: Programme datasets cover the eligibility period (etl.calendar says why, not the data years).
PROGRAMME_YEARS = (ELIGIBILITY.start, ELIGIBILITY.end)
TELEMETRY_YEARS = (TELEMETRY.start, TELEMETRY.end)

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        id="nil", table="mart.nil", domain="geography", theme="REGI", frequency="IRREG",
        title_it="Nuclei di Identità Locale (NIL)",
        title_en="Local identity units (NIL)",
        description_it="Gli 88 NIL di Milano con confine, centroide, superficie e municipio.",
        description_en="Milan's 88 local identity units with boundary, centroid, area and "
                       "municipio.",
        keywords=("nil", "quartieri", "confini", "geografia"),
        columns=("nil_id", "name", "municipio_id",
                 Col("source", "Fonte del confine", "Boundary source"),
                 "centroid_lon", "centroid_lat", "area_m2", "geometry",
                 Col("is_schematic", "Vero se il confine è schematico (dati demo)",
                     "True when the boundary is schematic (demo data)")),
        order_by=("nil_id",), geometry="geometry"),
    Dataset(
        id="municipi", table="mart.municipi", domain="geography", theme="REGI",
        frequency="IRREG",
        title_it="Municipi", title_en="Municipi (city districts)",
        description_it="I 9 municipi di Milano con confine, centroide e superficie.",
        description_en="Milan's 9 municipi (districts) with boundary, centroid and area.",
        keywords=("municipi", "confini", "geografia"),
        columns=("municipio_id", "name",
                 Col("source", "Fonte del confine", "Boundary source"),
                 "centroid_lon", "centroid_lat", "area_m2", "geometry",
                 Col("is_schematic", "Vero se il confine è schematico (dati demo)",
                     "True when the boundary is schematic (demo data)")),
        order_by=("municipio_id",), geometry="geometry"),
    Dataset(
        id="projects", table="mart.projects", domain="programme", theme="GOVE",
        frequency="QUARTERLY", temporal=PROGRAMME_YEARS,
        title_it="Progetti PON Metro 2014-2020 a Milano",
        title_en="PON Metro 2014-2020 projects in Milan",
        description_it="Anagrafica dei progetti del programma: azione, asse, stato, date, "
                       "costo, finanziamento UE, impegni e pagamenti, localizzazione.",
        description_en="Register of the programme's projects: action, axis, status, dates, "
                       "cost, EU financing, commitments and payments, location.",
        keywords=("pon metro", "progetti", "fondi europei", "coesione"),
        columns=("project_code",
                 Col("cup", "Codice Unico di Progetto (CUP)", "Unique project code (CUP)"),
                 Col("action_code", "Codice dell'azione (es. 4.1.1)", "Action code (e.g. 4.1.1)"),
                 "axis_id",
                 Col("title_it", "Titolo (italiano)", "Title (Italian)"),
                 Col("title_en", "Titolo (inglese)", "Title (English)"),
                 Col("description_it", "Descrizione (italiano)", "Description (Italian)"),
                 Col("description_en", "Descrizione (inglese)", "Description (English)"),
                 Col("status", "Stato: planned, in_progress, completed",
                     "Status: planned, in_progress, completed"),
                 Col("start_date", "Data di avvio", "Start date"),
                 Col("end_date_planned", "Data di fine prevista", "Planned end date"),
                 Col("end_date_actual", "Data di fine effettiva", "Actual end date"),
                 Col("budget_eur", "Costo totale", "Total cost", "EUR"),
                 Col("eu_financing_eur", "Quota di finanziamento UE", "EU financing", "EUR"),
                 Col("beneficiary", "Beneficiario", "Beneficiary"),
                 "address", "lon", "lat", "nil_id", "municipio_id",
                 Col("domain", "Ambito: digital, housing, social, mobility",
                     "Domain: digital, housing, social, mobility"),
                 Col("committed_eur", "Impegni a oggi", "Commitments to date", "EUR"),
                 Col("paid_eur", "Pagamenti a oggi", "Payments to date", "EUR")),
        order_by=("project_code",), lon="lon", lat="lat"),
    Dataset(
        id="project-finance-monthly", table="mart.project_finance_monthly",
        domain="programme", theme="ECON", frequency="MONTHLY", temporal=PROGRAMME_YEARS,
        title_it="Avanzamento finanziario mensile dei progetti",
        title_en="Monthly financial progress of projects",
        description_it="Impegni e pagamenti mensili e cumulati per progetto.",
        description_en="Monthly and cumulative commitments and payments by project.",
        keywords=("avanzamento finanziario", "impegni", "pagamenti", "pon metro"),
        columns=("project_code", "axis_id", "month",
                 Col("committed_eur", "Impegni del mese", "Commitments in the month", "EUR"),
                 Col("paid_eur", "Pagamenti del mese", "Payments in the month", "EUR"),
                 Col("committed_cum_eur", "Impegni cumulati", "Cumulative commitments", "EUR"),
                 Col("paid_cum_eur", "Pagamenti cumulati", "Cumulative payments", "EUR")),
        order_by=("project_code", "month")),
    Dataset(
        id="axis-finance-monthly", table="mart.axis_finance_monthly",
        domain="programme", theme="ECON", frequency="MONTHLY", temporal=PROGRAMME_YEARS,
        title_it="Avanzamento finanziario mensile per asse",
        title_en="Monthly financial progress by axis",
        description_it="Dotazione, impegni e pagamenti cumulati per asse e mese.",
        description_en="Allocation, cumulative commitments and payments by axis and month.",
        keywords=("avanzamento finanziario", "assi", "pon metro"),
        columns=("axis_id", "month",
                 Col("allocation_eur", "Dotazione dell'asse", "Axis allocation", "EUR"),
                 Col("committed_cum_eur", "Impegni cumulati", "Cumulative commitments", "EUR"),
                 Col("paid_cum_eur", "Pagamenti cumulati", "Cumulative payments", "EUR")),
        order_by=("axis_id", "month")),
    Dataset(
        id="indicators", table="mart.indicators", domain="programme", theme="GOVE",
        frequency="ANNUAL", temporal=PROGRAMME_YEARS,
        title_it="Indicatori del programma", title_en="Programme indicators",
        description_it="Indicatori di output e di risultato con unità, fondo e target 2023.",
        description_en="Output and result indicators with unit, fund and 2023 target.",
        keywords=("indicatori", "target", "pon metro"),
        columns=("indicator_code", "axis_id",
                 Col("name_it", "Nome (italiano)", "Name (Italian)"),
                 Col("name_en", "Nome (inglese)", "Name (English)"),
                 Col("unit", "Unità di misura", "Unit of measure"),
                 Col("kind", "Tipo: output o result", "Kind: output or result"),
                 Col("fund", "Fondo: FESR o FSE", "Fund: ERDF (FESR) or ESF (FSE)"),
                 Col("target_2023", "Valore obiettivo al 2023", "Target value for 2023")),
        order_by=("indicator_code",)),
    Dataset(
        id="indicator-values", table="mart.indicator_values", domain="programme",
        theme="GOVE", frequency="ANNUAL", temporal=PROGRAMME_YEARS,
        title_it="Valori annuali degli indicatori per progetto",
        title_en="Yearly indicator values by project",
        description_it="Valori cumulati degli indicatori per progetto e anno, selezionati (S) "
                       "e conseguiti (F).",
        description_en="Cumulative indicator values by project and year, selected (S) and "
                       "achieved (F).",
        keywords=("indicatori", "valori", "pon metro"),
        columns=("indicator_code", "project_code", "year",
                 Col("series", "Serie: S = selezionato, F = conseguito",
                     "Series: S = selected, F = achieved"),
                 Col("value", "Valore cumulato", "Cumulative value"),
                 Col("reported_on", "Data di rilevazione", "Date the value was recorded")),
        order_by=("indicator_code", "project_code", "year", "series")),
    Dataset(
        id="indicator-progress", table="mart.indicator_progress", domain="programme",
        theme="GOVE", frequency="ANNUAL", temporal=PROGRAMME_YEARS,
        title_it="Avanzamento degli indicatori rispetto al target",
        title_en="Indicator progress against target",
        description_it="Somma annua dei valori per indicatore e percentuale del target 2023.",
        description_en="Yearly sum of values by indicator and share of the 2023 target.",
        keywords=("indicatori", "target", "avanzamento"),
        columns=("indicator_code", "axis_id", "year",
                 Col("series", "Serie: S = selezionato, F = conseguito",
                     "Series: S = selected, F = achieved"),
                 Col("value", "Somma dei valori dei progetti", "Sum over projects"),
                 Col("target_2023", "Valore obiettivo al 2023", "Target value for 2023"),
                 Col("pct_of_target", "Percentuale del target", "Share of target", "%")),
        order_by=("indicator_code", "year", "series")),
    Dataset(
        id="housing-complexes", table="mart.housing_complexes", domain="housing",
        theme="SOCI", frequency="QUARTERLY", axis=4, temporal=PROGRAMME_YEARS,
        title_it="Complessi di edilizia residenziale pubblica (ERP)",
        title_en="Public housing (ERP) complexes",
        description_it="Complessi ERP con localizzazione, numero di alloggi e progetto.",
        description_en="Public housing complexes with location, number of units and project.",
        keywords=("erp", "case popolari", "edilizia pubblica", "abitare"),
        columns=(Col("complex_id", "Identificativo del complesso", "Complex id"),
                 "name", "address", "lon", "lat", "nil_id", "municipio_id", "project_code",
                 Col("units", "Numero di alloggi", "Number of housing units", "units")),
        order_by=("complex_id",), lon="lon", lat="lat"),
    Dataset(
        id="housing-units-by-nil", table="mart.housing_units_by_nil", domain="housing",
        theme="SOCI", frequency="QUARTERLY", axis=4, temporal=PROGRAMME_YEARS,
        title_it="Patrimonio ERP per NIL e stato",
        title_en="Public housing stock by NIL and status",
        description_it="Numero di alloggi ERP per NIL e stato (occupato, sfitto, in "
                       "ristrutturazione, ristrutturato). Solo aggregati.",
        description_en="Number of public housing units by NIL and status (occupied, vacant, "
                       "under renovation, renovated). Aggregates only.",
        keywords=("erp", "alloggi", "sfitti", "abitare"),
        columns=("nil_id", "municipio_id",
                 Col("status", "Stato: occupied, vacant, under_renovation, renovated",
                     "Status: occupied, vacant, under_renovation, renovated"),
                 Col("units", "Numero di alloggi", "Number of units", "units")),
        order_by=("nil_id", "status")),
    Dataset(
        id="housing-vacancy-monthly", table="mart.housing_vacancy_monthly",
        domain="housing", theme="SOCI", frequency="MONTHLY", axis=4,
        temporal=PROGRAMME_YEARS,
        title_it="Alloggi ERP sfitti e assegnati per mese",
        title_en="Vacant and assigned public housing units by month",
        description_it="Alloggi sfitti a fine mese e assegnazioni del mese per municipio.",
        description_en="Vacant units at month end and assignments in the month by municipio.",
        keywords=("erp", "sfitti", "assegnazioni", "abitare"),
        columns=("month", "municipio_id",
                 Col("vacant_units", "Alloggi sfitti", "Vacant units", "units"),
                 Col("assigned_units", "Alloggi assegnati nel mese",
                     "Units assigned in the month", "units")),
        order_by=("month", "municipio_id")),
    Dataset(
        id="social-sites", table="mart.social_sites", domain="social", theme="SOCI",
        frequency="QUARTERLY", axis=3, temporal=PROGRAMME_YEARS,
        title_it="Sedi dei servizi sociali del programma",
        title_en="Social service sites of the programme",
        description_it="Sedi dei servizi (accoglienza, spazi multifunzionali, docce "
                       "pubbliche, agenzie) con tipo, capacità e localizzazione.",
        description_en="Service sites (shelters, multifunctional spaces, public showers, "
                       "agencies) with type, capacity and location.",
        keywords=("servizi sociali", "accoglienza", "inclusione sociale"),
        columns=("site_id", "name",
                 Col("site_type", "Tipo di sede", "Site type"),
                 Col("capacity", "Capacità", "Capacity"),
                 Col("capacity_unit", "Unità della capacità (es. posti letto)",
                     "Capacity unit (e.g. beds)"),
                 "address", "lon", "lat", "nil_id", "municipio_id", "project_code"),
        order_by=("site_id",), lon="lon", lat="lat"),
    Dataset(
        id="social-usage-monthly", table="mart.social_usage_monthly", domain="social",
        theme="SOCI", frequency="MONTHLY", axis=3, temporal=PROGRAMME_YEARS,
        suppressed=True,
        title_it="Utenti dei servizi sociali per mese (aggregati protetti)",
        title_en="Social service users by month (protected aggregates)",
        description_it="Utenti per mese, municipio, servizio e gruppo di beneficiari. "
                       + SUPPRESSION_IT,
        description_en="Users by month, municipio, service and beneficiary group. "
                       + SUPPRESSION_EN,
        keywords=("servizi sociali", "utenti", "inclusione sociale", "aggregati"),
        columns=("month", "municipio_id",
                 Col("service", "Servizio", "Service"),
                 Col("beneficiary_group", "Gruppo di beneficiari", "Beneficiary group"),
                 Col("users", "Utenti (vuoto se oscurato)", "Users (empty when suppressed)",
                     "persons"),
                 "flag"),
        order_by=("month", "municipio_id", "service", "beneficiary_group")),
    Dataset(
        id="social-usage-total-monthly", table="mart.social_usage_total_monthly",
        domain="social", theme="SOCI", frequency="MONTHLY", axis=3, temporal=PROGRAMME_YEARS,
        suppressed=True,
        title_it="Utenti dei servizi sociali per mese e servizio, totale città "
                 "(aggregati protetti)",
        title_en="Social service users by month and service, city total "
                 "(protected aggregates)",
        description_it="Totale cittadino degli utenti per mese e servizio: è uno dei totali "
                       "di cui la soppressione secondaria tiene conto, quindi non rivela celle "
                       "oscurate del dataset per municipio. I totali tra servizi diversi non "
                       "si sommano (una persona può usare più servizi). " + SUPPRESSION_IT,
        description_en="City-wide users by month and service: one of the totals the secondary "
                       "suppression protects, so it reveals no hidden cell of the per-municipio "
                       "dataset. Totals across services do not add up (one person may use "
                       "several services). " + SUPPRESSION_EN,
        keywords=("servizi sociali", "utenti", "inclusione sociale", "aggregati", "totali"),
        columns=("month",
                 Col("service", "Servizio", "Service"),
                 Col("users", "Utenti (vuoto se oscurato)", "Users (empty when suppressed)",
                     "persons"),
                 "flag"),
        order_by=("month", "service")),
    Dataset(
        id="bed-occupancy-daily", table="mart.bed_occupancy_daily", domain="social",
        theme="SOCI", frequency="DAILY", axis=3, temporal=PROGRAMME_YEARS,
        suppressed=True,
        title_it="Occupazione giornaliera dei posti letto",
        title_en="Daily bed occupancy",
        description_it="Posti letto disponibili e occupati per sede e giorno. "
                       + SUPPRESSION_IT,
        description_en="Available and occupied beds by site and day. " + SUPPRESSION_EN,
        keywords=("posti letto", "accoglienza", "senza dimora", "occupazione"),
        columns=("date", "site_id",
                 Col("beds_available", "Posti letto disponibili", "Beds available", "beds"),
                 Col("beds_occupied", "Posti letto occupati (vuoto se oscurato)",
                     "Beds occupied (empty when suppressed)", "beds"),
                 "flag",
                 Col("occupancy_rate", "Tasso di occupazione (0-1)", "Occupancy rate (0-1)",
                     "ratio")),
        order_by=("date", "site_id")),
    Dataset(
        id="bike-stations", table="mart.bike_stations", domain="mobility", theme="TRAN",
        frequency="DAILY", axis=2,
        title_it="Stazioni di bike sharing", title_en="Bike-sharing stations",
        description_it="Stazioni BikeMi con capacità, localizzazione e intervento PON Metro "
                       "(nuova o ampliata).",
        description_en="BikeMi stations with capacity, location and PON Metro intervention "
                       "(new or expanded).",
        keywords=("bike sharing", "bikemi", "biciclette", "mobilità sostenibile", "gbfs"),
        columns=("station_id", "name", "lat", "lon",
                 Col("capacity", "Numero di stalli", "Number of docks", "docks"),
                 "nil_id", "municipio_id",
                 Col("intervention", "Intervento: new, expanded o vuoto",
                     "Intervention: new, expanded or empty"),
                 "project_code"),
        order_by=("station_id",), lon="lon", lat="lat"),
    Dataset(
        id="station-status-hourly", table="mart.station_status_hourly", domain="mobility",
        theme="TRAN", frequency="DAILY", axis=2,
        temporal=TELEMETRY_YEARS,
        title_it="Disponibilità oraria delle stazioni di bike sharing",
        title_en="Hourly bike-sharing station availability",
        description_it="Medie e minimi orari di biciclette e stalli liberi per stazione, "
                       "da campioni GBFS.",
        description_en="Hourly averages and minima of available bikes and docks per "
                       "station, from GBFS samples.",
        keywords=("bike sharing", "disponibilità", "gbfs", "telemetria"),
        columns=("station_id", "hour",
                 Col("avg_vehicles_available", "Biciclette disponibili (media)",
                     "Vehicles available (mean)", "vehicles"),
                 Col("avg_docks_available", "Stalli liberi (media)",
                     "Docks available (mean)", "docks"),
                 Col("min_vehicles_available", "Biciclette disponibili (minimo)",
                     "Vehicles available (minimum)", "vehicles"),
                 Col("samples", "Numero di campioni nell'ora", "Samples in the hour")),
        order_by=("station_id", "hour")),
    Dataset(
        id="mobility-areas", table="mart.mobility_areas", domain="mobility", theme="TRAN",
        frequency="QUARTERLY", axis=2,
        title_it="Aree di mobilità condivisa", title_en="Shared-mobility areas",
        description_it="Le aree di sosta per la mobilità condivisa con posti, veicoli "
                       "ammessi, data di apertura e localizzazione.",
        description_en="Shared-mobility parking areas with spots, allowed vehicles, opening "
                       "date and location.",
        keywords=("mobilità condivisa", "sharing", "sosta", "mobilità sostenibile"),
        columns=("area_id", "name", "lon", "lat", "nil_id", "municipio_id",
                 Col("total_spots", "Numero di posti", "Number of spots", "spots"),
                 Col("allowed_vehicle_types", "Tipi di veicolo ammessi",
                     "Allowed vehicle types"),
                 Col("opened_on", "Data di apertura", "Opening date"),
                 "project_code"),
        order_by=("area_id",), lon="lon", lat="lat"),
    Dataset(
        id="bay-occupancy-hourly", table="mart.bay_occupancy_hourly", domain="mobility",
        theme="TRAN", frequency="DAILY", axis=2, temporal=TELEMETRY_YEARS,
        title_it="Occupazione oraria degli stalli delle aree di mobilità",
        title_en="Hourly bay occupancy of shared-mobility areas",
        description_it="Quota oraria di posti occupati per area, dai sensori di sosta.",
        description_en="Hourly share of occupied spots per area, from parking sensors.",
        keywords=("sosta", "occupazione", "sensori", "mobilità condivisa"),
        columns=("area_id", "hour",
                 Col("occupied_share", "Quota di posti occupati (0-1)",
                     "Share of spots occupied (0-1)", "ratio"),
                 Col("observed_spots", "Posti osservati", "Spots observed", "spots")),
        order_by=("area_id", "hour")),
    Dataset(
        id="trips-daily", table="mart.trips_daily", domain="mobility", theme="TRAN",
        frequency="DAILY", axis=2, temporal=TELEMETRY_YEARS,
        title_it="Spostamenti giornalieri in sharing per tipo di veicolo",
        title_en="Daily shared-mobility trips by vehicle type",
        description_it="Numero di spostamenti, durata e distanza medie per giorno e tipo "
                       "di veicolo.",
        description_en="Trips, mean duration and mean distance by day and vehicle type.",
        keywords=("spostamenti", "sharing", "mobilità sostenibile"),
        columns=("date", "vehicle_type_id",
                 Col("trips", "Numero di spostamenti", "Number of trips", "trips"),
                 Col("avg_duration_min", "Durata media", "Mean duration", "min"),
                 Col("avg_distance_km", "Distanza media", "Mean distance", "km")),
        order_by=("date", "vehicle_type_id")),
    Dataset(
        id="trips-daily-od", table="mart.trips_daily_od", domain="mobility", theme="TRAN",
        frequency="DAILY", axis=2, temporal=TELEMETRY_YEARS,
        title_it="Matrice origine-destinazione giornaliera degli spostamenti",
        title_en="Daily origin-destination trip matrix",
        description_it="Spostamenti in sharing per giorno, municipio di origine, municipio di "
                       "destinazione e tipo di veicolo. Solo aggregati: le celle con meno di "
                       "10 spostamenti non sono pubblicate (valore vuoto, flag 'c'), perché "
                       "potrebbero rivelare il viaggio di una singola persona.",
        description_en="Shared-mobility trips by day, origin municipio, destination municipio "
                       "and vehicle type. Aggregates only: cells of fewer than 10 trips are "
                       "withheld (empty value, flag 'c'), as they could reveal one person's "
                       "journey.",
        keywords=("origine destinazione", "spostamenti", "sharing", "municipi"),
        columns=("date",
                 Col("origin_municipio_id", "Municipio di origine", "Origin municipio"),
                 Col("destination_municipio_id", "Municipio di destinazione",
                     "Destination municipio"),
                 "vehicle_type_id",
                 Col("trips", "Numero di spostamenti (vuoto se meno di 10)",
                     "Number of trips (empty when fewer than 10)", "trips"),
                 Col("flag", "c = valore non pubblicato (meno di 10 spostamenti)",
                     "c = value withheld (fewer than 10 trips)")),
        order_by=("date", "origin_municipio_id", "destination_municipio_id",
                  "vehicle_type_id")),
    Dataset(
        id="cycle-routes", table="mart.cycle_routes", domain="mobility", theme="TRAN",
        frequency="IRREG", axis=2,
        title_it="Percorsi ciclabili PON Metro", title_en="PON Metro cycle routes",
        description_it="Tracciati dei percorsi ciclabili finanziati dal programma, con "
                       "lunghezza e progetto.",
        description_en="Cycle routes financed by the programme, with length and project.",
        keywords=("piste ciclabili", "percorsi ciclabili", "biciclette", "mobilità sostenibile"),
        columns=(Col("route_id", "Identificativo del percorso", "Route id"), "name",
                 "project_code",
                 Col("length_m", "Lunghezza", "Length", "m"), "geometry"),
        order_by=("route_id",), geometry="geometry"),
)


def _resolve(col: Col | str) -> Col:
    if isinstance(col, Col):
        return col
    return COMMON[col]


def declared_columns(ds: Dataset) -> list[Col]:
    return [_resolve(c) for c in ds.columns]


def _mart_schema(con: duckdb.DuckDBPyConnection, qualified: str) -> dict[str, str] | None:
    schema, table = qualified.split(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table]).fetchall()
    return {name: dtype for name, dtype in rows} or None


def _warn(ctx, ds: Dataset, column: str, reason: str) -> None:
    ctx.findings.append({"contract": "catalog", "file": ds.table, "column": column,
                         "check": f"publication of dataset '{ds.id}' ({reason})",
                         "rows": 0, "values": "dataset skipped"})


def write_catalog(con: duckdb.DuckDBPyConnection, ctx) -> None:
    """Write ``meta.datasets`` and ``meta.dataset_columns`` for the published marts."""
    modified = ctx.built_at.replace(tzinfo=None)
    datasets, columns = [], []
    for ds in DATASETS:
        schema = _mart_schema(con, ds.table)
        if schema is None:
            _warn(ctx, ds, "*", "mart table missing")
            continue
        declared = declared_columns(ds)
        missing = [c.name for c in declared if c.name not in schema]
        if missing:
            _warn(ctx, ds, ", ".join(missing), "declared column missing from the mart")
            continue
        rows = con.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0]  # noqa: S608 (declared name)
        start, end = ds.temporal or (None, None)
        datasets.append({
            "dataset_id": ds.id, "table_name": ds.table, "domain": ds.domain,
            "title_it": ds.title_it, "title_en": ds.title_en,
            "description_it": ds.description_it, "description_en": ds.description_en,
            "theme": ds.theme, "keywords": list(ds.keywords), "frequency": ds.frequency,
            "axis_id": ds.axis, "spatial": ds.spatial_it,
            "temporal_start": start, "temporal_end": end,
            "modified": modified, "rows": rows,
            "lon_column": ds.lon, "lat_column": ds.lat, "geometry_column": ds.geometry,
            "suppressed": ds.suppressed,
            "suppression_it": SUPPRESSION_IT if ds.suppressed else None,
            "suppression_en": SUPPRESSION_EN if ds.suppressed else None,
            "order_by": list(ds.order_by),
            "publisher": PUBLISHER_IT, "publisher_ipa": PUBLISHER_IPA,
            "licence_id": LICENCE_ID, "licence_url": LICENCE_URL,
        })
        for pos, col in enumerate(declared, start=1):
            columns.append({"dataset_id": ds.id, "position": pos, "column_name": col.name,
                            "data_type": schema[col.name], "unit": col.unit or None,
                            "description_it": col.it, "description_en": col.en})
    ctx.write_table(con, "meta.datasets", pl.DataFrame(datasets, schema={
        "dataset_id": pl.String, "table_name": pl.String, "domain": pl.String,
        "title_it": pl.String, "title_en": pl.String, "description_it": pl.String,
        "description_en": pl.String, "theme": pl.String, "keywords": pl.List(pl.String),
        "frequency": pl.String, "axis_id": pl.Int32, "spatial": pl.String,
        "temporal_start": pl.Date, "temporal_end": pl.Date, "modified": pl.Datetime("us"),
        "rows": pl.Int64, "lon_column": pl.String, "lat_column": pl.String,
        "geometry_column": pl.String, "suppressed": pl.Boolean,
        "suppression_it": pl.String, "suppression_en": pl.String,
        "order_by": pl.List(pl.String), "publisher": pl.String,
        "publisher_ipa": pl.String, "licence_id": pl.String, "licence_url": pl.String}))
    ctx.write_table(con, "meta.dataset_columns", pl.DataFrame(columns, schema={
        "dataset_id": pl.String, "position": pl.Int32, "column_name": pl.String,
        "data_type": pl.String, "unit": pl.String, "description_it": pl.String,
        "description_en": pl.String}))
