"""Shop vocabulary from the catalog: jieba user dictionary, category aliases, Rasa lookups."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# What shoppers call a category when they don't use the shop's name for it.
CATEGORY_ALIASES: dict[str, list[str]] = {
    "手机": ["手机", "智能手机", "5G手机"],
    "笔记本电脑": ["笔记本电脑", "笔记本", "电脑", "手提电脑", "游戏本"],
    "蓝牙耳机": ["蓝牙耳机", "无线耳机", "耳机", "耳麦", "降噪耳机"],
    "智能手表": ["智能手表", "运动手表", "手表"],
    "平板电脑": ["平板电脑", "平板", "iPad"],
    "电视": ["电视机", "电视", "智能电视"],
    "扫地机器人": ["扫地机器人", "扫地机", "扫拖机器人"],
    "吹风机": ["吹风机", "电吹风", "吹风筒"],
    "口红": ["口红", "唇膏", "唇釉"],
    "运动鞋": ["运动鞋", "跑鞋", "球鞋", "跑步鞋"],
    "双肩包": ["双肩包", "背包", "书包"],
    "保温杯": ["保温杯", "水杯", "杯子"],
    "茶叶": ["茶叶", "茶"],
}


def category_aliases(categories: Iterable[str]) -> dict[str, str]:
    """Map every surface form (alias or the category itself) to its catalog category."""
    mapping: dict[str, str] = {}
    for category in categories:
        for alias in CATEGORY_ALIASES.get(category, []) + [category]:
            mapping.setdefault(alias, category)
    return mapping


def detect_category(text: str, aliases: dict[str, str]) -> str | None:
    """The category of the longest alias the text mentions, if any."""
    lowered = text.lower()
    for alias in sorted(aliases, key=len, reverse=True):
        if alias.lower() in lowered:
            return aliases[alias]
    return None


def vocabulary(products: Iterable) -> dict[str, set[str]]:
    """Terms worth keeping whole when segmenting, grouped by kind."""
    vocab: dict[str, set[str]] = {"brand": set(), "category": set(), "line": set(), "tag": set()}
    for p in products:
        vocab["brand"].add(p.brand)
        vocab["category"].add(p.category)
        vocab["tag"].update(p.tags)
        line = (p.attributes or {}).get("系列")
        if line:
            vocab["line"].add(line.replace(" ", ""))
    for category in list(vocab["category"]):
        vocab["category"].update(CATEGORY_ALIASES.get(category, []))
    return vocab


# One-character verbs/adjectives that jieba's own dictionary glues onto product words
# ("买手机", "新手机"), which hides the product word from DIET and from lookups.
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
    tag_of = {"brand": "nz", "category": "n", "line": "nz", "tag": "n"}
    lines = sorted({f"{word} 2000 {tag_of[kind]}" for kind, words in vocab.items()
                    for word in words if word and " " not in word})
    lines += sorted(f"{word} 0" for word in glued_words(vocab["category"] | vocab["brand"]))
    path = folder / "userdict.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_lookups(vocab: dict[str, set[str]], path: Path) -> Path:
    """Rasa NLU lookup tables (longest entries first, as Chinese regexes need)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = ['version: "3.1"', "nlu:"]
    for kind in ("category", "brand"):
        out.append(f"- lookup: {kind}")
        out.append("  examples: |")
        for word in sorted(vocab[kind], key=lambda w: (-len(w), w)):
            out.append(f"    - {word}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
