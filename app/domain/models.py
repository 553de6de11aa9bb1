"""Immutable records returned by DataService.

They are frozen so a cached value can be handed to many readers without copying: nobody can
change what the cache holds by editing a result.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

TASK_COLUMNS = (
    "id", "week_id", "attempt_id", "duration_seconds", "duration_display", "project_id",
    "project_name", "operation_id", "time_limit_seconds", "time_limit_display", "date_audited",
    "score", "feedback", "locale", "bonus_paid", "time_begin", "time_end", "created_at", "updated_at",
    "origin_device",
)

WEEK_COLUMNS = (
    "id", "week_label", "week_start_day", "week_start_hour", "week_end_day", "week_end_hour",
    "is_custom_duration", "is_bonus_week", "bonus_rate", "bonus_threshold_seconds", "notes",
    "created_at", "updated_at", "start_date",
)


@dataclass(frozen=True, slots=True)
class Task:
    """One task row of a week, as read from ``tasks_optimized`` (durations in seconds and as text)."""

    id: int
    week_id: int
    attempt_id: str | None
    duration_seconds: int
    duration_display: str
    project_id: str | None
    project_name: str | None
    operation_id: str | None
    time_limit_seconds: int
    time_limit_display: str
    date_audited: str | None
    score: int | None  # None: no score (left out of every average)
    feedback: str | None
    locale: str | None
    bonus_paid: int
    time_begin: str | None
    time_end: str | None
    created_at: str
    updated_at: str
    origin_device: str | None = None  # the other device whose version this is (received by sync); None = this one

    @property
    def display_name(self) -> str:
        """How the task is named in messages: project, else attempt id, else its number."""
        return self.project_name or self.attempt_id or f"task {self.id}"

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Week:
    """One week with its bonus and custom-duration settings."""

    id: int
    week_label: str
    week_start_day: int
    week_start_hour: int
    week_end_day: int
    week_end_hour: int
    is_custom_duration: int
    is_bonus_week: int
    bonus_rate: float
    bonus_threshold_seconds: int
    notes: str
    created_at: str
    updated_at: str
    start_date: str | None  # ISO date the week begins on; None for an undated (non-ISO, imported) week

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class WeekSummary:
    """One line of the weeks list: the week plus its totals."""

    id: int
    week_label: str
    total_duration_seconds: int
    task_count: int
    is_bonus_week: int
    created_at: str
    start_date: str | None


@dataclass(frozen=True, slots=True)
class ProjectTotal:
    """Time, task count and mean score of one project within a week."""

    project_name: str
    duration_seconds: int
    task_count: int


@dataclass(frozen=True, slots=True)
class WeekAnalytics:
    """Everything the Statistics tab shows for one week (totals, per project, productivity, bonus)."""

    week_id: int
    total_tasks: int
    total_duration_seconds: int
    avg_task_duration: float
    avg_score: float
    productivity_score: float
    on_time_tasks: int
    projects: tuple[ProjectTotal, ...]
    is_bonus_week: bool
    bonus_threshold_seconds: int
    bonus_eligible_seconds: int
    bonus_amount: float
    last_calculated: str
    limited_tasks: int = 0        # tasks that have a time limit (time_limit_seconds > 0) …
    within_limit_tasks: int = 0   # … and of those, the ones that stayed within it

    def as_dict(self) -> dict[str, object]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["projects"] = [
            {"project_name": p.project_name, "duration_seconds": p.duration_seconds, "task_count": p.task_count}
            for p in self.projects
        ]
        return data
