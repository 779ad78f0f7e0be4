"""Shop vocabulary from the catalog: jieba user dictionary, category aliases, Rasa lookups.

Category aliases come from the shop's categories table (data/catalog/categories.jsonl).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def alias_index(aliases: dict[str, list[str]]) -> dict[str, str]:
    """Map every surface form (alias or the category itself) to its catalog category."""
    mapping: dict[str, str] = {}
    for category, names in aliases.items():
        for alias in [*names, category]:
            mapping.setdefault(alias, category)
    return mapping


def product_lines(products: Iterable) -> set[str]:
    """Product lines ("系列": Mate60, Redmi Buds 5 → RedmiBuds5) with the spaces taken out."""
    return {"".join(str(line).split()) for line in ((p.attributes or {}).get("系列") for p in products) if line}


def vocabulary(products: Iterable, aliases: dict[str, list[str]]) -> dict[str, set[str]]:
    """Terms worth keeping whole when segmenting, grouped by kind."""
    vocab: dict[str, set[str]] = {"brand": set(), "category": set(), "line": set(), "tag": set(),
                                  "color": set()}
    products = list(products)
    for p in products:
        vocab["brand"].add(p.brand)
        if p.color:
            vocab["color"].add(p.color)
        vocab["category"].add(p.category)
        vocab["tag"].update(p.tags)
    vocab["line"] = product_lines(products)
    for category in list(vocab["category"]):
        vocab["category"].update(aliases.get(category, []))
    return vocab


# One-character verbs/adjectives that jieba's own dictionary glues onto product words
# ("买手机", "新手机"), which hides the product word from the tokens and the entity lexicon.
GLUE_PREFIXES = "买卖换要选挑看新配送给用发"


def glued_words(terms: Iterable[str]) -> set[str]:
    """Words in jieba's dictionary made of a glue prefix plus a shop term."""
    import jieba

    jieba.initialize()
    freq = jieba.dt.FREQ
    return {prefix + term for term in terms for prefix in GLUE_PREFIXES if freq.get(prefix + term)}


def write_jieba_dict(vocab: dict[str, set[str]], folder: Path) -> Path:
    """One jieba user-dict file (`word freq tag`); JiebaTokenizer loads every file in the folder.

    Shop terms get a high frequency; glued words get frequency 0, which makes jieba split them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tag_of = {"brand": "nz", "category": "n", "line": "nz", "tag": "n", "color": "n"}
    # Digit-only words ("15") would cut order numbers apart, so they are left to jieba.
    lines = sorted({f"{word} 2000 {tag_of[kind]}" for kind, words in vocab.items()
                    for word in words if word and " " not in word and not word.isdigit()})
    stems = {c[:-1] for c in vocab["color"] if c.endswith("色") and len(c) > 1}
    lines += sorted(f"{word} 0" for word in glued_words(vocab["category"] | vocab["brand"] | stems))
    path = folder / "userdict.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def synonyms(vocab: dict[str, set[str]], aliases: dict[str, list[str]]) -> dict[str, str]:
    """Surface form → catalog value for Rasa's EntitySynonymMapper (耳麦 → 蓝牙耳机, iPhone → 苹果)."""
    mapping = {alias: category for alias, category in alias_index(aliases).items() if alias != category}
    for brand in vocab["brand"]:
        for alias in BRAND_ALIASES.get(brand, []):
            mapping.setdefault(alias, brand)
    for color in vocab["color"]:
        if color.endswith("色") and len(color) > 1:
            mapping.setdefault(color[:-1] + "的", color)
    return mapping


