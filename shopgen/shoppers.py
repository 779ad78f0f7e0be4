"""Shoppers: public profiles and the hidden taste (department, brand, price band, loyalty,
activity) that drives everything they do; places from shopgen/tables/shoppers.yml."""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from shopgen import table
from shopgen.catalog import Item
from shopgen.clock import DAYS, START

N_USERS = 2400

# How well a price band suits a shopper's band: BAND_FIT[shopper][product].
BAND_FIT = [[1.0, 0.4, 0.05], [0.45, 1.0, 0.45], [0.1, 0.5, 1.0]]

_PEOPLE = table("shoppers")
DEPT_PRIOR: dict[str, dict[str, float]] = _PEOPLE["department_prior"]
CITIES: dict[str, list[str]] = {city: place["districts"] for city, place in _PEOPLE["cities"].items()}
CITY_WEIGHTS: list[float] = [place["weight"] for place in _PEOPLE["cities"].values()]
REGION_HUB: dict[str, str] = {city: place["hub"] for city, place in _PEOPLE["cities"].items()}
ROADS: list[str] = _PEOPLE["roads"]
NICK_ADJ, NICK_NOUN, NICK_FEMALE, NICK_MALE = (_PEOPLE["nicknames"][key]
                                               for key in ("adjectives", "nouns", "female", "male"))


@dataclass
class Shopper:
    id: str
    name: str
    gender: str
    age: int
    city: str
    district: str
    registered_at: datetime
    departments: dict[str, float]     # favourite departments → weight
    brands: dict[str, str]            # department → favourite brand
    loyalty: float                    # 0..1, how strongly the favourite brand pulls
    band: int                         # 0 budget, 1 mid, 2 premium
    sessions: int                     # organic browsing sessions over the 90 days
    baby: bool
    pet: str                          # "猫", "狗" or ""
    address: str = ""


def _nickname(rng: random.Random, gender: str) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(NICK_ADJ) + rng.choice(NICK_NOUN)
    if roll < 0.8:
        return rng.choice(NICK_FEMALE if gender == "女" else NICK_MALE) + rng.choice(["", "", "呀", "同学", "酱"])
    return rng.choice(NICK_NOUN) + str(rng.randint(1, 9999))


def generate_shoppers(rng: random.Random, items: list[Item]) -> list[Shopper]:
    brand_weight: dict[str, dict[str, list[float]]] = {}   # department → brand → weight per band
    for item in items:
        dept = brand_weight.setdefault(item.row["department"], {})
        weights = dept.setdefault(item.row["brand"], [0.0, 0.0, 0.0])
        for band in range(3):
            weights[band] += item.popularity * BAND_FIT[band][item.band]
    cities = list(CITIES)
    shoppers = []
    for n in range(1, N_USERS + 1):
        gender = "女" if rng.random() < 0.56 else "男"
        age = int(min(65, max(18, rng.gauss(31, 8.5))))
        city = rng.choices(cities, weights=CITY_WEIGHTS)[0]
        district = rng.choice(CITIES[city])
        if rng.random() < 0.82:
            registered = START - timedelta(days=1 + 7 * 365 * rng.random() ** 2, seconds=rng.randint(0, 86399))
        else:
            registered = START + timedelta(days=rng.uniform(0, DAYS - 3), seconds=rng.randint(0, 86399))
        registered = registered.replace(microsecond=0)
        baby = 24 <= age <= 40 and rng.random() < 0.22
        pet = rng.choice(["猫", "猫", "狗"]) if rng.random() < 0.18 else ""
        band = rng.choices([0, 1, 2], weights=[0.5, 0.35, 0.15] if age < 23 else [0.32, 0.46, 0.22])[0]
        prior = dict(DEPT_PRIOR[gender])
        chosen: dict[str, float] = {}
        if baby:
            chosen["母婴玩具"] = 1.6
        if pet:
            chosen["宠物"] = 1.4
        n_fav = rng.choices([1, 2, 3], weights=[0.3, 0.45, 0.25])[0]
        while len(chosen) < n_fav + bool(baby) + bool(pet):
            dept = rng.choices(list(prior), weights=list(prior.values()))[0]
            chosen.setdefault(dept, rng.uniform(0.6, 1.4))
        brands = {}
        for dept in chosen:
            candidates = brand_weight[dept]
            names = list(candidates)
            brands[dept] = rng.choices(names, weights=[candidates[b][band] for b in names])[0]
        loyalty = min(0.95, max(0.05, rng.betavariate(2.2, 2.0)))
        sessions = int(min(90, max(2, rng.lognormvariate(2.5, 0.75))))
        name = _nickname(rng, gender)
        shopper = Shopper(f"u{n:05d}", name, gender, age, city, district, registered, chosen, brands,
                          loyalty, band, sessions, baby, pet)
        prefix = city + ("市" if not city.endswith("市") else "")
        shopper.address = f"{prefix}{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号"
        shoppers.append(shopper)
    return shoppers


class Taste:
    """A shopper's product weights per category (cached cumulative weights for sampling)."""

    def __init__(self, shopper: Shopper, by_cat: dict[str, list[Item]]):
        self.shopper = shopper
        self.by_cat = by_cat
        self.cache: dict[str, tuple[list[Item], list[float]]] = {}

    def fit(self, item: Item) -> float:
        s, row = self.shopper, item.row
        brand = s.loyalty if s.brands.get(row["department"]) == row["brand"] else 0.0
        gender_ok = 1.0 if row["gender"] in ("", s.gender) else 0.0
        return 0.5 * BAND_FIT[s.band][item.band] + 0.3 * brand + 0.2 * gender_ok

    def weight(self, item: Item) -> float:
        s, row = self.shopper, item.row
        w = item.popularity * (0.25 + BAND_FIT[s.band][item.band])
        if s.brands.get(row["department"]) == row["brand"]:
            w *= 1 + 8 * s.loyalty
        if row["gender"] and row["gender"] != s.gender:
            w *= 0.05
        return w

    def pick(self, rng: random.Random, category: str) -> Item:
        if category not in self.cache:
            items = self.by_cat[category]
            total, cum = 0.0, []
            for item in items:
                total += self.weight(item)
                cum.append(total)
            self.cache[category] = (items, cum)
        items, cum = self.cache[category]
        return items[min(len(items) - 1, bisect.bisect_right(cum, rng.random() * cum[-1]))]

