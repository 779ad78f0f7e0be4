"""Recommendation API: personal lists, complementary items, and the event write-back that
feeds what shoppers do in chat into the next `shopbot recommender train`."""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from core.cards import product_card
from core.manifest import MANIFEST_FILE
from core.services import make_personaliser
from core.settings import Settings
from web import ratelimit
from web.deps import settings_dep
from web.identity import optional_shopper, shopper
from core.identity import Shopper
from recommender.service import Personaliser, Recommendation
from store.db import session_scope
from store.history import record_event

router = APIRouter()
# What a widget can honestly observe. Cart adds and purchases are written by the actions, in
# the same transaction as the cart or order, never from the browser.
WidgetEvent = Literal["view", "click"]


class EventIn(BaseModel):
    product_id: str = Field(min_length=1, max_length=32)
    event: WidgetEvent


@lru_cache(maxsize=4)
def _personaliser(settings_json: str) -> Personaliser:
    """One loaded model set per configuration (a cached model, not mutable state)."""
    return make_personaliser(Settings.model_validate_json(settings_json))


def personaliser_dep(settings: Settings = Depends(settings_dep)) -> Personaliser:
    if not (settings.cf_dir / MANIFEST_FILE).exists():
        raise HTTPException(status_code=503, detail="推荐模型还没有训练，请先运行 shopbot setup")
    return _personaliser(settings.model_dump_json())


def _cards(personaliser: Personaliser, picks: list[Recommendation]) -> list[dict]:
    """The chat's product cards, each with why it was picked and by which source."""
    return [{**product_card(personaliser.products[r.item], r.reason, r.score), "source": r.source}
            for r in picks]


@router.post("/api/events", status_code=201)
def post_event(body: EventIn, request: Request, who: Shopper = Depends(shopper),
               settings: Settings = Depends(settings_dep)) -> dict:
    """A view or click on a product card, kept for the recommender under the token's shopper."""
    ratelimit.check(settings, request, f"events:{who.sender_id}")
    try:  # committed before the 201, so an accepted event is a stored one
        with session_scope(settings.db_url) as session:
            record_event(session, who.sender_id, body.product_id, body.event)
    except LookupError:
        raise HTTPException(status_code=404, detail="没有找到这个商品")
    return {"ok": True}


@router.get("/api/recommendations")
def recommendations(k: int = Query(5, ge=1, le=50), category: str | None = Query(None, max_length=64),
                    who: Shopper | None = Depends(optional_shopper),
                    personaliser: Personaliser = Depends(personaliser_dep)) -> dict:
    """"有什么适合我的": personal for a logged-in shopper (shop token) with history, this week's
    best sellers otherwise. Whose list it is comes from the token, never a parameter."""
    user_id = who.sender_id if who and who.verified else None
    picks = personaliser.recommend(user_id, k=k, category=category)
    return {"user_id": user_id, "products": _cards(personaliser, picks)}


@router.get("/api/products/{product_id}/complements")
def complements(product_id: str, k: int = Query(4, ge=1, le=20), who: Shopper | None = Depends(optional_shopper),
                personaliser: Personaliser = Depends(personaliser_dep)) -> dict:
    """"这个配什么": items from categories shoppers buy together with this one, in the order this
    shopper's taste and steps give (the token's shopper, never a parameter)."""
    if product_id not in personaliser.products:
        raise HTTPException(status_code=404, detail="没有找到这个商品")
    user_id = who.sender_id if who and who.verified else None
    picks = personaliser.complements(product_id, k, user_id)
    return {"product_id": product_id, "products": _cards(personaliser, picks)}
