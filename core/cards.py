"""Products as the chat and the web API hand them to the widget: prices in yuan and the product
card, inside a `products` or `comparison` payload. One shape, whoever builds it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

PRODUCTS = "products"  # a list of product cards
COMPARISON = "comparison"  # product cards side by side with rows of their facts


def yuan(amount: float) -> str:
    """2999.0 → "¥2999", 59.9 → "¥59.9"."""
    return f"¥{amount:.2f}".rstrip("0").rstrip(".")


def image_url(product_id: str) -> str:
    """Where the web app serves a product's picture."""
    return f"/images/{quote(product_id)}.svg"


def product_card(p: Any, reason: str = "", score: float | None = None) -> dict[str, Any]:
    """One product card; `p` is a catalog Product or a SearchResult."""
    return {"id": p.id, "title": p.title, "brand": p.brand, "category": p.category,
            "price": p.price, "list_price": p.list_price, "color": p.color, "rating": p.rating,
            "image": image_url(p.id), "score": score, "reason": reason}


def products_payload(cards: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The `products` payload contract the widget and tests rely on."""
    return {"type": PRODUCTS, "products": list(cards)}
