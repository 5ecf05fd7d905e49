"""Synthetic Social Policy Directorate extracts, calibrated to the PON Metro programme text.

Sites: the HUB (~50 beds + ~30 flats), 9 multifunctional spaces in 8
neighbourhoods, ~20 accessible flats, 20 + 10 temporary apartments, ~1,000
temporary social-housing beds on many sites (some in the metropolitan area),
9 housing-agency points plus 2 metropolitan branches, Casa Jannacci (viale
Ortles 69), the public showers of via A. da Baggio 50 and via Pucci 3, WeMi
home-services providers and a few ordinary dormitories. Usage 2017-2023 has
many genuinely small counts, so disclosure control has work to do.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl

SOURCE = "synthetic demo of the Social Policy Directorate extracts"
USAGE_START, USAGE_END = date(2017, 1, 1), date(2023, 12, 31)
#: bed occupancy covers the last two years of the programme
BEDS_START, BEDS_END = date(2022, 1, 1), date(2023, 12, 31)
SOCIAL_HOUSING_BEDS = 1000
SPACES = ("Crescenzago", "Gorla", "Niguarda", "Quarto Oggiaro", "Quarto Oggiaro",
          "Gallaratese", "Quarto Cagnino", "Barona", "Corvetto")
STREETS = ("via Giuseppe Mazzini", "via dei Mille", "via Aldo Moro", "via Cesare Battisti",
           "via Enrico Fermi", "via Alessandro Volta", "via Ugo Foscolo", "via Carlo Goldoni",
           "via Gaetano Donizetti", "via Ada Negri", "via Grazia Deledda", "via del Lavoro",
           "via dei Tigli", "via delle Acacie", "via Luigi Galvani", "via Piero Gobetti")
METRO_TOWNS = ("Sesto San Giovanni", "Cinisello Balsamo", "Rozzano", "Rho",
               "San Donato Milanese", "Cologno Monzese", "Bollate", "Corsico")

#: site_type -> {service: {group: mean users per month per unit of capacity (or per site)}}
USAGE_PROFILE: dict[str, dict[str, dict[str, float]]] = {
    "shelter": {"night_shelter": {"homeless_people": 1.5, "young_people": 0.15},
                "meals": {"homeless_people": 1.9, "young_people": 0.2},
                "low_threshold_support": {"homeless_people": 0.3, "young_people": 0.03}},
    "dormitory": {"night_shelter": {"homeless_people": 1.4, "young_people": 0.12}},
    "public_showers": {"showers": {"homeless_people": 22.0, "young_people": 1.5,
                                   "single_adults": 3.0}},
    "hub": {"temporary_hospitality": {"families_with_children": 0.45, "single_adults": 0.5},
            "social_accompaniment": {"families_with_children": 0.6, "single_adults": 0.2}},
    "temporary_housing": {"temporary_housing": {"families_with_children": 2.2,
                                                "single_adults": 0.4},
                          "autonomy_support": {"families_with_children": 1.2,
                                               "single_adults": 0.3}},
    "accessible_housing": {"autonomous_living_support": {"people_with_disabilities": 1.3}},
    "social_housing_beds": {"temporary_social_housing": {"single_adults": 0.55,
                                                         "families_with_children": 0.3,
                                                         "young_people": 0.1}},
    "multifunctional_space": {"social_concierge": {"families_with_children": 0.5,
                                                   "older_people": 0.6, "young_people": 0.2},
                              "community_activities": {"families_with_children": 0.7,
                                                       "older_people": 0.4,
                                                       "young_people": 0.5},
                              "enterprise_and_community": {"single_adults": 0.08,
                                                           "young_people": 0.06}},
    "housing_agency_point": {"housing_agency": {"families_with_children": 22.0,
                                                "single_adults": 9.0, "older_people": 3.0}},
    "home_services_provider": {"home_services": {"older_people": 35.0,
                                                 "families_with_children": 14.0,
                                                 "people_with_disabilities": 4.0}},
}


def _outside_city(rng: np.random.Generator) -> tuple[float, float]:
    """A point in the metropolitan belt, 10-16 km from the centre (beyond every NIL)."""
    r, a = rng.uniform(10.0, 16.0), rng.uniform(0, 2 * math.pi)
    lon0, lat0 = 9.19, 45.464
    return (round(lon0 + r * math.sin(a) / (111.32 * math.cos(math.radians(lat0))), 6),
            round(lat0 + r * math.cos(a) / 111.32, 6))


def _day(rng, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _sites(ctx, rng) -> pl.DataFrame:
    geo = ctx.geography
    rows: list[dict] = []

    def add(name, site_type, capacity, unit, address, point, project, opened_on):
        rows.append({"site_id": len(rows) + 1, "name": name, "site_type": site_type,
                     "capacity": capacity, "capacity_unit": unit, "address": address,
                     "lon": point[0], "lat": point[1], "project_code": project,
                     "opened_on": opened_on})

    def street(): return f"{STREETS[int(rng.integers(len(STREETS)))]} {int(rng.integers(1, 150))}"

    add("Casa Jannacci", "shelter", 450, "beds", "viale Ortles 69",
        geo.random_point(rng, name="Scalo Romana"), "MI4.2.1.b", date(2005, 3, 1))
    add("Docce pubbliche via Anselmo da Baggio", "public_showers", 10, "places",
        "via A. da Baggio 50", geo.random_point(rng, name="Baggio"), "MI4.2.1.b",
        date(2019, 5, 6))
    add("Docce pubbliche via Pucci", "public_showers", 8, "places", "via Pucci 3",
        geo.random_point(rng, name="Sarpi"), "MI4.2.1.b", date(2019, 10, 14))
    hub_point = geo.random_point(rng, name="Lorenteggio")
    add("HUB accoglienza temporanea - struttura principale", "hub", 50, "beds",
        street(), hub_point, "MI4.1.1.b", date(2021, 4, 12))
    add("HUB accoglienza temporanea - alloggi diffusi", "hub", 30, "units", street(),
        geo.random_point(rng, name="Giambellino"), "MI4.1.1.b", date(2021, 9, 1))
    for place in SPACES:
        add(f"Spazio multifunzionale {place}", "multifunctional_space",
            int(rng.integers(4, 13)) * 10, "places", street(),
            geo.random_point(rng, name=place), "MI4.2.1.a",
            _day(rng, date(2019, 1, 1), date(2021, 12, 31)))
    for i in range(20):
        add(f"Alloggio accessibile {i + 1}", "accessible_housing", 1, "units", street(),
            geo.random_point(rng), "MI4.1.1.d", _day(rng, date(2019, 6, 1), date(2022, 6, 30)))
    for i in range(30):
        origin = "regionale" if i < 20 else "comunale"
        add(f"Appartamento temporaneo {origin} {i + 1}", "temporary_housing", 1, "units",
            street(), geo.random_point(rng), "MI4.1.1.e",
            _day(rng, date(2018, 9, 1), date(2021, 12, 31)))
    sizes = _split(rng, SOCIAL_HOUSING_BEDS, 70, low=4, high=40)
    for i, beds in enumerate(sizes):
        outside = i % 6 == 5
        add(f"Residenzialità sociale temporanea {i + 1}", "social_housing_beds", int(beds),
            "beds", f"{street()}, {METRO_TOWNS[i % len(METRO_TOWNS)]}" if outside else street(),
            _outside_city(rng) if outside else geo.random_point(rng), "MI1.1.1.b",
            _day(rng, date(2012, 1, 1), date(2020, 12, 31)))
    for m in range(1, 10):
        add(f"Agenzia Milano Abitare - punto Municipio {m}", "housing_agency_point", None,
            None, street(), geo.random_point(rng, municipio=m), "MI3.1.1.a",
            _day(rng, date(2018, 9, 1), date(2019, 12, 31)))
    for town in ("Sesto San Giovanni", "Rozzano"):
        add(f"Agenzia metropolitana per l'abitare - sede di {town}", "housing_agency_point",
            None, None, f"{street()}, {town}", _outside_city(rng), "MI3.1.1.a",
            _day(rng, date(2020, 1, 1), date(2020, 12, 31)))
    for i in range(15):
        add(f"Spazio WeMi {i + 1}", "home_services_provider", None, None, street(),
            geo.random_point(rng), "MI1.1.1.c", _day(rng, date(2015, 1, 1), date(2019, 12, 31)))
    for i in range(4):
        add(f"Dormitorio {i + 1}", "dormitory", int(rng.integers(4, 13)) * 10, "beds",
            street(), geo.random_point(rng), None, _day(rng, date(2000, 1, 1),
                                                         date(2015, 12, 31)))
    return pl.DataFrame(rows, schema={
        "site_id": pl.Int64, "name": pl.String, "site_type": pl.String, "capacity": pl.Int64,
        "capacity_unit": pl.String, "address": pl.String, "lon": pl.Float64,
        "lat": pl.Float64, "project_code": pl.String, "opened_on": pl.Date})


def _split(rng, total: int, parts: int, low: int, high: int) -> list[int]:
    """``parts`` integers in [low, high] summing to ``total`` exactly."""
    sizes = np.clip(np.round(rng.lognormal(2.5, 0.5, parts)), low, high).astype(int)
    while sizes.sum() != total:
        i = int(rng.integers(parts))
        step = 1 if sizes.sum() < total else -1
        if low <= sizes[i] + step <= high:
            sizes[i] += step
    return sizes.tolist()


def _usage(sites: pl.DataFrame, rng) -> pl.DataFrame:
    months = pl.date_range(USAGE_START, USAGE_END, "1mo", eager=True).to_list()
    cols: dict[str, list] = {"month": [], "site_id": [], "service": [],
                             "beneficiary_group": [], "users": []}
    for site in sites.iter_rows(named=True):
        size = site["capacity"] or 1
        opened = site["opened_on"].replace(day=1)
        for service, groups in USAGE_PROFILE[site["site_type"]].items():
            for group, per_unit in groups.items():
                live = [m for m in months if m >= opened]
                if not live:
                    continue
                # winter peaks for homeless services, slow ramp-up after opening
                winter = np.array([1.25 if m.month in (12, 1, 2) else 1.0 for m in live])
                ramp = np.minimum(1.0, (np.arange(len(live)) + 1) / 6)
                lam = per_unit * size * winter * ramp * rng.uniform(0.7, 1.3)
                users = rng.poisson(lam)
                cols["month"] += live
                cols["site_id"] += [site["site_id"]] * len(live)
                cols["service"] += [service] * len(live)
                cols["beneficiary_group"] += [group] * len(live)
                cols["users"] += users.tolist()
    frame = pl.DataFrame(cols, schema={"month": pl.Date, "site_id": pl.Int64,
                                       "service": pl.String, "beneficiary_group": pl.String,
                                       "users": pl.Int64})
    return frame.with_columns(pl.col("month").dt.strftime("%Y-%m"))


def _beds(sites: pl.DataFrame, rng) -> pl.DataFrame:
    days = pl.date_range(BEDS_START, BEDS_END, "1d", eager=True)
    frames = []
    for site in sites.filter(pl.col("capacity_unit") == "beds").iter_rows(named=True):
        live = days.filter(days >= site["opened_on"])
        if live.is_empty():
            continue
        n, cap = live.len(), site["capacity"]
        # a few beds out of service now and then; occupancy high, higher in winter
        out = rng.binomial(cap, 0.03, n) * (rng.random(n) < 0.3)
        available = cap - out
        month = live.dt.month().to_numpy()
        base = rng.uniform(0.78, 0.93)
        rate = np.clip(base + np.where(np.isin(month, (12, 1, 2)), 0.06, 0.0)
                       + rng.normal(0, 0.03, n), 0, 1)
        occupied = rng.binomial(available, rate)
        frames.append(pl.DataFrame({"date": live, "site_id": [site["site_id"]] * n,
                                    "beds_available": available.astype(np.int64),
                                    "beds_occupied": occupied.astype(np.int64)}))
    return pl.concat(frames).sort("date", "site_id")


def generate(ctx) -> None:
    """Write sites, monthly usage and daily bed occupancy under ``social/``."""
    rng = ctx.rng("social")
    sites = _sites(ctx, rng)
    ctx.write_csv("social/sites.csv", sites, source=SOURCE)
    ctx.write_csv("social/usage_monthly.csv", _usage(sites, rng), source=SOURCE)
    ctx.write_csv("social/bed_occupancy_daily.csv", _beds(sites, rng), source=SOURCE)
