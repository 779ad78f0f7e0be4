"""Build the library objects a serving process needs from settings (one place for wiring)."""
from __future__ import annotations

from bot.settings import Settings
from retrieval.search import Searcher
from store.catalog import all_products, category_aliases


def make_searcher(settings: Settings) -> Searcher:
    return Searcher(settings.index_dir, settings.encoder_dir, all_products(settings.db_url),
                    category_aliases(settings.db_url))
