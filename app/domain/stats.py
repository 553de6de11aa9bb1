"""Week statistics as pure functions over per-project rows (no SQL, no Qt).

Averages of scores count only the tasks that have one (a blank score is NULL, not 0).

Productivity score (0–100): the average task score scaled by the share of tasks that stayed
within their time limit (tasks without a limit count as on time). A week where every task is
on time scores its average score; each overrun pulls it down proportionally.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.models import ProjectTotal

NO_PROJECT = "(no project)"


@dataclass(frozen=True)
class ProjectRow:
    """Aggregates of one project inside one week, as the covering-index query returns them."""

    project_name: str | None
    task_count: int
    duration_seconds: int
    score_sum: int
    over_limit: int
    scored_count: int  # tasks that have a score (the denominator of the average score)


@dataclass(frozen=True)
class WeekTotals:
    """Sums over a week's tasks, computed once and shared by the analytics parts."""

    total_tasks: int
    total_duration_seconds: int
    avg_task_duration: float
    avg_score: float
    productivity_score: float
    on_time_tasks: int
    projects: tuple[ProjectTotal, ...]


def summarize(rows: Iterable[ProjectRow]) -> WeekTotals:
    projects: dict[str, ProjectTotal] = {}
    tasks = duration = score_sum = over = scored = 0
    for row in rows:
        tasks += row.task_count
        scored += row.scored_count
        duration += row.duration_seconds
        score_sum += row.score_sum
        over += row.over_limit
        name = row.project_name if row.project_name else NO_PROJECT
        previous = projects.get(name)
        if previous is not None:  # NULL and '' both land on NO_PROJECT
            projects[name] = ProjectTotal(name, previous.duration_seconds + row.duration_seconds,
                                          previous.task_count + row.task_count)
        else:
            projects[name] = ProjectTotal(name, row.duration_seconds, row.task_count)
    avg_duration = duration / tasks if tasks else 0.0
    avg_score = score_sum / scored if scored else 0.0
    on_time = tasks - over
    productivity = avg_score * (on_time / tasks) if tasks else 0.0
    ordered = tuple(sorted(projects.values(), key=lambda p: (-p.duration_seconds, p.project_name)))
    return WeekTotals(tasks, duration, round(avg_duration, 3), round(avg_score, 3), round(productivity, 3),
                      on_time, ordered)


def bonus(total_seconds: int, is_bonus_week: bool, threshold_seconds: int, rate_per_hour: float) -> tuple[int, float]:
    """(seconds beyond the threshold, amount) for a bonus week; (0, 0.0) otherwise."""
    if not is_bonus_week:
        return 0, 0.0
    eligible = max(0, total_seconds - max(0, threshold_seconds))
    return eligible, round(eligible / 3600 * rate_per_hour, 2)
