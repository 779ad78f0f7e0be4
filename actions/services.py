"""Process-wide services the actions share (cached models, not mutable state)."""
from __future__ import annotations

from functools import lru_cache

from core.services import make_personaliser, make_searcher
from core.settings import get_settings
from recommender.service import Personaliser
from retrieval.search import Searcher


@lru_cache
def searcher() -> Searcher:
    return make_searcher(get_settings())


@lru_cache
def personaliser() -> Personaliser:
    return make_personaliser(get_settings())
