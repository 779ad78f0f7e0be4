"""GET /console/analytics (page with SVG charts and tables) and /console/analytics.csv (exports).

Both take `from` / `to` (YYYY-MM-DD, shop time); a bad date or a reversed range is a 422.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from web.console.analytics import CSV_KINDS, Report, build_report, csv_rows, to_csv
from web.console.auth import Staff, staff_page
from web.console.charts import bar_chart, column_chart, funnel_chart
from core.clock import SHOP_TIME
from web.console.dates import EARLIEST, DateError, day_param, day_range, day_start, unprocessable
from web.console.templating import render
from core.settings import Settings
from web.deps import settings_dep

router = APIRouter(prefix="/console")
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_INTENTS = 15
CSV_NAMES = {"summary": "汇总", "daily": "每日", "intents": "意图", "funnel": "漏斗"}


def date_range(date_from: str, date_to: str) -> tuple[date, date]:
    """[from, to] as whole days (shop time): by default the 30 days up to today (or up to `from`
    when that is later), at most a year back from `to`; DateError for bad dates or from > to."""
    from_day, to_day = day_range(date_from, date_to)
    to_day = to_day or max(datetime.now(SHOP_TIME).date(), from_day or EARLIEST)
    from_day = from_day or to_day - timedelta(days=DEFAULT_DAYS - 1)
    return max(from_day, to_day - timedelta(days=MAX_DAYS - 1)), to_day


@dataclass(frozen=True)
class RangeQuery:
    """The page's `from` / `to` as sent, so a bad one can be shown back in the form."""
    date_from: str
    date_to: str


def range_query(date_from: str = day_param("from"), date_to: str = day_param("to")) -> RangeQuery:
    """`from` / `to` of the query string (YYYY-MM-DD, shop time; empty for the default range)."""
    return RangeQuery(date_from.strip(), date_to.strip())


def report_for(settings: Settings, query: RangeQuery) -> Report:
    """The report for the requested range; DateError for a bad one."""
    from_day, to_day = date_range(query.date_from, query.date_to)
    return build_report(settings.tracker_db_url, settings.db_url, day_start(from_day),
                        day_start(to_day + timedelta(days=1)), SHOP_TIME)


def report_dep(query: RangeQuery = Depends(range_query), settings: Settings = Depends(settings_dep)) -> Report:
    """The report for the requested range, or a 422 with the reason (the CSV download)."""
    try:
        return report_for(settings, query)
    except DateError as exc:
        raise unprocessable(exc) from None


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, SHOP_TIME).date().isoformat()


def _charts(report: Report) -> dict[str, Markup]:
    return {
        "funnel": Markup(funnel_chart([(s.label, s.count, s.rate) for s in report.funnel], "转化漏斗")),
        "daily": Markup(column_chart([(d.day, d.conversations) for d in report.daily], "每日会话数")),
        "intents": Markup(bar_chart([(i.intent, i.count) for i in report.intents[:TOP_INTENTS]], "意图分布")),
    }


@router.get("/analytics", include_in_schema=False, response_class=HTMLResponse)
def analytics_page(request: Request, query: RangeQuery = Depends(range_query), staff: Staff = Depends(staff_page),
                   settings: Settings = Depends(settings_dep)) -> HTMLResponse:
    """The report; a bad range shows the form again with the reason (422)."""
    try:
        report = report_for(settings, query)
    except DateError as exc:
        return render(request, "analytics.html", staff, status_code=422, error=str(exc), report=None,
                      date_from=query.date_from, date_to=query.date_to, kinds=CSV_KINDS, csv_names=CSV_NAMES)
    return render(request, "analytics.html", staff, error="", report=report, charts=_charts(report),
                  date_from=_day(report.since), date_to=_day(report.until - 1), kinds=CSV_KINDS,
                  csv_names=CSV_NAMES)


@router.get("/analytics.csv", include_in_schema=False)
def analytics_csv(kind: str = Query("summary", pattern="^(summary|daily|intents|funnel)$"),
                  staff: Staff = Depends(staff_page), report: Report = Depends(report_dep)) -> Response:
    """One table of the report as a CSV attachment (the login is checked before any work)."""
    name = f"daogou-{kind}-{_day(report.since)}-{_day(report.until - 1)}.csv"
    return Response(to_csv(csv_rows(report, kind)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
