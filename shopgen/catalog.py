"""The catalog: product lines and categories from shopgen/tables/catalog.yml, turned into SKUs
with prices, titles, tags and descriptions, and their published stats once the history exists."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from shopgen import table


@dataclass(frozen=True)
class Line:
    """A brand's product line (attributes["系列"]) with the price of its first spec."""

    brand: str
    name: str
    price: float
    feature: str = ""               # value of the category's feature attribute (chip, fabric…)
    tags: tuple[str, ...] = ()      # the line's own selling points
    gender: str | None = None       # None: category default; "男女": one product per gender
    ladder: str = ""                # a named ladder of the category ("" = "default"), or inline "spec:mult|…"
    colors: tuple[str, ...] = ()    # overrides the category palette ("曜石黑|黑色")
    suffix: str = ""                # overrides the category's title suffix
    note: str = ""                  # a sentence only this line's descriptions use
    age: str | None = None          # overrides the category's age group


@dataclass(frozen=True)
class CategorySpec:
    """What a leaf category sells and how its products are described and shopped."""

    department: str
    name: str
    lines: list[Line]
    suffix: str                                   # the title's last word ("5G手机")
    spec_key: str                                 # attribute the ladder varies ("存储")
    feature_key: str                              # attribute holding Line.feature ("处理器")
    feature_fmt: str                              # how descriptions say the feature
    colors: list[str]                             # palette; [] = colour does not apply
    tags: list[str]                               # safe fill-up tags: true of any product here
    blurbs: dict[str, str]                        # tag → a sentence for descriptions
    ladders: dict[str, list[tuple[str, float]]] = field(default_factory=lambda: {"default": [("", 1.0)]})
    gender: str = ""                              # default product gender
    age_group: str = ""
    sizes: dict[str, list[str]] = field(default_factory=dict)   # gender → 尺码 list
    variant_key: str = ""                         # palette entries are variants (色号, 口味), "label|colour"
    specs_n: tuple[int, int] = (1, 3)             # specs per line (min, max)
    colors_n: tuple[int, int] = (1, 3)            # colours per line (min, max)
    title_tag: bool = True                        # put the first selling point in the title
    season: str = "flat"                          # seasonality curve (shopgen.clock.SEASONS)
    traffic: float = 1.0                          # relative share of browsing
    audience: tuple[float, float] = (1.0, 1.0)    # browsing weight for (女, 男) shoppers
    noun: str = ""                                # what descriptions call one item

    def ladder(self, line: Line) -> list[tuple[str, float]]:
        if ":" in line.ladder:
            steps = [step.rsplit(":", 1) for step in line.ladder.split("|")]
            return [(label, float(mult)) for label, mult in steps]
        return self.ladders[line.ladder or "default"]


def _line(entry: dict) -> Line:
    """A product line from its table entry: tags are one space-separated string."""
    return Line(**{**entry, "tags": tuple(entry.get("tags", "").split()), "colors": tuple(entry.get("colors", ()))})


def _category(entry: dict) -> CategorySpec:
    """A category from its table entry: ladders are {name: {spec: price multiplier}}."""
    fields = {key: tuple(value) if key in ("specs_n", "colors_n", "audience") else value
              for key, value in entry.items() if key not in ("lines", "ladders")}
    if "ladders" in entry:
        fields["ladders"] = {name: list(steps.items()) for name, steps in entry["ladders"].items()}
    return CategorySpec(lines=[_line(line) for line in entry["lines"]], **fields)


CATEGORIES: list[CategorySpec] = [_category(entry) for entry in table("catalog")["categories"]]
CATEGORY = {spec.name: spec for spec in CATEGORIES}
DEPARTMENTS = list(dict.fromkeys(spec.department for spec in CATEGORIES))

_WORDS = table("descriptions")
CLOSERS: dict[str, list[str]] = _WORDS["closers"]
COLOR_LINES: list[str] = _WORDS["color_lines"]
TIERS: list[str] = _WORDS["tiers"]


def _round_price(value: float) -> float:
    """Shop-style prices: 59.9 or 99, 449, 2699 (nearest step, ending in 9)."""
    if value < 100:
        whole = max(round(value), 2)
        return float(whole) if whole % 10 == 9 and abs(value - whole) < 0.05 else round(whole - 0.1, 1)
    if value < 1000:
        return float(round(value / 10) * 10 - 1)
    return float(round(value / 100) * 100 - 1)


