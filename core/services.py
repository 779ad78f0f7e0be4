"""Build the library objects a serving process needs from settings (one place for wiring)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.settings import Settings
from recommender.data import Event, events_from_rows
from recommender.blend import Weights
from recommender.service import Personaliser
from store.catalog import all_products, category_aliases
from store.db import migrate, session_scope
from store.history import interaction_rows
from store.models import Product

if TYPE_CHECKING:
    from retrieval.search import Searcher


def read_catalog(settings: Settings) -> tuple[list[Product], dict[str, list[str]]]:
    """Every product and the category aliases, read in one transaction (a fresh database migrated first)."""
    migrate(settings.db_url)
    with session_scope(settings.db_url) as session:
        return all_products(session), category_aliases(session)


def make_searcher(settings: Settings) -> "Searcher":
    from retrieval.search import Searcher  # loads torch and the encoder: only where searching

    return Searcher(settings.index_dir, settings.encoder_dir, *read_catalog(settings))


def blend_weights(settings: Settings) -> Weights:
    """The blend's weights from SHOPBOT_BLEND_*: what the chat serves and the evaluation scores."""
    return Weights(settings.blend_semantic, settings.blend_cf, settings.blend_popularity)


def history_reader(settings: Settings) -> Callable[[str], list[Event]]:
    """A shopper's stored events, read fresh per request so new chat clicks count at once."""
    def read(user_id: str) -> list[Event]:
        with session_scope(settings.db_url) as session:
            return events_from_rows(interaction_rows(session, user_id=user_id))

    return read


def make_personaliser(settings: Settings) -> Personaliser:
    products = {p.id: p for p in read_catalog(settings)[0]}
    return Personaliser(settings.cf_dir, products, history_reader(settings), blend_weights(settings))
