"""Range reports: one builder for the Reports tab and ``wfh-agent report``, plus its CSV and JSON forms.

Qt-free, so the command line and a worker thread use exactly what the tab shows. What a task's day is,
how scores, limits and bonus count: ``app.domain.reports``.
"""

from __future__ import annotations

import csv
import io
import json
import locale
import sqlite3

from app.config import CURRENCY_CODES
from app.domain.reports import DateRange, Report, ReportRow, assemble, check_grouping
from app.domain.timeparse import format_duration
from app.storage import report_queries

CSV_HEADER = ("group", "tasks", "time", "seconds", "avg_score", "scored_tasks", "tasks_with_limit",
              "within_limit", "compliance_percent", "bonus", "currency")
FALLBACK_CURRENCY = "USD"


def build_report(conn: sqlite3.Connection, span: DateRange, by: str, currency: str = FALLBACK_CURRENCY) -> Report:
    """The report of ``span`` grouped ``by`` project, week, day or locale, read in one snapshot-free query."""
    check_grouping(by)
    cells = report_queries.group_cells(conn, by, span.start.isoformat(), span.end.isoformat())
    weeks = report_queries.week_infos(conn, {cell.week_id for cell in cells})
    return assemble(cells, weeks, by, span, currency)


def resolve_currency(setting: object) -> str:
    """The ISO code to show bonuses in: the ``display.currency`` setting, or for ``auto`` the locale's, else USD."""
    text = str(setting or "auto").strip().upper()
    if text != "AUTO":
        return text
    try:
        code = locale.localeconv().get("int_curr_symbol", "")
    except (ValueError, locale.Error):  # pragma: no cover - a broken C library locale
        code = ""
    code = str(code).strip()[:3].upper()
    return code if code in CURRENCY_CODES else FALLBACK_CURRENCY


def format_money(amount: float, currency: str) -> str:
    """``1,234.50 EUR``: the ISO code after the number is unambiguous in every locale."""
    return f"{amount:,.2f} {currency}"


def score_text(value: float | None) -> str:
    return "no score" if value is None else f"{value:.1f}"


def compliance_text(row: ReportRow) -> str:
    """``"2 of 3 (67 %)"`` among the tasks that have a limit, or ``"no limits set"``."""
    if row.compliance is None:
        return "no limits set"
    return f"{row.within_limit:,} of {row.limited_tasks:,} ({row.compliance * 100:.0f} %)"


def _csv_row(row: ReportRow, currency: str) -> list[object]:
    compliance = "" if row.compliance is None else f"{row.compliance * 100:.1f}"
    return [row.label, row.task_count, format_duration(row.duration_seconds), row.duration_seconds,
            "" if row.avg_score is None else f"{row.avg_score:.2f}", row.scored_tasks, row.limited_tasks,
            row.within_limit, compliance, f"{row.bonus:.2f}", currency]


def to_csv(report: Report) -> str:
    """One line per group, then the total; labels are device data, so cells that a spreadsheet would run as a
    formula (``=``, ``+``, ``-``, ``@``) get a leading apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in (*report.rows, report.total):
        cells = _csv_row(row, report.currency)
        label = str(cells[0])
        if label[:1] in ("=", "+", "-", "@", "\t", "\r"):
            cells[0] = "'" + label
        writer.writerow(cells)
    return out.getvalue()


def to_dict(report: Report) -> dict[str, object]:
    return {"from": report.range.start.isoformat(), "to": report.range.end.isoformat(), "by": report.by,
            "currency": report.currency, "rows": [row.as_dict() for row in report.rows],
            "total": report.total.as_dict()}


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False)