def _named(brand: str, line: str) -> str:
    """"小米 Redmi K70" but "华为畅享70": a space only where the line starts with Latin text."""
    return f"{brand} {line}" if line[:1].isascii() else f"{brand}{line}"


def _palette(entries, variants: bool = False) -> list[tuple[str, str]]:
    """(display, basic colour) pairs from "曜石黑|黑色" or "黑色" entries; variant labels
    without a colour ("原味") have no basic colour."""
    return [tuple(e.split("|", 1)) if "|" in e else (e, "" if variants else e) for e in entries]


@dataclass
class Item:
    """A product row plus what the generator knows about it but does not publish."""

    row: dict
    spec: CategorySpec
    line: Line
    popularity: float                 # relative demand (drives choice and sales)
    quality: float                    # latent star rating of the line
    display: str = ""                 # colour/variant as the title shows it
    sizes: list[str] = field(default_factory=list)
    band: int = 1                     # 0 budget, 1 mid, 2 premium within the category


def _describe(rng: random.Random, spec: CategorySpec, line: Line, row: dict, sizes: list[str],
              color_display: str, band_hint: int) -> str:
    brand, name = row["brand"], _named(row["brand"], line.name)
    feature = spec.feature_fmt.format(line.feature) if line.feature and line.feature not in line.name else ""
    spec_value = row["attributes"].get(spec.spec_key, "")
    noun = spec.noun or spec.name
    intros = [f"这款{name}是{brand}旗下{TIERS[band_hint]}{noun}" + (f"，{feature}" if feature else "") + "。",
              f"{name}" + (f"（{spec_value}）" if spec_value else "") + (f"，{feature}" if feature else "") + "，"
              + "和".join(row["tags"][:2]) + "是它最大的卖点。",
              f"{brand}家的{line.name}" + (f"，{feature}" if feature else "") + "，"
              + rng.choice(["口碑一直不错。", "是店里的热门款。", "回购率很高。", "上市以来评价很好。"])]
    sentences = [rng.choice(intros)]
    blurbs = [spec.blurbs[t] for t in row["tags"] if t in spec.blurbs]
    rng.shuffle(blurbs)
    sentences += blurbs[:rng.choice([1, 2, 2])]
    if line.note and len(sentences) < 4:
        sentences.append(line.note)
    if sizes:
        extra = f"尺码{sizes[0]}到{sizes[-1]}齐全，建议按平时尺码选购。"
    elif color_display and rng.random() < 0.5:
        extra = rng.choice(COLOR_LINES).format(c=color_display)
    else:
        extra = rng.choice(CLOSERS[spec.department])
    if len(sentences) < 2 or (len(sentences) < 4 and rng.random() < 0.6):
        sentences.append(extra)
    return "".join(sentences)


