"""Process-wide services the actions share (cached models, not mutable state)."""
from __future__ import annotations

from functools import lru_cache

from bot.settings import get_settings
from retrieval.search import Searcher
from store.catalog import all_products


@lru_cache
def searcher() -> Searcher:
    settings = get_settings()
    return Searcher(settings.index_dir, settings.encoder_dir, all_products(settings.db_url))
