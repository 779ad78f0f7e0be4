"""GET /console/analytics (page with charts) and /console/analytics.csv (exports)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from bot.console.analytics import (FUNNEL_LABELS, FUNNEL_STEPS, Report, build_report, csv_rows,
                                   safe_cell)
from bot.console.auth import Staff, staff_page
from bot.console.charts import bar_chart
from bot.console.conversations import SHANGHAI, day_start, parse_day
from bot.console.templating import render
from bot.settings import Settings
from bot.web.deps import settings_dep

router = APIRouter(prefix="/console")
DEFAULT_DAYS = 30
CSV_KINDS = ("summary", "daily", "intents", "funnel")


def report_dep(date_from: str = Query("", alias="from", max_length=10), date_to: str = Query("", alias="to", max_length=10),
               settings: Settings = Depends(settings_dep)) -> Report:
    """The report for [from, to] (whole days, shop time); default the last 30 days."""
    to_day = parse_day(date_to) or datetime.now(SHANGHAI).date()
    from_day = parse_day(date_from) or to_day - timedelta(days=DEFAULT_DAYS - 1)
    from_day = min(from_day, to_day)
    return build_report(settings.tracker_db_url, settings.db_url, day_start(from_day),
                        day_start(to_day + timedelta(days=1)), SHANGHAI)


@router.get("/analytics", include_in_schema=False, response_class=HTMLResponse)
def analytics_page(request: Request, report: Report = Depends(report_dep),
                   staff: Staff = Depends(staff_page)) -> HTMLResponse:
    funnel = [(FUNNEL_LABELS[s], report.funnel[s]) for s in FUNNEL_STEPS]
    charts = {"daily": Markup(bar_chart(list(report.daily.items()), "每日会话数")),
              "intents": Markup(bar_chart(report.intents[:15], "意图分布")),
              "funnel": Markup(bar_chart(funnel, "转化漏斗"))}
    day = lambda ts: datetime.fromtimestamp(ts, SHANGHAI).date().isoformat()
    return render(request, "analytics.html", staff, report=report, charts=charts, funnel=funnel,
                  date_from=day(report.since), date_to=day(report.until - 1), kinds=CSV_KINDS,
                  query=request.url.query)


@router.get("/analytics.csv", include_in_schema=False)
def analytics_csv(kind: str = Query("summary", pattern="^(summary|daily|intents|funnel)$"),
                  report: Report = Depends(report_dep), staff: Staff = Depends(staff_page)) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv_rows(report, kind):
        writer.writerow([safe_cell(v) for v in row])
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="daogou-{kind}.csv"'})
