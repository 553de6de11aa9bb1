"""The task table's columns: header, how a ``Task`` shows, and how it sorts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.domain.models import Task


@dataclass(frozen=True)
class TaskColumn:
    """One column of the task table: header, how to display and how to sort a task."""

    key: str
    header: str
    display: Callable[[Task], str]
    sort_key: Callable[[Task], Any]
    width: int


def _text(name: str) -> Callable[[Task], str]:
    return lambda task: getattr(task, name) or ""


def _datetime_text(name: str) -> Callable[[Task], str]:
    return lambda task: (getattr(task, name) or "").replace("T", " ")[:16]


COLUMNS: tuple[TaskColumn, ...] = (
    TaskColumn("project_name", "Project", _text("project_name"), _text("project_name"), 160),
    TaskColumn("project_id", "Project ID", _text("project_id"), _text("project_id"), 90),
    TaskColumn("attempt_id", "Attempt", _text("attempt_id"), _text("attempt_id"), 110),
    TaskColumn("operation_id", "Operation", _text("operation_id"), _text("operation_id"), 100),
    TaskColumn("duration", "Duration", lambda t: t.duration_display, lambda t: t.duration_seconds, 80),
    TaskColumn("time_limit", "Time limit", lambda t: t.time_limit_display if t.time_limit_seconds else "",
               lambda t: t.time_limit_seconds, 80),
    TaskColumn("score", "Score", lambda t: "" if t.score is None else str(t.score),
               lambda t: -1 if t.score is None else t.score, 55),
    TaskColumn("date_audited", "Audited", _text("date_audited"), _text("date_audited"), 90),
    TaskColumn("locale", "Locale", _text("locale"), _text("locale"), 60),
    TaskColumn("bonus_paid", "Bonus", lambda t: "yes" if t.bonus_paid else "", lambda t: t.bonus_paid, 50),
    TaskColumn("time_begin", "Begin", _datetime_text("time_begin"), _text("time_begin"), 120),
    TaskColumn("time_end", "End", _datetime_text("time_end"), _text("time_end"), 120),
    TaskColumn("feedback", "Feedback", lambda t: (t.feedback or "").replace("\n", " "), _text("feedback"), 240),
)

COLUMN_INDEX = {column.key: index for index, column in enumerate(COLUMNS)}
DURATION_COLUMN = COLUMN_INDEX["duration"]
