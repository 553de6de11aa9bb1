"""Recognise imported rows that are already in the profile, so an import never duplicates silently.

A row is a duplicate of task N when
  * its ``id`` (the app's own export carries it) names task N and N has the same attempt, project, begin and
    duration (the fingerprint: the same id in another profile's export is another task);
  * or task N has the same attempt id, project and begin time as the row — when the row has an attempt id or
    a begin time at all (a row with neither has nothing that tells two tasks apart, and is never flagged).
Deleted tasks do not count. Rows repeating an earlier row of the same file are duplicates of that line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

TaskKey = tuple[str, str, str]
Fingerprint = tuple[str, str, str, int]
_KEYS_SQL = ("SELECT id, COALESCE(attempt_id, ''), COALESCE(project_name, ''), COALESCE(time_begin, ''), "
             "COALESCE(duration_seconds, 0) FROM tasks_optimized WHERE deleted_at IS NULL")


def task_key(attempt_id: str | None, project_name: str | None, time_begin: str | None) -> TaskKey | None:
    """What tells a task apart from another, or None when it has neither an attempt id nor a begin time."""
    if not attempt_id and not time_begin:
        return None
    return (attempt_id or "", project_name or "", time_begin or "")


def fingerprint(attempt_id: str | None, project_name: str | None, time_begin: str | None,
                duration_seconds: int | None) -> Fingerprint:
    """What an exported id must still match to be the same task."""
    return (attempt_id or "", project_name or "", time_begin or "", int(duration_seconds or 0))


def existing_keys(conn: sqlite3.Connection) -> tuple[dict[TaskKey, int], dict[int, Fingerprint]]:
    """(key → lowest task id of the tasks that have a key, task id → fingerprint of every task); one scan."""
    by_key: dict[TaskKey, int] = {}
    by_id: dict[int, Fingerprint] = {}
    cursor = conn.cursor()
    cursor.row_factory = None
    for task_id, attempt, project, begin, seconds in cursor.execute(_KEYS_SQL):
        by_id[task_id] = (attempt, project, begin, seconds)
        if attempt or begin:
            by_key.setdefault((attempt, project, begin), task_id)
    return by_key, by_id


def find_duplicates(conn: sqlite3.Connection,
                    rows: Iterable[tuple[int, TaskKey | None, int | None, Fingerprint]]) -> Iterator[tuple[int, str]]:
    """For (line, key, id from the file, fingerprint) rows: (line, "duplicate of task N" / "duplicate of line L")
    of each duplicate, in order."""
    by_key, by_id = existing_keys(conn)
    seen: dict[TaskKey, int] = {}
    for line, key, id_hint, print_ in rows:
        if id_hint is not None and by_id.get(id_hint) == print_:
            yield line, f"duplicate of task {id_hint}"
        elif key is None:
            continue
        elif key in by_key:
            yield line, f"duplicate of task {by_key[key]}"
        elif key in seen:
            yield line, f"duplicate of line {seen[key]}"
        else:
            seen[key] = line
