"""DataService: every read and write of weeks and tasks, with caching and change signals.

Each write runs in one ``BEGIN IMMEDIATE`` transaction that also writes its ``task_events`` row
and recomputes the affected week's ``week_statistics`` row (one covering-index scan). After the
commit the exact cache keys of the affected weeks are invalidated, then ``changed`` fires once, so a
slot that re-reads through the cache always sees the new data.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.domain import validation
from app.domain.changes import BULK_ROWS, Changes
from app.domain.models import TASK_COLUMNS, WEEK_COLUMNS, ProjectTotal, Task, Week, WeekAnalytics, WeekSummary
from app.domain.stats import bonus
from app.domain.timeparse import MAX_DURATION_SECONDS, format_duration
from app.errors import NotFoundError, OperationCancelled, ValidationError
from app.services.cache import CacheService, cached
from app.storage import repositories as repo
from app.storage.db import ConnectionFactory, write_transaction

ANALYTICS_METRICS = ("all", "totals", "projects", "productivity", "bonus")
# What an undone week delete writes back (everything but ids and timestamps).
RESTORED_WEEK_FIELDS = tuple(f for f in WEEK_COLUMNS if f not in ("id", "created_at", "updated_at"))
RESTORED_TASK_FIELDS = tuple(f for f in TASK_COLUMNS if f not in ("id", "week_id", "created_at", "updated_at"))
PROGRESS_EVERY = 2000  # rows between progress reports and cancel checks of a bulk write


def drop_in_slices(items: list[Any]) -> None:
    """Free a big list a slice at a time: freeing 100,000 dicts at once holds the GIL ~0.1 s and so stalls
    the GUI thread too, while between slices the interpreter can switch threads."""
    while items:
        del items[-PROGRESS_EVERY:]


def _check_cancel(index: int, should_cancel: Callable[[], bool] | None) -> None:
    if should_cancel is not None and index % PROGRESS_EVERY == 0 and should_cancel():
        raise OperationCancelled("cancelled; nothing was written")


class DataService(QObject):
    """Reads (cached) and writes (one transaction each) of weeks and tasks.

    Signals:
        changed(Changes): once per committed write, with the week and task ids it touched
            (``bulk`` after imports and large writes: re-read everything).
    """

    changed = Signal(object)

    def __init__(self, db: ConnectionFactory, cache_service: CacheService | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.cache_service = cache_service
        # generation before -> after of this process's own write transactions (see ``changed_elsewhere``)
        self._own_generations: dict[int, int] = {}
        self._steps = threading.local()  # generation steps of the write transaction open on each thread

    # ---- reads (cached) ------------------------------------------------------------------
    @cached("week_data", "weeks")
    def list_weeks(self) -> tuple[WeekSummary, ...]:
        """All weeks, newest first, with total time and task count."""
        return tuple(repo.list_weeks(self.db.get()))

    @cached("week_data", "week")
    def get_week_data(self, week_id: int) -> Week | None:
        return repo.get_week(self.db.get(), week_id)

    @cached("task_aggregations", "week_tasks")
    def get_week_tasks(self, week_id: int, limit: int | None = None, offset: int = 0) -> tuple[Task, ...]:
        """Tasks of a week, newest first; ``limit``/``offset`` page through big weeks."""
        if limit is not None and limit < 0 or offset < 0:
            raise ValidationError("limit and offset must not be negative")
        return tuple(repo.week_tasks(self.db.get(), week_id, limit, offset))

    @cached("analytics_results", "week_analytics")
    def get_week_analytics(self, week_id: int, metric: str = "all") -> Any:
        """Totals, per-project times, productivity and bonus of a week.

        ``metric='all'`` returns a ``WeekAnalytics``; ``totals``/``projects``/``productivity``/
        ``bonus`` return just that part as a dict (or tuple of projects).
        """
        if metric not in ANALYTICS_METRICS:
            raise ValidationError(f"unknown metric {metric!r}; use one of {', '.join(ANALYTICS_METRICS)}")
        analytics = self._analytics(week_id)
        if metric == "all":
            return analytics
        if metric == "projects":
            return analytics.projects
        keys: tuple[str, ...]
        if metric == "totals":
            keys = ("total_tasks", "total_duration_seconds", "avg_task_duration", "avg_score")
        elif metric == "productivity":
            keys = ("productivity_score", "on_time_tasks", "total_tasks")
        else:
            keys = ("is_bonus_week", "bonus_threshold_seconds", "bonus_eligible_seconds", "bonus_amount")
        return {key: getattr(analytics, key) for key in keys}

    def get_task(self, task_id: int) -> Task:
        task = repo.get_task(self.db.get(), task_id)
        if task is None:
            raise NotFoundError(f"task {task_id} does not exist (it may have been deleted)")
        return task

    def recent_tasks(self, limit: int = 8) -> tuple[Task, ...]:
        """The tasks touched last (the tray's "Start timer on" menu)."""
        return tuple(repo.recent_tasks(self.db.get(), limit))

    def count_week_tasks(self, week_id: int) -> int:
        return repo.count_week_tasks(self.db.get(), week_id)

    def project_names(self, week_id: int) -> list[str]:
        return [p.project_name for p in self.get_week_analytics(week_id, "projects")]

    # ---- week writes -------------------------------------------------------------------
    def create_week(self, week_label: str, **fields: Any) -> int:
        values = validation.validate_week({"week_label": week_label, **fields})
        conn = self.db.get()
        with self._write(conn):
            self._check_label_free(conn, values["week_label"], None)
            week_id = repo.insert_week(conn, values)
            self._bump(conn)
        self._invalidate_weeks([week_id])
        self.changed.emit(Changes(weeks_created=(week_id,)))
        return week_id

    def update_week(self, week_id: int, **fields: Any) -> None:
        values = validation.validate_week(fields, partial=True)
        conn = self.db.get()
        with self._write(conn):
            self._require_week(conn, week_id)
            if "week_label" in values:
                self._check_label_free(conn, values["week_label"], week_id)
            repo.update_week(conn, week_id, values)
            self._bump(conn)
        self._invalidate_weeks([week_id])
        self.changed.emit(Changes(weeks_updated=(week_id,)))

    def delete_week(self, week_id: int) -> int:
        """Delete a week and its tasks; returns the number of tasks deleted."""
        conn = self.db.get()
        with self._write(conn):
            self._require_week(conn, week_id)
            count = repo.delete_week(conn, week_id)
            self._bump(conn)
        self._invalidate_weeks([week_id])
        self.changed.emit(Changes(weeks_deleted=(week_id,)))
        return count

    # ---- task writes -------------------------------------------------------------------
    def create_task(self, week_id: int, task_data: Mapping[str, Any], user_action: str = "manual") -> int:
        return self.create_tasks(week_id, [task_data], user_action)[0]

    def create_tasks(self, week_id: int, rows: Sequence[Mapping[str, Any]], user_action: str = "manual") -> list[int]:
        """Create several tasks in one transaction; all or nothing. Bulk imports use ``write_tasks`` off the GUI
        thread instead."""
        changes = self.write_tasks(week_id, rows, user_action)
        self.publish(changes)
        return list(changes.tasks_created)

    def write_tasks(self, week_id: int, rows: Sequence[Mapping[str, Any]], user_action: str = "manual",
                    progress: Callable[[int, int], None] | None = None,
                    should_cancel: Callable[[], bool] | None = None) -> Changes:
        """Insert tasks in one transaction on the calling thread's connection and return what changed.

        Touches neither the cache nor ``changed``, so it may run on the serialized writer thread; the GUI
        thread then calls ``publish`` with the result. Each row is validated and inserted in turn, so no
        list of 100,000 validated rows builds up (it would make the garbage collector walk the heap with
        the GIL held, stalling the GUI); a bad row rolls the whole transaction back. ``should_cancel`` is
        asked every ``PROGRESS_EVERY`` rows; cancelling raises ``OperationCancelled`` and rolls back.
        """
        conn = self.db.get()
        ids: list[int] = []
        total = len(rows)
        with self._write(conn):
            self._require_week(conn, week_id)
            for index, data in enumerate(rows):
                try:
                    values = validation.validate_task(data)
                    validation.check_task_times(values["time_begin"], values["time_end"])
                except ValidationError as exc:
                    if total > 1:
                        raise ValidationError(f"row {index + 1}: {exc}", exc.field) from None
                    raise
                values.pop("week_id", None)
                task_id = repo.insert_task(conn, week_id, values)
                repo.log_event(conn, task_id, "task_created", {"week_id": week_id},
                               values["duration_seconds"], user_action)
                ids.append(task_id)
                if progress is not None and index % PROGRESS_EVERY == 0:
                    progress(index, total)
                _check_cancel(index, should_cancel)
            repo.refresh_week_statistics(conn, week_id)
            self._bump(conn)
        if progress is not None:
            progress(total, total)
        return Changes(weeks_updated=(week_id,), tasks_created=tuple(ids), bulk=len(ids) > BULK_ROWS)

    def update_task(self, task_id: int, changes: Mapping[str, Any], user_action: str = "manual") -> None:
        values = validation.validate_task(changes, partial=True)
        conn = self.db.get()
        with self._write(conn):
            old = self._require_task(conn, task_id)
            begin = values.get("time_begin", old.time_begin)
            end = values.get("time_end", old.time_end)
            validation.check_task_times(begin, end)
            if "week_id" in values:
                self._require_week(conn, values["week_id"])
            changed = {k: v for k, v in values.items() if getattr(old, k) != v}
            if changed:
                repo.update_task(conn, task_id, changed)
                delta = changed.get("duration_seconds", old.duration_seconds) - old.duration_seconds
                repo.log_event(conn, task_id, "task_updated",
                               {"changed": {k: [getattr(old, k), v] for k, v in changed.items()}},
                               delta, user_action)
                weeks = {old.week_id, changed.get("week_id", old.week_id)}
                for week in weeks:
                    repo.refresh_week_statistics(conn, week)
                self._bump(conn)
        if not changed:
            return
        self._invalidate_weeks(weeks)
        self.changed.emit(Changes(weeks_updated=tuple(sorted(weeks)), tasks_updated=(task_id,)))

    def update_task_duration(self, task_id: int, duration_seconds: int, method: str = "timer") -> None:
        """Set a task's duration (the timer's stop, or a manual edit) and log the change."""
        self._set_duration(task_id, duration_seconds, method, "task_updated", {"method": method})

    def start_timer(self, task_id: int) -> None:
        """Record a ``timer_start`` event (the running timer itself lives in the UI's TimerController)."""
        conn = self.db.get()
        with self._write(conn):
            task = self._require_task(conn, task_id)
            repo.log_event(conn, task_id, "timer_start", {"duration_before": task.duration_seconds}, 0, "timer")
            self._bump(conn)

    def stop_timer(self, task_id: int, elapsed_seconds: int) -> None:
        """Add the timer's elapsed time to the task and record ``timer_stop``, in one transaction."""
        if isinstance(elapsed_seconds, bool) or not isinstance(elapsed_seconds, int) or elapsed_seconds < 0:
            raise ValidationError("elapsed time must be a non-negative whole number of seconds")
        task = self.get_task(task_id)
        self._set_duration(task_id, task.duration_seconds + elapsed_seconds, "timer", "timer_stop",
                           {"elapsed": elapsed_seconds})

    def delete_task(self, task_id: int) -> None:
        self.delete_tasks([task_id])

    def delete_tasks(self, task_ids: Iterable[int]) -> None:
        """Delete tasks in one transaction (multi-select delete); unknown ids fail the whole call."""
        ids = list(dict.fromkeys(task_ids))
        conn = self.db.get()
        weeks: set[int] = set()
        with self._write(conn):
            for task_id in ids:
                task = self._require_task(conn, task_id)
                weeks.add(task.week_id)
                repo.log_event(conn, task_id, "task_deleted", task.as_dict(), -task.duration_seconds)
                repo.delete_task(conn, task_id)
            for week in weeks:
                repo.refresh_week_statistics(conn, week)
            self._bump(conn)
        self._invalidate_weeks(weeks)
        self.changed.emit(Changes(weeks_updated=tuple(sorted(weeks)), tasks_deleted=tuple(ids),
                                  bulk=len(ids) > BULK_ROWS))

    def move_tasks(self, task_ids: Iterable[int], week_id: int, user_action: str = "manual") -> int:
        """Move tasks to another week in one transaction (a ``task_moved`` event each, both weeks' statistics
        recomputed); returns how many moved (tasks already in that week are left alone)."""
        ids = list(dict.fromkeys(task_ids))
        conn = self.db.get()
        weeks: set[int] = {week_id}
        moved: list[int] = []
        with self._write(conn):
            self._require_week(conn, week_id)
            for task_id in ids:
                task = self._require_task(conn, task_id)
                if task.week_id == week_id:
                    continue
                weeks.add(task.week_id)
                repo.update_task(conn, task_id, {"week_id": week_id})
                repo.log_event(conn, task_id, "task_moved", {"from_week_id": task.week_id, "to_week_id": week_id},
                               0, user_action)
                moved.append(task_id)
            if moved:
                for week in weeks:
                    repo.refresh_week_statistics(conn, week)
                self._bump(conn)
        if not moved:
            return 0
        self._invalidate_weeks(weeks)
        self.changed.emit(Changes(weeks_updated=tuple(sorted(weeks)), tasks_updated=tuple(moved),
                                  bulk=len(moved) > BULK_ROWS))
        return len(moved)

    def restore_tasks(self, task_ids: Iterable[int], user_action: str = "undo") -> None:
        """Undo a delete: the tasks come back with their ids and events (``task_restored``); all or nothing."""
        ids = list(dict.fromkeys(task_ids))
        conn = self.db.get()
        weeks: set[int] = set()
        with self._write(conn):
            for task_id in ids:
                week_id = repo.deleted_task_week(conn, task_id)
                if week_id is None or repo.get_week(conn, week_id) is None:
                    raise NotFoundError(f"task {task_id} cannot be restored (it is not deleted, or its week is gone)")
                repo.restore_task(conn, task_id)
                task = self._require_task(conn, task_id)
                repo.log_event(conn, task_id, "task_restored", {"week_id": week_id}, task.duration_seconds,
                               user_action)
                weeks.add(week_id)
            for week in weeks:
                repo.refresh_week_statistics(conn, week)
            self._bump(conn)
        self._invalidate_weeks(weeks)
        self.changed.emit(Changes(weeks_updated=tuple(sorted(weeks)), tasks_created=tuple(ids),
                                  bulk=len(ids) > BULK_ROWS))

    def restore_week(self, week: Week, tasks: Sequence[Task], user_action: str = "undo") -> int:
        """Undo a week delete from a snapshot taken before it: the week and its tasks come back (new ids,
        a ``task_restored`` event each) in one transaction; returns the new week id."""
        values = {field: getattr(week, field) for field in RESTORED_WEEK_FIELDS}
        conn = self.db.get()
        with self._write(conn):
            self._check_label_free(conn, week.week_label, None)
            week_id = repo.insert_week(conn, values)
            for task in tasks:
                task_values = {field: getattr(task, field) for field in RESTORED_TASK_FIELDS}
                task_id = repo.insert_task(conn, week_id, task_values)
                repo.log_event(conn, task_id, "task_restored", {"deleted_week_id": week.id, "old_task_id": task.id},
                               task.duration_seconds, user_action)
            repo.refresh_week_statistics(conn, week_id)
            self._bump(conn)
        self._invalidate_weeks([week_id])
        self.changed.emit(Changes(weeks_created=(week_id,)))
        return week_id

    @Slot()
    def notify_bulk_change(self) -> None:
        """After a bulk write outside DataService (legacy import): drop caches, tell views to reload."""
        self.publish(Changes(bulk=True))

    @Slot(object)
    def publish(self, changes: Changes) -> None:
        """On the GUI thread, after a committed write: drop the touched cache keys, then emit ``changed`` once.

        A bulk change set that names no week (legacy import) drops every cache.
        """
        if changes.bulk and not changes.weeks:
            if self.cache_service is not None:
                self.cache_service.invalidate_all()
        else:
            self._invalidate_weeks(changes.weeks)
        self.changed.emit(changes)

    # ---- other processes -------------------------------------------------------------------
    def generation(self) -> int:
        """The weeks/tasks write counter every process bumps once per write transaction."""
        return repo.read_generation(self.db.get())

    def changed_elsewhere(self, last_seen: int, current: int) -> bool:
        """Whether writes other than this process's own brought the counter from ``last_seen`` to ``current``.

        Each own transaction recorded its (before, after); following them from ``last_seen`` either
        reaches ``current`` (only our writes, already published) or stops short (someone else wrote).
        """
        position = last_seen
        while position != current and position in self._own_generations:
            position = self._own_generations.pop(position)
        for stale in [before for before in self._own_generations if before < current]:
            del self._own_generations[stale]
        return position != current

    @Slot()
    def reload_after_external_change(self) -> None:
        """Another process (the task CLI) wrote weeks or tasks: drop every cache, tell views to re-read."""
        self.publish(Changes(bulk=True))

    # ---- internals ---------------------------------------------------------------------
    @contextmanager
    def _write(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """``write_transaction`` that, once committed, records the generation steps ``_bump`` made in it as
        this process's own (a rolled-back step is not recorded: a later foreign write may reuse its number)."""
        steps: list[tuple[int, int]] = []
        self._steps.current = steps
        try:
            with write_transaction(conn):
                yield conn
        finally:
            self._steps.current = None
        for before, after in steps:
            self._own_generations[before] = after

    def _bump(self, conn: sqlite3.Connection) -> None:
        """Count this write transaction (one per transaction, whatever it changed)."""
        steps = getattr(self._steps, "current", None)
        if steps is None:
            raise RuntimeError("_bump outside DataService._write")
        steps.append(repo.bump_generation(conn))
    def _set_duration(self, task_id: int, seconds: int, method: str, event: str, data: dict[str, Any]) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= MAX_DURATION_SECONDS:
            raise ValidationError("duration: must be between 0 and 1000 hours", "duration")
        conn = self.db.get()
        with self._write(conn):
            old = self._require_task(conn, task_id)
            repo.update_task(conn, task_id, {"duration_seconds": seconds, "duration_display": format_duration(seconds)})
            repo.log_event(conn, task_id, event, {**data, "old": old.duration_seconds, "new": seconds},
                           seconds - old.duration_seconds, method)
            repo.refresh_week_statistics(conn, old.week_id)
            self._bump(conn)
        self._invalidate_weeks([old.week_id])
        self.changed.emit(Changes(weeks_updated=(old.week_id,), tasks_updated=(task_id,)))

    def _analytics(self, week_id: int) -> WeekAnalytics:
        conn = self.db.get()
        week = repo.get_week(conn, week_id)
        if week is None:
            raise NotFoundError(f"week {week_id} does not exist")
        row = repo.read_week_statistics(conn, week_id)
        if row is None:  # a week created by an older build: compute once and keep
            with self._write(conn):
                repo.refresh_week_statistics(conn, week_id)
            row = repo.read_week_statistics(conn, week_id)
            assert row is not None
        breakdown = json.loads(row["project_breakdown"] or "{}")
        projects = tuple(sorted(
            (ProjectTotal(name, int(v["duration"]), int(v["task_count"])) for name, v in breakdown.items()),
            key=lambda p: (-p.duration_seconds, p.project_name),
        ))
        total = int(row["total_duration_seconds"] or 0)
        eligible, amount = bonus(total, bool(week.is_bonus_week), week.bonus_threshold_seconds, week.bonus_rate)
        limited, within = repo.week_limit_counts(conn, week_id)
        return WeekAnalytics(
            week_id=week_id,
            total_tasks=int(row["total_tasks"] or 0),
            total_duration_seconds=total,
            avg_task_duration=float(row["avg_task_duration"] or 0.0),
            avg_score=float(row["avg_score"] or 0.0),
            productivity_score=float(row["productivity_score"] or 0.0),
            on_time_tasks=int(row["on_time_tasks"] or 0),
            projects=projects,
            is_bonus_week=bool(week.is_bonus_week),
            bonus_threshold_seconds=week.bonus_threshold_seconds,
            bonus_eligible_seconds=eligible,
            bonus_amount=amount,
            last_calculated=str(row["last_calculated"]),
            limited_tasks=limited,
            within_limit_tasks=within,
        )

    def _invalidate_weeks(self, week_ids: Iterable[int]) -> None:
        service = self.cache_service
        if service is None:
            return
        service.invalidate_pattern("week_data", "weeks")
        for week_id in week_ids:
            service.invalidate_pattern("week_data", f"week:{week_id!r}")
            service.invalidate_pattern("task_aggregations", f"week_tasks:{week_id!r}")
            service.invalidate_pattern("analytics_results", f"week_analytics:{week_id!r}")

    @staticmethod
    def _require_week(conn: sqlite3.Connection, week_id: int) -> Week:
        week = repo.get_week(conn, week_id)
        if week is None:
            raise NotFoundError(f"week {week_id} does not exist (it may have been deleted)")
        return week

    @staticmethod
    def _require_task(conn: sqlite3.Connection, task_id: int) -> Task:
        task = repo.get_task(conn, task_id)
        if task is None:
            raise NotFoundError(f"task {task_id} does not exist (it may have been deleted)")
        return task

    @staticmethod
    def _check_label_free(conn: sqlite3.Connection, label: str, own_id: int | None) -> None:
        existing = repo.week_id_by_label(conn, label)
        if existing is not None and existing != own_id:
            week = repo.get_week(conn, existing)
            taken = week.week_label if week is not None else label
            same = "" if taken == label else " (labels ignore upper and lower case)"
            raise ValidationError(f"week_label: a week called {taken!r} already exists{same}", "week_label")