def generate_products(rng: random.Random) -> list[Item]:
    """Every line × spec × colour (× gender for clothing) is one SKU, priced from its line."""
    items: list[Item] = []
    for cat_index, spec in enumerate(CATEGORIES, start=1):
        serial = 0
        brand_pop = {}
        for line in spec.lines:
            if line.brand not in brand_pop:
                brand_pop[line.brand] = rng.lognormvariate(0, 0.5)
        for line in spec.lines:
            ladder = spec.ladder(line)
            n_specs = rng.randint(min(spec.specs_n[0], len(ladder)), min(spec.specs_n[1], len(ladder)))
            steps = ladder[:n_specs]
            palette = _palette(line.colors or spec.colors, bool(spec.variant_key))
            line_pop = brand_pop[line.brand] * rng.lognormvariate(0, 0.9)
            quality = min(4.95, max(3.7, rng.gauss(4.55, 0.22)))
            line_discount = rng.random() < 0.35
            genders = ["男", "女"] if (line.gender or spec.gender) == "男女" else [line.gender or spec.gender]
            for gender in genders:
                if palette:
                    lo = min(spec.colors_n[0], len(palette))
                    hi = min(spec.colors_n[1], len(palette))
                    colors = palette[:1] + rng.sample(palette[1:], rng.randint(lo, hi) - 1)
                else:
                    colors = [("", "")]
                for j, (spec_value, mult) in enumerate(steps):
                    base = line.price * mult
                    for k, (display, basic) in enumerate(colors):
                        serial += 1
                        sku = f"SKU{cat_index:02d}{serial:04d}"
                        price = _round_price(base * (rng.uniform(0.9, 0.98) if rng.random() < 0.15 else 1.0))
                        list_price = price
                        if line_discount or rng.random() < 0.25:
                            list_price = max(price, _round_price(base * rng.uniform(1.05, 1.3)))
                        attributes: dict = {"系列": line.name}
                        if spec_value:
                            attributes[spec.spec_key] = spec_value
                        if line.feature and spec.feature_key not in attributes:
                            attributes[spec.feature_key] = line.feature
                        if spec.variant_key and display:
                            attributes[spec.variant_key] = display
                        sizes = spec.sizes.get(gender, []) if spec.sizes else []
                        if sizes:
                            attributes["尺码"] = sizes
                        tags = list(dict.fromkeys(line.tags))[:3]
                        want = rng.randint(max(2, len(tags)), 5)
                        pool = [t for t in spec.tags if t not in tags]
                        tags += rng.sample(pool, min(len(pool), want - len(tags)))
                        assert 2 <= len(tags) <= 5, (spec.name, line.name, tags)
                        color_text = f"{display} {basic}".strip() if spec.variant_key else display
                        gender_word = {"男": "男款", "女": "女款"}.get(gender, "") if spec.sizes else ""
                        suffix = line.suffix or spec.suffix
                        said = line.name + suffix          # words the title already has
                        feature_in_title = line.feature and line.feature not in said and spec.feature_key != "规格"
                        parts = [line.brand, line.name, gender_word, spec_value, color_text,
                                 line.feature if feature_in_title else "",
                                 tags[0] if spec.title_tag and tags[0] not in said + line.feature else "",
                                 suffix]
                        if spec.feature_key == "规格":          # 奶粉: "1段 700g"
                            parts[3] = f"{spec_value} {line.feature}".strip()
                        title = " ".join(p for p in parts if p)
                        row = {
                            "id": sku, "title": title, "brand": line.brand,
                            "department": spec.department, "category": spec.name,
                            "price": price, "list_price": list_price, "color": basic,
                            "attributes": attributes, "gender": gender,
                            "age_group": line.age if line.age is not None else spec.age_group,
                            "tags": tags, "description": "", "stock": 0, "sales": 0,
                            "rating": 0.0, "reviews": 0, "image": f"/images/{sku}.svg",
                        }
                        pop = line_pop * [1.0, 0.8, 0.55, 0.35, 0.25][min(j, 4)] * 0.72 ** k
                        items.append(Item(row, spec, line, pop * spec.traffic, quality, display, sizes))
    _assign_bands(items)
    for item in items:
        colour = item.display if item.row["color"] and not item.spec.variant_key else ""
        item.row["description"] = _describe(rng, item.spec, item.line, item.row, item.sizes, colour, item.band)
    return items


def _assign_bands(items: list[Item]) -> None:
    """Price band by rank within the category: cheapest third budget, dearest third premium."""
    by_cat: dict[str, list[Item]] = {}
    for item in items:
        by_cat.setdefault(item.row["category"], []).append(item)
    for group in by_cat.values():
        ranked = sorted(group, key=lambda i: (i.row["price"], i.row["id"]))
        for rank, item in enumerate(ranked):
            item.band = min(2, rank * 3 // len(ranked))


def finish_products(rng: random.Random, items: list[Item], rows: list[tuple], orders: list[dict]) -> None:
    """Stock, lifetime sales, review counts and star ratings, consistent with the history."""
    sold: dict[str, int] = {}
    for order in orders:
        if order["status"] in ("待付款", "已取消"):
            continue
        for line in order["items"]:
            sold[line["product_id"]] = sold.get(line["product_id"], 0) + line["quantity"]
    stars: dict[str, list[int]] = {}
    for row in rows:
        if row[3] == "rating":
            stars.setdefault(row[2], []).append(int(row[4]))
    for item in items:
        row = item.row
        base = int(item.popularity * rng.lognormvariate(5.3, 0.5))
        row["sales"] = base + sold.get(row["id"], 0) * 6
        scores = stars.get(row["id"], [])
        prior_weight = 12
        mean = (item.quality * prior_weight + sum(scores)) / (prior_weight + len(scores))
        row["rating"] = round(min(5.0, max(3.5, mean)), 1)
        row["reviews"] = int(row["sales"] * rng.uniform(0.15, 0.45)) + len(scores)
        if rng.random() < 0.07:
            row["stock"] = 0
        else:
            row["stock"] = int(rng.choice([5, 12, 30, 60, 120, 300, 800]) * (1 + min(3.0, item.popularity)))

