"""Product API and locally generated product images (no network, no binary assets)."""
from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlalchemy.orm import Session

from web.deps import db_session
from store.models import Product

router = APIRouter()

COLOR_HEX = {"黑色": "#2b2b2b", "白色": "#f4f4f4", "银色": "#c8ccd0", "灰色": "#8a8f96",
             "蓝色": "#3d7bd9", "绿色": "#3aa66b", "紫色": "#8c5bd6", "粉色": "#f2a1c0",
             "红色": "#d93d3d", "正红色": "#c8102e", "豆沙色": "#b5686b", "橘红色": "#e8553b",
             "玫瑰色": "#c74375", "裸色": "#d9a58f", "紫红色": "#a3205f"}


def _product_or_404(session: Session, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="没有找到这个商品")
    return product


@router.get("/api/products/{product_id}")
def product_detail(product_id: str, session: Session = Depends(db_session)) -> dict:
    p = _product_or_404(session, product_id)
    return {c.name: getattr(p, c.name) for c in Product.__table__.columns}


@router.get("/images/{product_id}.svg")
def product_image(product_id: str, session: Session = Depends(db_session)) -> Response:
    """A flat illustration: colour swatch, category and brand, deterministic per product."""
    p = _product_or_404(session, product_id)
    hue = int(hashlib.md5(p.category.encode()).hexdigest()[:2], 16) * 360 // 256
    swatch = COLOR_HEX.get(p.color, "#b0b0b0")
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">
<rect width="240" height="240" fill="hsl({hue},55%,92%)"/>
<circle cx="120" cy="100" r="58" fill="{swatch}" stroke="hsl({hue},40%,60%)" stroke-width="4"/>
<text x="120" y="192" font-size="26" text-anchor="middle" fill="hsl({hue},45%,30%)">{escape(p.category)}</text>
<text x="120" y="222" font-size="16" text-anchor="middle" fill="#555">{escape(p.brand)}</text>
</svg>"""
    return Response(svg, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})