def write_lookups(vocab: dict[str, set[str]], path: Path, aliases: dict[str, list[str]] | None = None) -> Path:
    """Rasa NLU lookup tables (longest entries first) and the catalog's synonyms, so NLU
    entities arrive as catalog values: the words the retrieval parser knows, per entity."""
    from retrieval.query import GENDER_WORDS, TAG_SYNONYMS

    path.parent.mkdir(parents=True, exist_ok=True)
    mapping = synonyms(vocab, aliases or {})
    brand_forms = vocab["brand"] | {a for a, b in mapping.items() if b in vocab["brand"]}
    # What shoppers say for a tag, unless it contains the tag itself ("拍照好" is found as 拍照).
    said_tags = {word: tag for tag in vocab["tag"] for word in TAG_SYNONYMS.get(tag, []) if tag not in word}
    for word, tag in said_tags.items():
        mapping.setdefault(word, tag)
    for gender, words in GENDER_WORDS.items():
        for word in words:
            mapping.setdefault(word, gender)
    attributes = vocab["tag"] | set(said_tags)
    genders = {w for words in GENDER_WORDS.values() for w in words}
    out = ['version: "3.1"', "nlu:"]
    for kind, words in (("category", vocab["category"]), ("brand", brand_forms), ("color", vocab["color"]),
                        ("attribute", attributes - vocab["category"] - brand_forms), ("gender", genders)):
        out.append(f"- lookup: {kind}")
        out.append("  examples: |")
        for word in sorted(words, key=lambda w: (-len(w), w)):
            out.append(f"    - {word}")
    by_value: dict[str, list[str]] = {}
    for surface, value in sorted(mapping.items()):
        by_value.setdefault(value, []).append(surface)
    for value, surfaces in sorted(by_value.items()):
        out.append(f"- synonym: {value}")
        out.append("  examples: |")
        out += [f"    - {surface}" for surface in surfaces]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


# Latin and alternative names shoppers use for brands.
BRAND_ALIASES: dict[str, list[str]] = {
    "苹果": ["Apple", "iPhone", "iPad", "MacBook", "AirPods", "果子"],
    "华为": ["Huawei", "HUAWEI", "菊厂"], "小米": ["Xiaomi", "Redmi", "红米", "米家"],
    "索尼": ["Sony"], "戴森": ["Dyson"], "耐克": ["Nike"], "阿迪达斯": ["Adidas", "阿迪"],
    "联想": ["Lenovo", "ThinkPad"], "三星": ["Samsung"], "乐高": ["LEGO", "Lego"],
    "李宁": ["Li-Ning", "LINING"], "优衣库": ["Uniqlo", "UNIQLO"], "兰蔻": ["Lancome"],
    "雅诗兰黛": ["Estee Lauder"], "美的": ["Midea"], "格力": ["Gree"], "海尔": ["Haier"],
    "飞利浦": ["Philips"], "松下": ["Panasonic"], "佳能": ["Canon"], "尼康": ["Nikon"],
    "戴尔": ["Dell"], "华硕": ["ASUS", "Asus"], "OPPO": ["oppo", "欧珀"], "vivo": ["VIVO", "iQOO"],
    "迪奥": ["Dior"], "香奈儿": ["Chanel"], "欧莱雅": ["L'Oreal", "Loreal"], "星巴克": ["Starbucks"],
    "雀巢": ["Nestle"], "皇家": ["Royal Canin", "皇家猫粮"], "帮宝适": ["Pampers"],
    "新秀丽": ["Samsonite"], "北面": ["The North Face", "TNF"],
}


def query_vocabulary(products: Iterable, aliases: dict[str, list[str]]):
    """The parser's vocabulary: every surface form shoppers may type, mapped to catalog values."""
    from retrieval.needs import need_cues
    from retrieval.query import QueryVocabulary

    products = list(products)
    brands = {p.brand for p in products}
    brand_forms: dict[str, str] = {b: b for b in brands}
    for brand in brands:
        for alias in BRAND_ALIASES.get(brand, []):
            brand_forms.setdefault(alias, brand)
    return QueryVocabulary(
        categories=alias_index({c: aliases.get(c, []) for c in {p.category for p in products}}),
        brands=brand_forms,
        colors=sorted({p.color for p in products if p.color}),
        tags=sorted({t for p in products for t in p.tags}),
        needs=need_cues({p.category for p in products}),
    )
