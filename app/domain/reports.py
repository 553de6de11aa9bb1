"""Reports over any date range, as pure functions over grouped rows (no SQL, no Qt).

Which day a task belongs to (its *report day*), first that applies:
  1. ``date_audited`` (the day the work was audited: what people enter);
  2. the calendar day of ``time_begin`` (the timer's or the dialog's start);
  3. the start date of its week (``weeks.start_date``);
  4. the day it was created (``created_at``, UTC).
Deleted tasks are never counted. A NULL score means "no score": it is left out of the average
(``avg_score`` is None when no task of a group has one). Time-limit compliance counts only tasks
that have a limit (``time_limit_seconds > 0``); ``compliance`` is None when none has.

Bonus: a week's bonus comes from its whole total (``domain.stats.bonus``); a report shows the part of
it earned inside the range, shared out in proportion to time (a group with a third of the week's time
gets a third of its bonus). So the bonus of a week's days adds up to the week's bonus, and so do
consecutive ranges.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.domain.stats import bonus
from app.errors import ValidationError

GROUPINGS = ("project", "week", "day", "locale")
PRESETS = {"this_week": "This week", "last_week": "Last week", "this_month": "This month",
           "last_month": "Last month"}
NO_PROJECT = "(no project)"
NO_LOCALE = "(no locale)"
MAX_RANGE_DAYS = 100 * 366  # a longer range is a typo in a year


@dataclass(frozen=True)
class DateRange:
    """Inclusive range of calendar days."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError(f"the range ends ({self.end}) before it begins ({self.start})", "range")
        if (self.end - self.start).days > MAX_RANGE_DAYS:
            raise ValidationError("the range is longer than 100 years", "range")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_day(text: str, what: str = "date") -> date:
    """A calendar day written ``YYYY-MM-DD``; a clear ``ValidationError`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValidationError(f"{what}: use a date like 2026-11-26 (got {text!r})", what) from None


def preset_range(name: str, today: date) -> DateRange:
    """The days of a preset (weeks run Monday to Sunday, as ISO weeks do)."""
    monday = today - timedelta(days=today.weekday())
    if name == "this_week":
        return DateRange(monday, monday + timedelta(days=6))
    if name == "last_week":
        return DateRange(monday - timedelta(days=7), monday - timedelta(days=1))
    if name == "this_month":
        return DateRange(today.replace(day=1), today.replace(day=monthrange(today.year, today.month)[1]))
    if name == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return DateRange(last_day.replace(day=1), last_day)
    raise ValidationError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}", "preset")


def check_grouping(by: str) -> str:
    if by not in GROUPINGS:
        raise ValidationError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}", "by")
    return by


@dataclass(frozen=True)
class GroupCell:
    """SQL aggregates of one group within one week (the bonus is shared out per week)."""

    key: str
    week_id: int
    task_count: int
    duration_seconds: int
    score_sum: int
    scored_tasks: int
    limited_tasks: int
    within_limit: int


@dataclass(frozen=True)
class WeekInfo:
    """What the report needs of a week: label, date, bonus settings and its whole total."""

    id: int
    label: str
    start_date: str | None
    is_bonus_week: bool
    bonus_threshold_seconds: int
    bonus_rate: float
    total_seconds: int

    def bonus_amount(self) -> float:
        return bonus(self.total_seconds, self.is_bonus_week, self.bonus_threshold_seconds, self.bonus_rate)[1]


@dataclass(frozen=True)
class ReportRow:
    """One line of a report (or its total)."""

    key: str
    label: str
    task_count: int
    duration_seconds: int
    avg_score: float | None
    scored_tasks: int
    limited_tasks: int
    within_limit: int
    bonus: float

    @property
    def compliance(self) -> float | None:
        """Share (0–1) of the tasks with a limit that stayed within it; None when no task has a limit."""
        return self.within_limit / self.limited_tasks if self.limited_tasks else None

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "task_count": self.task_count,
                "duration_seconds": self.duration_seconds,
                "avg_score": None if self.avg_score is None else round(self.avg_score, 2),
                "scored_tasks": self.scored_tasks, "limited_tasks": self.limited_tasks,
                "within_limit": self.within_limit, "bonus": self.bonus}


@dataclass(frozen=True)
class Report:
    """A report: its range, grouping, rows in display order, the total, and the bonus currency."""

    range: DateRange
    by: str
    rows: tuple[ReportRow, ...]
    total: ReportRow
    currency: str
    weeks: Mapping[int, WeekInfo] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class _Sums:
    tasks: int = 0
    seconds: int = 0
    score_sum: int = 0
    scored: int = 0
    limited: int = 0
    within: int = 0
    bonus: float = 0.0

    def add(self, cell: GroupCell, bonus_share: float) -> None:
        self.tasks += cell.task_count
        self.seconds += cell.duration_seconds
        self.score_sum += cell.score_sum
        self.scored += cell.scored_tasks
        self.limited += cell.limited_tasks
        self.within += cell.within_limit
        self.bonus += bonus_share

    def row(self, key: str, label: str) -> ReportRow:
        avg = self.score_sum / self.scored if self.scored else None
        return ReportRow(key, label, self.tasks, self.seconds, avg, self.scored, self.limited, self.within,
                         round(self.bonus, 2))


def _label(by: str, key: str, weeks: Mapping[int, WeekInfo]) -> str:
    if by == "week":
        week = weeks.get(int(key))
        return week.label if week else f"week {key}"
    if by == "day":
        return f"{key} ({date.fromisoformat(key).strftime('%a')})"
    if by == "project":
        return key or NO_PROJECT
    return key or NO_LOCALE


def _order(by: str, rows: list[ReportRow], weeks: Mapping[int, WeekInfo]) -> list[ReportRow]:
    if by == "day":
        return sorted(rows, key=lambda r: r.key)
    if by == "week":
        def week_key(row: ReportRow) -> tuple[int, str, str]:
            week = weeks.get(int(row.key))
            start = week.start_date if week and week.start_date else ""
            return (0 if start else 1, start, row.label.lower())
        return sorted(rows, key=week_key)
    return sorted(rows, key=lambda r: (-r.duration_seconds, r.label.lower()))


def assemble(cells: Iterable[GroupCell], weeks: Mapping[int, WeekInfo], by: str, span: DateRange,
             currency: str) -> Report:
    """Group the per-(group, week) cells into report rows, share out each week's bonus, add the total."""
    check_grouping(by)
    groups: dict[str, _Sums] = {}
    total = _Sums()
    for cell in cells:
        week = weeks.get(cell.week_id)
        share = 0.0
        if week is not None and week.total_seconds > 0:
            share = week.bonus_amount() * cell.duration_seconds / week.total_seconds
        groups.setdefault(cell.key, _Sums()).add(cell, share)
        total.add(cell, share)
    rows = [sums.row(key, _label(by, key, weeks)) for key, sums in groups.items()]
    return Report(span, by, tuple(_order(by, rows, weeks)), total.row("total", "Total"), currency, dict(weeks))
