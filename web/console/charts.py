"""Server-rendered SVG charts for the analytics page (no chart library, no JavaScript).

Every label and value is escaped with html.escape; the callers wrap the result in Markup.
"""
from __future__ import annotations

from html import escape

ROW = 26
LABEL_W = 130
BAR_W = 360
COL_H = 160


def _svg(title: str, width: float, height: float, body: list[str]) -> str:
    return (f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def _fmt(value: float) -> str:
    return f"{value:g}"


def bar_chart(items: list[tuple[str, float]], title: str, unit: str = "") -> str:
    """Horizontal bars, one per (label, value)."""
    top = max((v for _, v in items), default=0) or 1
    rows = []
    for n, (label, value) in enumerate(items):
        y = n * ROW + 4
        width = max(1.0, BAR_W * value / top) if value else 0
        rows.append(
            f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">{escape(str(label))}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" rx="3"></rect>'
            f'<text x="{LABEL_W + width + 6:.1f}" y="{y + 16}">{escape(_fmt(value) + unit)}</text>')
    if not items:
        rows.append(f'<text x="{LABEL_W}" y="20">暂无数据</text>')
    return _svg(title, LABEL_W + BAR_W + 80, ROW * max(len(items), 1) + 8, rows)


def column_chart(items: list[tuple[str, float]], title: str) -> str:
    """Vertical columns over time, one per (YYYY-MM-DD, value); every 7th day is labelled."""
    top = max((v for _, v in items), default=0) or 1
    step = max(8.0, min(40.0, 720 / max(len(items), 1)))
    width, base = 40 + step * max(len(items), 1) + 20, COL_H + 10
    body = [f'<line x1="40" y1="{base}" x2="{width - 20:.1f}" y2="{base}" class="axis"></line>',
            f'<text x="34" y="{base - COL_H + 4}" text-anchor="end">{escape(_fmt(top))}</text>',
            f'<text x="34" y="{base}" text-anchor="end">0</text>']
    for n, (label, value) in enumerate(items):
        x = 40 + n * step
        h = COL_H * value / top
        body.append(f'<rect x="{x + 1:.1f}" y="{base - h:.1f}" width="{step - 2:.1f}" height="{h:.1f}">'
                    f"<title>{escape(f'{label}：{_fmt(value)}')}</title></rect>")
        if n % 7 == 0 or n == len(items) - 1:
            body.append(f'<text x="{x + step / 2:.1f}" y="{base + 16}" text-anchor="middle">{escape(str(label)[5:])}</text>')
    if not items:
        body.append(f'<text x="50" y="{base - 20}">暂无数据</text>')
    return _svg(title, width, base + 24, body)


def funnel_chart(steps: list[tuple[str, int, float | None]], title: str) -> str:
    """A funnel: centred bars narrowing step by step, with counts and step-to-step conversion."""
    top = max((v for _, v, _ in steps), default=0) or 1
    full, height, centre = 420, 34, LABEL_W + 210
    body = []
    for n, (label, value, rate) in enumerate(steps):
        y = n * (height + 6) + 4
        width = max(2.0, full * value / top) if value else 2.0
        note = _fmt(value) + (f"（{rate * 100:.1f}%）" if rate is not None else "")
        body.append(f'<text x="{LABEL_W - 6}" y="{y + 22}" text-anchor="end">{escape(label)}</text>'
                    f'<rect x="{centre - width / 2:.1f}" y="{y}" width="{width:.1f}" height="{height}" rx="4"></rect>'
                    f'<text x="{centre + full / 2 + 10}" y="{y + 22}">{escape(note)}</text>')
    return _svg(title, centre + full / 2 + 130, len(steps) * (height + 6) + 8, body)
