"""The range-report builder: which day a task counts on, scores, limits, bonus sharing, groupings, CSV/JSON."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from typing import Any

import pytest

from app.config import RULES
from app.domain.reports import DateRange, preset_range
from app.errors import ValidationError
from app.services import reports
from app.storage.repositories import refresh_week_statistics

WEEK = DateRange(date(2026, 11, 23), date(2026, 11, 29))


def add_week(conn: sqlite3.Connection, label: str, start: str | None = None, **fields: Any) -> int:
    columns = {"week_label": label, "start_date": start, **fields}
    cursor = conn.execute(f"INSERT INTO weeks ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                          list(columns.values()))
    return int(cursor.lastrowid or 0)


def add_task(conn: sqlite3.Connection, week_id: int, **fields: Any) -> int:
    values = {"week_id": week_id, "project_name": "P", "duration_seconds": 3600, "score": None,
              "date_audited": "2026-11-24", **fields}
    cursor = conn.execute(
        f"INSERT INTO tasks_optimized ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()))
    refresh_week_statistics(conn, week_id)
    return int(cursor.lastrowid or 0)


@pytest.fixture
def conn(profile: Any) -> sqlite3.Connection:
    return profile.db.get()  # type: ignore[no-any-return]


def build(conn: sqlite3.Connection, by: str = "project", span: DateRange = WEEK) -> reports.Report:
    return reports.build_report(conn, span, by, "EUR")


def test_report_day_is_audit_date_then_begin_then_week_start_then_created(conn: sqlite3.Connection) -> None:
    week = add_week(conn, "2026-W48", "2026-11-23")
    undated = add_week(conn, "Imported")
    add_task(conn, week, project_name="audited", date_audited="2026-11-25", time_begin="2026-11-20T09:00:00")
    add_task(conn, week, project_name="begun", date_audited=None, time_begin="2026-11-26T09:00:00")
    add_task(conn, week, project_name="week start", date_audited=None)
    add_task(conn, undated, project_name="created", date_audited=None, created_at="2026-11-28 10:00:00")
    add_task(conn, undated, project_name="outside", date_audited="2026-11-30")
    days = {row.key: row.task_count for row in build(conn, "day").rows}
    assert days == {"2026-11-23": 1, "2026-11-25": 1, "2026-11-26": 1, "2026-11-28": 1}
    projects = [row.label for row in build(conn).rows]
    assert sorted(projects) == ["audited", "begun", "created", "week start"]


def test_deleted_tasks_and_null_scores_are_left_out(conn: sqlite3.Connection) -> None:
    week = add_week(conn, "2026-W48", "2026-11-23")
    add_task(conn, week, score=80)
    add_task(conn, week, score=None)
    add_task(conn, week, score=0)
    add_task(conn, week, score=100, deleted_at="2026-11-25 10:00:00")
    total = build(conn).total
    assert total.task_count == 3 and total.duration_seconds == 3 * 3600
    assert total.scored_tasks == 2 and total.avg_score == pytest.approx(40.0)


def test_no_score_at_all_is_none_not_zero(conn: sqlite3.Connection) -> None:
    add_task(conn, add_week(conn, "2026-W48"), score=None)
    assert build(conn).total.avg_score is None
    assert reports.score_text(None) == "no score"


def test_compliance_counts_only_tasks_that_have_a_limit(conn: sqlite3.Connection) -> None:
    week = add_week(conn, "2026-W48")
    add_task(conn, week, project_name="A", time_limit_seconds=7200)           # within
    add_task(conn, week, project_name="A", time_limit_seconds=3600)           # exactly at the limit: within
    add_task(conn, week, project_name="A", time_limit_seconds=1800)           # over
    add_task(conn, week, project_name="B", time_limit_seconds=0)              # no limit
    rows = {row.label: row for row in build(conn).rows}
    assert (rows["A"].within_limit, rows["A"].limited_tasks) == (2, 3)
    assert rows["B"].compliance is None and reports.compliance_text(rows["B"]) == "no limits set"
    assert reports.compliance_text(build(conn).total) == "2 of 3 (67 %)"


def test_bonus_is_shared_by_time_and_days_add_up_to_the_week(conn: sqlite3.Connection) -> None:
    week = add_week(conn, "2026-W48", "2026-11-23", is_bonus_week=1, bonus_rate=10.0, bonus_threshold_seconds=3600)
    add_task(conn, week, project_name="A", duration_seconds=7200, date_audited="2026-11-24")
    add_task(conn, week, project_name="B", duration_seconds=3600, date_audited="2026-11-30")  # next week's day
    whole = build(conn, "week", DateRange(date(2026, 11, 1), date(2026, 12, 31))).total
    assert whole.bonus == pytest.approx(20.0)  # 3 h total, 2 h beyond the threshold at 10/h
    first_days = build(conn, "day").total.bonus
    rest = build(conn, "day", DateRange(date(2026, 11, 30), date(2026, 12, 6))).total.bonus
    assert first_days == pytest.approx(20.0 * 2 / 3, abs=0.01)
    assert first_days + rest == pytest.approx(whole.bonus, abs=0.01)


def test_weeks_are_chronological_and_undated_weeks_come_last(conn: sqlite3.Connection) -> None:
    span = DateRange(date(2025, 1, 1), date(2026, 12, 31))
    for label, start in (("Imported", None), ("2025-W11", "2025-03-10"), ("2026-W48", "2026-11-23"),
                         ("2025-W10", "2025-03-03")):
        add_task(conn, add_week(conn, label, start), date_audited=start or "2026-01-01")
    assert [row.label for row in build(conn, "week", span).rows] == ["2025-W10", "2025-W11", "2026-W48", "Imported"]


def test_projects_and_locales_rank_by_time_with_named_blanks(conn: sqlite3.Connection) -> None:
    week = add_week(conn, "2026-W48")
    add_task(conn, week, project_name=None, locale="de_DE", duration_seconds=60)
    add_task(conn, week, project_name="Big", locale=None, duration_seconds=7200)
    assert [row.label for row in build(conn).rows] == ["Big", "(no project)"]
    assert [row.label for row in build(conn, "locale").rows] == ["(no locale)", "de_DE"]


def test_presets_cover_whole_weeks_and_months() -> None:
    today = date(2026, 1, 14)  # a Wednesday
    assert preset_range("this_week", today) == DateRange(date(2026, 1, 12), date(2026, 1, 18))
    assert preset_range("last_week", today) == DateRange(date(2026, 1, 5), date(2026, 1, 11))
    assert preset_range("this_month", today) == DateRange(date(2026, 1, 1), date(2026, 1, 31))
    assert preset_range("last_month", today) == DateRange(date(2025, 12, 1), date(2025, 12, 31))
    assert preset_range("this_month", date(2028, 2, 3)).end == date(2028, 2, 29)


def test_bad_input_is_a_clear_validation_error(conn: sqlite3.Connection) -> None:
    with pytest.raises(ValidationError, match="ends .* before it begins"):
        DateRange(date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(ValidationError, match="unknown grouping"):
        build(conn, "month")
    with pytest.raises(ValidationError, match="unknown preset"):
        preset_range("yesterday", date(2026, 1, 1))


def test_csv_and_json_parse_back_and_formulas_are_defused(conn: sqlite3.Connection) -> None:
    week = add_week(conn, "2026-W48")
    add_task(conn, week, project_name="=HYPERLINK(\"http://x\")", score=70, time_limit_seconds=7200)
    add_task(conn, week, project_name="plain, with comma", duration_seconds=90)
    report = build(conn)
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(report))))
    assert [r["group"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "plain, with comma", "Total"]
    assert rows[0]["time"] == "01:00:00" and rows[0]["avg_score"] == "70.00"
    assert rows[0]["compliance_percent"] == "100.0"
    assert rows[1]["avg_score"] == "" and rows[1]["compliance_percent"] == "" and rows[2]["seconds"] == "3690"
    assert {r["currency"] for r in rows} == {"EUR"}
    data = json.loads(reports.to_json(report))
    assert data["from"] == "2026-11-23" and data["by"] == "project" and data["total"]["task_count"] == 2
    assert data["rows"][1]["avg_score"] is None and data["rows"][0]["label"].startswith("=HYPERLINK")


def test_currency_setting_is_validated_and_auto_falls_back() -> None:
    rule = RULES["display.currency"]
    assert rule.accepts("EUR") and rule.accepts("auto") and not rule.accepts("EURO") and not rule.accepts(5)
    assert reports.resolve_currency("gbp") == "GBP"
    assert reports.resolve_currency("auto") in ("USD", *RULES["display.currency"].choices)
    assert reports.format_money(1234.5, "EUR") == "1,234.50 EUR"


def test_auto_currency_comes_from_the_locale_else_usd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports.locale, "localeconv", lambda: {"int_curr_symbol": "EUR "})
    assert reports.resolve_currency("auto") == "EUR"
    monkeypatch.setattr(reports.locale, "localeconv", lambda: {"int_curr_symbol": ""})
    assert reports.resolve_currency("auto") == "USD"


def test_the_range_query_reads_the_covering_report_day_index(conn: sqlite3.Connection) -> None:
    """OWN_DAY must stay spelled exactly as in the migration's index, or reports fall back to a full scan."""
    from app.storage.report_queries import OWN_DAY

    cursor = conn.cursor()
    cursor.row_factory = None
    plan = " ".join(str(row[-1]) for row in cursor.execute(
        f"EXPLAIN QUERY PLAN SELECT {OWN_DAY}, week_id, duration_seconds FROM tasks_optimized "
        f"WHERE deleted_at IS NULL AND {OWN_DAY} BETWEEN '2026-11-23' AND '2026-11-29'"))
    assert "COVERING INDEX idx_tasks_report_day" in plan
