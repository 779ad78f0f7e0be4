"""Orders from the purchase history, priced by the live checkout rule (store.pricing.quote),
with carriers, logistics trails, ratings after delivery, unpaid checkouts and what is left in
carts; the promotions come from shopgen/tables/promotions.yml."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from shopgen import table
from shopgen.catalog import Item
from shopgen.clock import END, START
from shopgen.shoppers import REGION_HUB, Shopper, Taste
from store.cart import CartLine
from store.models import Product, Promotion
from store.pricing import quote

CONSUMABLES = set(table("habits")["consumables"])

_LOGISTICS = table("logistics")
WAREHOUSES: list[str] = _LOGISTICS["warehouses"]
CARRIERS: list[str] = list(_LOGISTICS["carriers"])
CARRIER_WEIGHTS: list[float] = [carrier["share"] for carrier in _LOGISTICS["carriers"].values()]
CARRIER_SPEED: dict[str, float] = {name: carrier.get("speed", 1.0) for name, carrier in _LOGISTICS["carriers"].items()}
TRACKING: dict[str, tuple[str, int]] = {name: tuple(carrier["tracking"])
                                        for name, carrier in _LOGISTICS["carriers"].items()}
SIGNERS: list[str] = _LOGISTICS["signers"]


def generate_promotions() -> list[dict]:
    """promotions.jsonl rows: whole UTC days from `from` 00:00:00 to `to` 23:59:59, unused fields 0/1.0/null."""
    return [{"id": p["id"], "name": p["name"], "type": p["type"], "threshold": float(p.get("threshold", 0)),
             "amount": float(p.get("amount", 0)), "discount_rate": p.get("rate", 1.0),
             "category": p.get("category"), "brand": p.get("brand"), "code": p.get("code"),
             "starts_at": f"{p['from']}T00:00:00+00:00", "ends_at": f"{p['to']}T23:59:59+00:00",
             "description": p["description"]}
            for p in table("promotions")]


def _offers(promotions: list[dict]) -> list[Promotion]:
    """The rows as the shop database holds them, in the order checkout reads them (start, id)."""
    offers = [Promotion(**{**row, "starts_at": datetime.fromisoformat(row["starts_at"]),
                           "ends_at": datetime.fromisoformat(row["ends_at"])}) for row in promotions]
    return sorted(offers, key=lambda p: (p.starts_at, p.id))


def _priced(offers: list[Promotion], when: datetime, lines: list[tuple[Item, int]]) -> tuple[float, float]:
    """(total, discount) of an order placed at `when`: what checkout charges then (store.pricing.quote)."""
    active = [p for p in offers if p.starts_at <= when <= p.ends_at]
    cart = [CartLine(Product(id=item.row["id"], price=item.row["price"], category=item.row["category"],
                             brand=item.row["brand"]), quantity) for item, quantity in lines]
    priced = quote(cart, active)
    return priced.total, priced.discount


def _tracking(rng: random.Random, carrier: str) -> str:
    """A tracking number in the carrier's pattern (every carrier's is drawn, one is kept)."""
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    return {name: prefix + digits(n) for name, (prefix, n) in TRACKING.items()}[carrier]


def _trail(rng: random.Random, shopper: Shopper, carrier: str, paid: datetime) -> list[dict]:
    """The full logistics trail from warehouse to doorstep (later cut at 'now')."""
    speed = CARRIER_SPEED.get(carrier, 1.0)
    dest = shopper.city
    hub = REGION_HUB[dest]
    near = [w for w in WAREHOUSES if REGION_HUB.get(w, w) == hub]
    origin = rng.choice(near) if near and rng.random() < 0.55 else rng.choice(WAREHOUSES)
    t = paid + timedelta(hours=rng.uniform(1.5, 30) * speed)
    fmt = lambda when: when.replace(microsecond=0).isoformat()  # noqa: E731
    trail = [{"time": fmt(t), "status": "已发货", "description": f"【{origin}仓】商家已发货，{carrier}已揽收",
              "location": origin}]
    stops = [origin] + ([hub] if hub != origin else []) + ([dest] if dest != hub else [])
    if len(stops) == 1:
        t += timedelta(hours=rng.uniform(2, 6) * speed)
        trail.append({"time": fmt(t), "status": "运输中", "description": f"【{dest}转运中心】快件已到达",
                      "location": dest})
    else:
        t += timedelta(hours=rng.uniform(1, 5))
        trail.append({"time": fmt(t), "status": "运输中",
                      "description": f"【{origin}转运中心】快件已发出，下一站【{stops[1]}】", "location": origin})
    for here, there in zip(stops, stops[1:]):
        far = REGION_HUB.get(here, here) != REGION_HUB.get(there, there)
        t += timedelta(hours=(rng.uniform(14, 40) if far else rng.uniform(3, 10)) * speed)
        trail.append({"time": fmt(t), "status": "运输中", "description": f"【{there}转运中心】快件已到达",
                      "location": there})
    t += timedelta(hours=rng.uniform(3, 12) * speed)
    trail.append({"time": fmt(t), "status": "派送中",
                  "description": f"【{dest}{shopper.district}营业部】快递员正在派送，请保持电话畅通",
                  "location": dest})
    t += timedelta(hours=rng.uniform(0.5, 6))
    trail.append({"time": fmt(t), "status": "已签收",
                  "description": f"【{dest}{shopper.district}】快件已签收，签收人：{rng.choice(SIGNERS)}，"
                                 f"感谢使用{carrier}",
                  "location": dest})
    return trail


def build_orders(rng: random.Random, rows: list[tuple], items: list[Item], shoppers: list[Shopper],
                 promotions: list[dict]) -> tuple[list[dict], list[tuple], dict[str, dict[str, tuple]]]:
    """Orders from purchase events (one per user-hour), ratings after delivery, pending and
    cancelled checkouts from abandoned carts, each priced as checkout would have priced it
    when it was placed; returns (orders, rating rows, carts)."""
    item_by_id = {i.row["id"]: i for i in items}
    offers = _offers(promotions)
    per_user: dict[str, list[tuple]] = {}
    for row in rows:
        per_user.setdefault(row[1], []).append(row)
    orders: list[dict] = []
    ratings: list[tuple] = []
    carts: dict[str, dict[str, tuple]] = {}
    used_ids: set[str] = set()

    def order_id(when: datetime) -> str:
        while True:
            candidate = "DD" + when.strftime("%Y%m%d%H%M%S") + f"{rng.randint(0, 9999):04d}"
            if candidate not in used_ids:
                used_ids.add(candidate)
                return candidate

    for shopper in shoppers:
        events = sorted(per_user.get(shopper.id, []), key=lambda r: r[0])
        taste = Taste(shopper, {})
        rng.random()  # once: holds a coupon (checkout applies none); drawn so later draws stay put
        groups: list[list[tuple]] = []
        for row in events:
            if row[3] != "purchase":
                continue
            if groups and row[0] - groups[-1][0][0] < timedelta(hours=1):
                groups[-1].append(row)
            else:
                groups.append([row])
        for group in groups:
            created = group[0][0]
            quantities: dict[str, int] = {}
            for row in group:
                item = item_by_id[row[2]]
                qty = rng.choice([1, 1, 1, 2, 2, 3]) if item.row["category"] in CONSUMABLES else \
                    (2 if rng.random() < 0.05 else 1)
                quantities[row[2]] = quantities.get(row[2], 0) + qty
            lines = [(item_by_id[pid], qty) for pid, qty in quantities.items()]
            total, discount = _priced(offers, created, lines)
            depts = {i.row["department"] for i, _ in lines}
            carrier = rng.choice(["顺丰速运", "京东物流"]) if depts & {"数码", "家电"} and rng.random() < 0.7 \
                else rng.choices(CARRIERS, weights=CARRIER_WEIGHTS)[0]
            trail = [e for e in _trail(rng, shopper, carrier, created)
                     if datetime.fromisoformat(e["time"]) < END]
            last = trail[-1]["status"] if trail else ""
            status = {"": "已付款", "已发货": "已发货", "运输中": "运输中", "派送中": "运输中",
                      "已签收": "已签收"}[last]
            orders.append({
                "id": order_id(created), "user_id": shopper.id, "status": status,
                "created_at": created.isoformat(),
                "items": [{"product_id": i.row["id"], "quantity": q, "price": i.row["price"]} for i, q in lines],
                "total": total, "discount": discount, "coupon": None,
                "address": shopper.address, "logistics": trail, "carrier": carrier,
                "tracking_no": _tracking(rng, carrier) if trail else None,
            })
            if status == "已签收":
                signed = datetime.fromisoformat(trail[-1]["time"])
                for item, _ in lines:
                    if rng.random() < 0.35:
                        when = signed + timedelta(hours=rng.uniform(2, 240))
                        if when < END:
                            score = 2.4 + 2.6 * taste.fit(item) + 1.2 * (item.quality - 4.5) + rng.gauss(0, 0.8)
                            ratings.append((when.replace(microsecond=0), shopper.id, item.row["id"], "rating",
                                            str(int(min(5, max(1, round(score)))))))
        # What is still in the cart: carted and not bought afterwards.
        last_cart: dict[str, datetime] = {}
        last_buy: dict[str, datetime] = {}
        for row in events:
            if row[3] == "add_to_cart":
                last_cart[row[2]] = row[0]
            elif row[3] == "purchase":
                last_buy[row[2]] = row[0]
        open_items = [(when, pid) for pid, when in last_cart.items() if when > last_buy.get(pid, START)]
        open_items.sort()
        kept: dict[str, tuple] = {}
        for when, pid in open_items:
            item = item_by_id[pid]
            qty = rng.choice([1, 1, 2]) if item.row["category"] in CONSUMABLES else 1
            fresh = END - when < timedelta(days=3)
            roll = rng.random()
            if roll < (0.25 if fresh else 0.0) or roll > 0.94:
                status = "待付款" if fresh and roll < 0.25 else "已取消"
                created = when + timedelta(minutes=rng.randint(1, 20))
                if created >= END:
                    created = when
                total, discount = _priced(offers, created, [(item, qty)])
                orders.append({
                    "id": order_id(created), "user_id": shopper.id, "status": status,
                    "created_at": created.replace(microsecond=0).isoformat(),
                    "items": [{"product_id": pid, "quantity": qty, "price": item.row["price"]}],
                    "total": total, "discount": discount, "coupon": None,
                    "address": shopper.address, "logistics": [], "carrier": "", "tracking_no": None,
                })
                continue
            kept[pid] = (qty, when)
        if kept:
            carts[shopper.id] = kept
    orders.sort(key=lambda o: (o["created_at"], o["id"]))
    return orders, ratings, carts
