"""How products look in chat: Chinese text, numbered lists, comparison tables; the card, its
payload and prices in yuan come from core/cards.py (the web API draws the same cards)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.cards import COMPARISON, product_card, products_payload, yuan


def numbered(products: Sequence[Any], reasons: Sequence[str] = ()) -> str:
    """"1. 华为 Mate 60 … ¥5999" lines, so "第二个" has an obvious meaning."""
    lines = []
    for n, p in enumerate(products, 1):
        reason = reasons[n - 1] if n - 1 < len(reasons) and reasons[n - 1] else ""
        lines.append(f"{n}. {p.title} {yuan(p.price)}" + (f"（{reason}）" if reason else ""))
    return "\n".join(lines)


def show_products(dispatcher: Any, intro: str, products: Sequence[Any], reasons: Sequence[str],
                  scores: Sequence[float | None], outro: str = "", buttons: list[dict] | None = None) -> None:
    """Utter a numbered list ("第二个" then means something) and the same products as cards."""
    text = f"{intro}\n{numbered(products, reasons)}" + (f"\n{outro}" if outro else "")
    dispatcher.utter_message(text=text, buttons=buttons or [])
    dispatcher.utter_message(json_message=products_payload(
        [product_card(p, reason, score) for p, reason, score in zip(products, reasons, scores)]))


def attribute_text(value: Any) -> str:
    return "/".join(map(str, value)) if isinstance(value, list) else str(value)


def detail_text(p: Any) -> str:
    """A product described from its catalog facts."""
    price = yuan(p.price) + (f"（原价 {yuan(p.list_price)}）" if p.list_price > p.price else "")
    facts = "；".join(f"{k}：{attribute_text(v)}" for k, v in (p.attributes or {}).items())
    stock = "有货" if p.stock > 0 else "暂时缺货"
    lines = [f"【{p.title}】", f"价格：{price}，{stock}",
             f"评分：{p.rating:.1f} 分（{p.reviews} 条评价），已售 {p.sales} 件"]
    if p.color:
        lines.append(f"颜色：{p.color}")
    if facts:
        lines.append(facts)
    if p.tags:
        lines.append("卖点：" + "、".join(p.tags))
    if p.description:
        lines.append(p.description)
    return "\n".join(lines)


def comparison_rows(products: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of (label, one value per product) from the facts the products share."""
    rows = [("品牌", [p.brand for p in products]), ("价格", [yuan(p.price) for p in products]),
            ("评分", [f"{p.rating:.1f}" for p in products]), ("销量", [str(p.sales) for p in products]),
            ("颜色", [p.color or "—" for p in products])]
    keys: list[str] = []
    for p in products:
        keys += [k for k in (p.attributes or {}) if k not in keys and k != "尺码"]
    for key in keys:
        rows.append((key, [attribute_text((p.attributes or {}).get(key, "—")) for p in products]))
    rows.append(("卖点", ["、".join(p.tags) or "—" for p in products]))
    return [{"label": label, "values": values} for label, values in rows]


def comparison_text(products: Sequence[Any]) -> str:
    header = " vs ".join(f"{n}. {p.title}" for n, p in enumerate(products, 1))
    body = "\n".join(f"{row['label']}：" + " | ".join(row["values"]) for row in comparison_rows(products))
    return f"{header}\n{body}"


def comparison_payload(products: Sequence[Any]) -> dict[str, Any]:
    return {"type": COMPARISON, "products": [product_card(p) for p in products], "rows": comparison_rows(products)}


def verdict(products: Sequence[Any]) -> str:
    """A one-line recommendation: best rated, cheapest, and what the difference buys."""
    best = max(products, key=lambda p: (p.rating, p.sales))
    cheapest = min(products, key=lambda p: p.price)
    if best is cheapest:
        return f"综合来看 {best.title} 评分更高、价格也更低，性价比更好。"
    return (f"看重口碑选 {best.title}（{best.rating:.1f} 分）；预算优先选 {cheapest.title}，"
            f"便宜 {yuan(best.price - cheapest.price)}。")
