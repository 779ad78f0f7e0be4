"""Writes the shipped shop, data/catalog/*, from one seed: `python -m shopgen [OUT_DIR]`.

The output is committed so that every machine indexes and trains on identical data. Same seed,
same bytes. The model behind the numbers (taste profiles, funnel, complements, seasonality,
orders) is described in docs/data-generator.md.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from shopgen.catalog import CATEGORIES, DEPARTMENTS, finish_products, generate_products
from shopgen.events import generate_events
from shopgen.orders import build_orders, generate_promotions
from shopgen.shoppers import generate_shoppers
from store.aliases import CATEGORY_ALIASES

SEED = 20261128


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(out_dir: Path = Path("data/catalog")) -> None:
    missing = [spec.name for spec in CATEGORIES if spec.name not in CATEGORY_ALIASES]
    if missing:
        raise SystemExit(f"store.aliases.CATEGORY_ALIASES has no aliases for {missing}")
    rng = random.Random(SEED)
    items = generate_products(rng)
    shoppers = generate_shoppers(rng, items)
    events = generate_events(rng, items, shoppers)
    promotions = generate_promotions()
    orders, ratings, carts = build_orders(rng, events, items, shoppers, promotions)
    events += ratings
    events.sort(key=lambda r: (r[0], r[1]))
    finish_products(rng, items, events, orders)

    out_dir.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out_dir / "categories.jsonl",
                 [{"department": s.department, "category": s.name, "aliases": CATEGORY_ALIASES[s.name]}
                  for s in CATEGORIES])
    _write_jsonl(out_dir / "products.jsonl", [i.row for i in items])
    _write_jsonl(out_dir / "users.jsonl",
                 [{"id": s.id, "name": s.name, "gender": s.gender, "age": s.age, "city": s.city,
                   "registered_at": s.registered_at.isoformat()} for s in shoppers])
    with (out_dir / "interactions.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["user_id", "product_id", "event", "rating", "timestamp"])
        for when, user, pid, event, rating in events:
            writer.writerow([user, pid, event, rating, when.isoformat()])
    _write_jsonl(out_dir / "orders.jsonl", orders)
    _write_jsonl(out_dir / "carts.jsonl", [
        {"user_id": user,
         "items": [{"product_id": pid, "quantity": qty, "added_at": when.isoformat()}
                   for pid, (qty, when) in sorted(cart.items(), key=lambda kv: kv[1][1])]}
        for user, cart in sorted(carts.items())])
    _write_jsonl(out_dir / "promotions.jsonl", promotions)

    counts: dict[str, int] = {}
    for row in events:
        counts[row[3]] = counts.get(row[3], 0) + 1
    brands_per_cat = {s.name: len({line.brand for line in s.lines}) for s in CATEGORIES}
    statuses: dict[str, int] = {}
    for order in orders:
        statuses[order["status"]] = statuses.get(order["status"], 0) + 1
    print(f"wrote to {out_dir}:")
    print(f"  categories.jsonl   {len(CATEGORIES)} categories in {len(DEPARTMENTS)} departments")
    print(f"  products.jsonl     {len(items)} products, "
          f"{len({i.row['brand'] for i in items})} brands (min {min(brands_per_cat.values())} per category)")
    print(f"  users.jsonl        {len(shoppers)} shoppers")
    funnel = ", ".join(f"{k} {counts.get(k, 0)}" for k in ("view", "click", "add_to_cart", "purchase", "rating"))
    print(f"  interactions.csv   {len(events)} events: {funnel}")
    print(f"  orders.jsonl       {len(orders)} orders: "
          + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"  carts.jsonl        {len(carts)} carts, {sum(len(c) for c in carts.values())} items")
    print(f"  promotions.jsonl   {len(promotions)} promotions")

