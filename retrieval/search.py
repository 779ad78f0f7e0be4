"""`Searcher.search(query, k)`: dense retrieval over the FAISS index with a category filter."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from retrieval.encoder import encode_queries, load_encoder
from retrieval.index import load_index
from retrieval.lexicon import category_aliases, detect_category


@dataclass
class SearchResult:
    """A product as search returns it; `score` is the dense cosine similarity."""

    id: str
    title: str
    brand: str
    category: str
    price: float
    list_price: float
    color: str
    rating: float
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


class Searcher:
    """Holds the index, the encoder and product facts; one instance per serving process."""

    def __init__(self, index_dir: Path, encoder_cache: Path, products: list) -> None:
        self.index, self.ids, self.manifest = load_index(index_dir)
        self.encoder = load_encoder(self.manifest.model, encoder_cache)
        self.products = {p.id: p for p in products}
        self.aliases = category_aliases({p.category for p in products})

    def search(self, query: str, k: int = 5) -> list[SearchResult]:
        """Top-k products for a free-text query; a named category is a hard filter."""
        category = detect_category(query, self.aliases)
        vector = np.asarray(encode_queries(self.encoder, [query]), dtype=np.float32)
        # Over-fetch so that the filter still leaves k results.
        depth = len(self.ids) if category else min(len(self.ids), k)
        scores, positions = self.index.search(vector, depth)
        results: list[SearchResult] = []
        for score, position in zip(scores[0], positions[0]):
            if position < 0:
                continue
            product = self.products.get(self.ids[position])
            if product is None or (category and product.category != category):
                continue
            results.append(SearchResult(id=product.id, title=product.title, brand=product.brand,
                                        category=product.category, price=product.price,
                                        list_price=product.list_price, color=product.color,
                                        rating=product.rating, score=round(float(score), 4)))
            if len(results) == k:
                break
        return results
