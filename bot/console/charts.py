"""Server-rendered SVG bar charts for the analytics page (no chart library, no JavaScript)."""
from __future__ import annotations

from html import escape

ROW = 26
LABEL_W = 120
BAR_W = 360


def bar_chart(items: list[tuple[str, float]], title: str, unit: str = "") -> str:
    """Horizontal bars, one per (label, value); every label is escaped."""
    top = max((v for _, v in items), default=0) or 1
    height = ROW * max(len(items), 1) + 8
    rows = []
    for n, (label, value) in enumerate(items):
        y = n * ROW + 4
        width = max(1.0, BAR_W * value / top) if value else 0
        rows.append(
            f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">{escape(str(label))}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" rx="3"></rect>'
            f'<text x="{LABEL_W + width + 6:.1f}" y="{y + 16}">{escape(f"{value:g}{unit}")}</text>')
    if not items:
        rows.append(f'<text x="{LABEL_W}" y="20">暂无数据</text>')
    return (f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{LABEL_W + BAR_W + 80}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
            + "".join(rows) + "</svg>")
