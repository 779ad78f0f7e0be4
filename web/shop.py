"""GET /: the demo shop page, a server-rendered product grid with the chat widget on it.

Every catalog string goes through `html.escape`; the widget renders with `textContent`.
"""
from __future__ import annotations

from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.cards import image_url, yuan
from core.settings import Settings
from web.deps import db_session, settings_dep
from web.widget import socketio_config
from core.identity import mint_identity
from store.models import Product

router = APIRouter()
GRID_SIZE = 24
CATEGORY_LINKS = 12


def _tile(p: Product) -> str:
    was = (f' <s class="list-price">{escape(yuan(p.list_price))}</s>'
           if p.list_price and p.list_price > p.price else "")
    return f"""<li class="tile" data-product-id="{escape(p.id)}">
  <img src="{escape(image_url(p.id))}" alt="{escape(p.title)}" loading="lazy" width="240" height="240">
  <div class="tile-title">{escape(p.title)}</div>
  <div class="tile-brand">{escape(p.brand)} · {escape(p.category)}</div>
  <div class="tile-price">{escape(yuan(p.price))}{was}</div>
  <div class="tile-rating">★ {p.rating:.1f} · 已售 {int(p.sales)}</div>
</li>"""


def _category_nav(categories: list[str], current: str | None) -> str:
    links = [f'<a href="/"{" aria-current=page" if not current else ""}>全部</a>']
    for name in categories:
        here = ' aria-current="page"' if name == current else ""
        links.append(f'<a href="/?category={quote(name)}"{here}>{escape(name)}</a>')
    return "\n    ".join(links)


def _identity_token(settings: Settings, user_id: str | None) -> str | None:
    """The demo shop's stand-in for a shop's login: with SHOPBOT_DEMO_LOGIN on (development
    only), `/?user_id=U` renders a token for U the way a shop's backend would for its
    logged-in user. Off by default: then the page is always anonymous."""
    if not (settings.demo_login and user_id):
        return None
    try:
        return mint_identity(settings.secret("identity_secret"), user_id, settings.identity_issuer,
                             settings.identity_ttl)
    except ValueError:  # not a user id a shop could have (core.identity.valid_subject)
        return None


def _script_tag(settings: Settings, user_id: str | None) -> str:
    attrs = ['type="module"', 'src="/static/widget/daogou.js"', 'data-open="true"']
    socket = socketio_config(settings)
    if socket:
        attrs += [f'data-server="{escape(socket["url"])}"', f'data-socket-path="{escape(socket["path"])}"']
    else:
        attrs.append('data-transport="rest"')
    token = _identity_token(settings, user_id)
    if token:
        attrs.append(f'data-identity-token="{escape(token)}"')
    return f"<script {' '.join(attrs)}></script>"


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def shop_page(category: str | None = Query(None, max_length=64),
              user_id: str | None = Query(None, max_length=64, pattern=r"^[\w.@-]+$",
                                          description="demo login only (SHOPBOT_DEMO_LOGIN)"),
              session: Session = Depends(db_session),
              settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    categories = [row[0] for row in session.execute(
        select(Product.category).group_by(Product.category)
        .order_by(func.sum(Product.sales).desc()).limit(CATEGORY_LINKS))]
    query = select(Product).where(Product.stock > 0)
    if category:
        query = query.where(Product.category == category)
    products = session.scalars(query.order_by(Product.sales.desc(), Product.id).limit(GRID_SIZE)).all()
    grid = "\n".join(map(_tile, products)) or '<li class="empty">这个分类暂时没有商品</li>'
    heading = f"{escape(category)} · 热销" if category else "热销好物"
    page = f"""<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>导购商城 · 导购小助手演示</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/static/shop.css">
</head>
<body>
  <header class="shop-header">
    <strong>导购商城</strong>
    <span>有问题？问右下角的导购小助手</span>
  </header>
  <nav class="categories" aria-label="商品分类">
    {_category_nav(categories, category)}
  </nav>
  <main>
    <h1>{heading}</h1>
    <ul class="grid" id="products">
{grid}
    </ul>
  </main>
  {_script_tag(settings, user_id)}
</body>
</html>"""
    return HTMLResponse(page)
