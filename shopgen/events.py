"""Shoppers' behaviour over the 90 days: sessions of views, clicks, carts and purchases, plus
complement visits, repeat purchases and returns to the cart (habits from shopgen/tables/habits.yml)."""
from __future__ import annotations

import heapq
import random
from datetime import datetime, timedelta

from shopgen import table
from shopgen.catalog import CATEGORIES, CATEGORY, Item
from shopgen.clock import DAY_TRAFFIC, DAYS, END, SEASON_TABLE, START, session_time
from shopgen.shoppers import Shopper, Taste

_HABITS = table("habits")
# After buying from the key category, the shopper comes back for these within days.
COMPLEMENTS: dict[str, list[tuple[str, float]]] = {
    key: [(category, chance) for category, chance in follow] for key, follow in _HABITS["complements"].items()}
# Consumables bought again: (mean days between purchases, chance of buying again).
REPEATS: dict[str, tuple[float, float]] = {key: (gap, chance) for key, (gap, chance) in _HABITS["repeats"].items()}


def _category_weights(shopper: Shopper) -> tuple[list[str], list[float], list[str], list[float]]:
    """Favourite-department categories and all categories, with browsing weights."""
    g = 0 if shopper.gender == "女" else 1
    fav, fav_w, every, every_w = [], [], [], []
    for spec in CATEGORIES:
        w = spec.traffic * spec.audience[g]
        if spec.department == "母婴玩具" and not shopper.baby:
            w *= 0.15 if spec.name == "积木" else 0.01
        if spec.department == "宠物" and spec.name != {"猫": "猫粮", "狗": "狗粮"}.get(shopper.pet):
            w *= 0.01
        every.append(spec.name)
        every_w.append(w)
        if spec.department in shopper.departments:
            fav.append(spec.name)
            fav_w.append(w * shopper.departments[spec.department])
    return fav, fav_w, every, every_w


def generate_events(rng: random.Random, items: list[Item], shoppers: list[Shopper]) -> list[tuple]:
    """Sessions of views → clicks → carts → purchases, plus complements, repeats and cart returns.

    Returns rows (timestamp, user_id, product_id, event, rating).
    """
    by_cat: dict[str, list[Item]] = {}
    for item in items:
        by_cat.setdefault(item.row["category"], []).append(item)
    rows: list[tuple] = []
    for shopper in shoppers:
        taste = Taste(shopper, by_cat)
        fav, fav_w, every, every_w = _category_weights(shopper)
        first_day = max(0, (shopper.registered_at - START).days)
        days = list(range(first_day, DAYS))
        day_w = [DAY_TRAFFIC[d] for d in days]
        queue: list[tuple] = []
        seq = 0
        n_sessions = max(1, round(shopper.sessions * len(days) / DAYS))
        for _ in range(n_sessions):
            t = session_time(rng, rng.choices(days, weights=day_w)[0])
            if t < shopper.registered_at:
                t = shopper.registered_at + timedelta(minutes=rng.randint(2, 120))
            seq += 1
            heapq.heappush(queue, (t, seq, "browse", None))
        cart: dict[str, datetime] = {}
        while queue:
            t, _, kind, payload = heapq.heappop(queue)
            if t >= END:
                continue
            events, follow = _session(rng, taste, t, kind, payload, fav, fav_w, every, every_w, cart)
            for event in events:
                if event[0] < END:
                    rows.append((event[0], shopper.id, event[1], event[2], ""))
            for item_t, item_kind, item_payload in follow:
                if item_t < END:
                    seq += 1
                    heapq.heappush(queue, (item_t, seq, item_kind, item_payload))
    return rows


def _session(rng, taste: Taste, t: datetime, kind: str, payload, fav, fav_w, every, every_w,
             cart: dict[str, datetime]) -> tuple[list[tuple], list[tuple]]:
    """One visit: the events it produces and the visits it schedules."""
    events: list[tuple] = []
    follow: list[tuple] = []
    t = t.replace(microsecond=0)
    day = (t - START).days

    def step(seconds_lo: int, seconds_hi: int) -> None:
        nonlocal t
        t += timedelta(seconds=rng.randint(seconds_lo, seconds_hi))

    def bought(item: Item) -> None:
        cat = item.row["category"]
        cart.pop(item.row["id"], None)
        for other, p in COMPLEMENTS.get(cat, []):
            if rng.random() < p:
                follow.append((t + timedelta(hours=2 + rng.expovariate(1 / 60)), "complement", other))
        if cat in REPEATS:
            gap, p = REPEATS[cat]
            if rng.random() < p:
                follow.append((t + timedelta(days=gap * rng.uniform(0.7, 1.3)), "repeat", item))

    def click_then_buy(item: Item, seconds_lo: int, seconds_hi: int, chance: float) -> None:
        """A return visit for one product: a click, then a purchase with `chance`."""
        events.append((t, item.row["id"], "click"))
        step(seconds_lo, seconds_hi)
        if rng.random() < chance:
            events.append((t, item.row["id"], "purchase"))
            bought(item)

    if kind == "repeat":
        item: Item = payload
        if rng.random() < 0.15:                       # same brand, another product this time
            same = [i for i in taste.by_cat[item.row["category"]] if i.row["brand"] == item.row["brand"]]
            item = rng.choice(same)
        if rng.random() < 0.6:
            events.append((t, item.row["id"], "view"))
            step(5, 90)
        click_then_buy(item, 10, 300, 0.9)
        return events, follow

    if kind == "cart":
        item = payload
        if item.row["id"] not in cart:
            return events, follow
        click_then_buy(item, 20, 600, 0.6)
        return events, follow

    intent = 1.0
    if kind == "complement":
        category, intent = payload, 1.7
    elif rng.random() < 0.85 and fav:
        category = _seasonal_choice(rng, fav, fav_w, day)
    else:
        category = _seasonal_choice(rng, every, every_w, day)
    n_views = 1 + min(int(rng.expovariate(1 / 2.3)), 9)
    purchases = 0
    for _ in range(n_views):
        item = taste.pick(rng, category)
        pid = item.row["id"]
        fit = taste.fit(item)
        events.append((t, pid, "view"))
        step(3, 40)
        if rng.random() < min(0.95, (0.1 + 0.3 * fit) * intent):
            events.append((t, pid, "click"))
            step(15, 240)
            damp = 0.35 ** purchases
            if rng.random() < min(0.95, (0.1 + 0.36 * fit) * intent):
                events.append((t, pid, "add_to_cart"))
                cart[pid] = t
                step(10, 400)
                if rng.random() < min(0.95, (0.16 + 0.4 * fit) * intent) * damp:
                    events.append((t, pid, "purchase"))
                    purchases += 1
                    bought(item)
                    step(5, 60)
                elif rng.random() < 0.22:
                    follow.append((t + timedelta(hours=rng.uniform(3, 140)), "cart", item))
            elif rng.random() < (0.02 + 0.06 * fit) * intent * damp:   # 立即购买, skipping the cart
                events.append((t, pid, "purchase"))
                purchases += 1
                bought(item)
                step(5, 60)
        step(5, 120)
    return events, follow


def _seasonal_choice(rng: random.Random, names: list[str], weights: list[float], day: int) -> str:
    seasonal = [w * SEASON_TABLE[CATEGORY[name].season][day] for name, w in zip(names, weights)]
    return rng.choices(names, weights=seasonal)[0]

