"""GET /console/analytics (page with SVG charts and tables) and /console/analytics.csv (exports)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from bot.console.analytics import CSV_KINDS, Report, build_report, csv_rows, to_csv
from bot.console.auth import Staff, staff_page
from bot.console.charts import bar_chart, column_chart, funnel_chart
from bot.console.conversations import SHANGHAI, day_start, parse_day
from bot.console.templating import render
from bot.settings import Settings
from bot.web.deps import settings_dep

router = APIRouter(prefix="/console")
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_INTENTS = 15
CSV_NAMES = {"summary": "汇总", "daily": "每日", "intents": "意图", "funnel": "漏斗"}


def date_range(date_from: str, date_to: str) -> tuple[date, date]:
    """[from, to] as whole days (shop time): default the last 30 days, at most a year, from ≤ to."""
    to_day = parse_day(date_to) or datetime.now(SHANGHAI).date()
    from_day = parse_day(date_from) or to_day - timedelta(days=DEFAULT_DAYS - 1)
    from_day = min(max(from_day, to_day - timedelta(days=MAX_DAYS - 1)), to_day)
    return from_day, to_day


def report_dep(date_from: str = Query("", alias="from", max_length=10),
               date_to: str = Query("", alias="to", max_length=10),
               settings: Settings = Depends(settings_dep)) -> Report:
    """The report for the requested range."""
    from_day, to_day = date_range(date_from, date_to)
    return build_report(settings.tracker_db_url, settings.db_url, day_start(from_day),
                        day_start(to_day + timedelta(days=1)), SHANGHAI)


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, SHANGHAI).date().isoformat()


@router.get("/analytics", include_in_schema=False, response_class=HTMLResponse)
def analytics_page(request: Request, report: Report = Depends(report_dep),
                   staff: Staff = Depends(staff_page)) -> HTMLResponse:
    charts = {
        "funnel": Markup(funnel_chart([(s.label, s.count, s.rate) for s in report.funnel], "转化漏斗")),
        "daily": Markup(column_chart([(d.day, d.conversations) for d in report.daily], "每日会话数")),
        "intents": Markup(bar_chart([(i.intent, i.count) for i in report.intents[:TOP_INTENTS]], "意图分布")),
    }
    return render(request, "analytics.html", staff, report=report, charts=charts,
                  date_from=_day(report.since), date_to=_day(report.until - 1), kinds=CSV_KINDS,
                  csv_names=CSV_NAMES)


@router.get("/analytics.csv", include_in_schema=False)
def analytics_csv(kind: str = Query("summary", pattern="^(summary|daily|intents|funnel)$"),
                  report: Report = Depends(report_dep), staff: Staff = Depends(staff_page)) -> Response:
    name = f"daogou-{kind}-{_day(report.since)}-{_day(report.until - 1)}.csv"
    return Response(to_csv(csv_rows(report, kind)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
