"""Applying weeks and tasks received from the server (contract v1.2 §5.7, §7.4) to the local tables.

Records arrive already checked for shape (``app.sync.worklog``). One page is applied in one transaction
together with its download cursor, so a crash leaves either both or neither. The transaction holds the
``sync_applying`` row, so the outbox triggers skip these writes: a received version is never queued again.

Rules, per record (the server's, mirrored): a strictly later ``updated_at`` wins; an equal one wins too unless
the content is the same (the server already broke the tie and sent its winner); an older one loses to the local
version, which is still on its way to the server (a conflict, listed). A tombstone deletes; a local version that
had not been sent yet is kept in the outbox as a payload first, so it still reaches the server's history.
A week is found by its canonical UUID, one of its aliases, or its label (case-insensitive); a local week found
by alias or label adopts the canonical UUID.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.timeparse import format_duration
from app.storage import kv
from app.storage.db import write_transaction
from app.storage.repositories import refresh_week_statistics

WEEK_FIELDS = ("week_label", "start_date", "week_start_day", "week_end_day", "week_start_hour", "week_end_hour",
               "is_custom_duration", "is_bonus_week", "bonus_rate", "bonus_threshold_seconds", "notes")
TASK_FIELDS = ("attempt_id", "project_id", "project_name", "operation_id", "feedback", "locale", "duration_seconds",
               "time_limit_seconds", "date_audited", "time_begin", "time_end", "score", "bonus_paid")
_BOOLS = {"is_custom_duration", "is_bonus_week", "bonus_paid"}

# The record a pending local version would send, to keep it as the outbox payload before it is overwritten.
_TASK_PAYLOAD = """json_object(
    'client_id', t.uuid, 'week_client_id', (SELECT uuid FROM weeks WHERE id = t.week_id),
    'attempt_id', t.attempt_id, 'project_id', t.project_id, 'project_name', t.project_name,
    'operation_id', t.operation_id, 'feedback', t.feedback, 'locale', t.locale,
    'duration_seconds', t.duration_seconds, 'time_limit_seconds', t.time_limit_seconds,
    'date_audited', t.date_audited, 'time_begin', t.time_begin, 'time_end', t.time_end, 'score', t.score,
    'bonus_paid', t.bonus_paid, 'created_at', t.created_at, 'updated_at', t.sync_updated_at,
    'deleted_at', CASE WHEN t.deleted_at IS NOT NULL THEN t.sync_updated_at END)"""
_WEEK_PAYLOAD = """json_object(
    'client_id', w.uuid, 'week_label', w.week_label, 'start_date', w.start_date,
    'week_start_day', w.week_start_day, 'week_end_day', w.week_end_day, 'week_start_hour', w.week_start_hour,
    'week_end_hour', w.week_end_hour, 'is_custom_duration', w.is_custom_duration,
    'is_bonus_week', w.is_bonus_week, 'bonus_rate', w.bonus_rate,
    'bonus_threshold_seconds', w.bonus_threshold_seconds, 'notes', w.notes, 'created_at', w.created_at,
    'updated_at', w.sync_updated_at, 'deleted_at', NULL)"""


@dataclass
class ApplyReport:
    """What applying received records did; ``conflicts`` names each record where both sides had edits."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    kept_local: int = 0
    skipped: int = 0
    conflicts: list[str] = field(default_factory=list)
    weeks_touched: set[int] = field(default_factory=set)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def add(self, other: ApplyReport) -> None:
        for name in ("created", "updated", "deleted", "unchanged", "kept_local", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.conflicts.extend(other.conflicts)
        self.weeks_touched |= other.weeks_touched

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted,
                "unchanged": self.unchanged, "kept_local": self.kept_local, "skipped": self.skipped,
                "conflicts": list(self.conflicts)}


def cursor_key(stream: str) -> str:
    """The ``settings`` key holding the last ``next_since`` of ``stream``."""
    return f"sync.cursor.{stream}"


def profile_is_empty(conn: sqlite3.Connection) -> bool:
    """No weeks (so no tasks either): the profile a restore may fill without ``--merge``."""
    return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM weeks)").fetchone()[0] == 1


def apply_page(conn: sqlite3.Connection, stream: str, records: Sequence[Mapping[str, Any]],
               next_since: str | None) -> ApplyReport:
    """Apply one downloaded page of ``stream`` and remember its cursor, in one transaction."""
    report = ApplyReport()
    with write_transaction(conn):
        conn.execute("INSERT OR IGNORE INTO sync_applying (id) VALUES (1)")
        if stream == "weeks":
            for record in records:
                _apply_week(conn, record, report)
        else:
            _apply_tasks(conn, records, report)
        for week_id in sorted(report.weeks_touched):
            if conn.execute("SELECT 1 FROM weeks WHERE id = ?", (week_id,)).fetchone():
                refresh_week_statistics(conn, week_id)
        if next_since is not None:
            kv.put_in_transaction(conn, {cursor_key(stream): next_since})
        conn.execute("DELETE FROM sync_applying")
    return report


def _differs(local: sqlite3.Row, record: Mapping[str, Any], names: Sequence[str]) -> bool:
    for name in names:
        mine, theirs = local[name], record.get(name)
        if name in _BOOLS:
            mine, theirs = bool(mine), bool(theirs)
        if mine != theirs:
            return True
    return False


def _keep_pending(conn: sqlite3.Connection, stream: str, row_id: int) -> None:
    """A local version not yet sent is about to be overwritten: keep it as its outbox row's payload."""
    if stream == "weeks":
        conn.execute(f"UPDATE weeks_outbox SET payload = (SELECT {_WEEK_PAYLOAD} FROM weeks w WHERE w.id = ?) "
                     "WHERE row_id = ? AND synced_at IS NULL AND payload IS NULL", (row_id, row_id))
    else:
        conn.execute(f"UPDATE tasks_outbox SET payload = (SELECT {_TASK_PAYLOAD} FROM tasks_optimized t "
                     "WHERE t.id = ?) WHERE row_id = ? AND synced_at IS NULL AND payload IS NULL", (row_id, row_id))


def _has_pending(conn: sqlite3.Connection, stream: str, row_id: int) -> bool:
    return conn.execute(f"SELECT 1 FROM {stream}_outbox WHERE row_id = ? AND synced_at IS NULL LIMIT 1",
                        (row_id,)).fetchone() is not None


def _conflict(report: ApplyReport, what: str, uuid: str, record: Mapping[str, Any], local_won: bool) -> None:
    device = record.get("device") or "another device"
    if local_won:
        report.conflicts.append(f"{what} {uuid}: this device's version is newer than {device}'s "
                                f"({record.get('updated_at')}); kept")
    else:
        report.conflicts.append(f"{what} {uuid}: replaced by {device}'s newer version ({record.get('updated_at')})")


# ---- weeks ------------------------------------------------------------------------------------------------
def _find_week(conn: sqlite3.Connection, record: Mapping[str, Any]) -> sqlite3.Row | None:
    select = "SELECT * FROM weeks WHERE "
    row: sqlite3.Row | None = conn.execute(select + "uuid = ?", (record["client_id"],)).fetchone()
    if row is None:
        for alias in record.get("aliases") or ():
            row = conn.execute(select + "uuid = ?", (alias,)).fetchone()
            if row is not None:
                break
    if row is None:
        row = conn.execute(select + "lower(week_label) = lower(?) ORDER BY id LIMIT 1",
                           (record["week_label"],)).fetchone()
    return row


def _apply_week(conn: sqlite3.Connection, record: Mapping[str, Any], report: ApplyReport) -> None:
    uuid = str(record["client_id"])
    local = _find_week(conn, record)
    if local is not None and local["uuid"] != uuid:
        # The server merged this week into the canonical one: adopt its UUID (queued versions follow).
        conn.execute("UPDATE weeks SET uuid = ? WHERE id = ?", (uuid, local["id"]))
        conn.execute("UPDATE weeks_outbox SET client_id = ? WHERE client_id = ? AND synced_at IS NULL",
                     (uuid, local["uuid"]))
        local = conn.execute("SELECT * FROM weeks WHERE id = ?", (local["id"],)).fetchone()
    remote_at = str(record["updated_at"])
    if record.get("deleted_at") is not None:
        if local is None:
            report.unchanged += 1
            return
        newer_task = conn.execute(
            "SELECT 1 FROM tasks_optimized WHERE week_id = ? AND deleted_at IS NULL AND sync_updated_at > ? LIMIT 1",
            (local["id"], remote_at)).fetchone()
        if remote_at < (local["sync_updated_at"] or "") or newer_task is not None:
            report.kept_local += 1
            _conflict(report, "week", uuid, record, local_won=True)
            return
        if _has_pending(conn, "weeks", local["id"]):
            _keep_pending(conn, "weeks", local["id"])
        for (task_id,) in conn.execute("SELECT id FROM tasks_optimized WHERE week_id = ?", (local["id"],)).fetchall():
            _keep_pending(conn, "tasks", task_id)
        conn.execute("DELETE FROM weeks WHERE id = ?", (local["id"],))
        report.deleted += 1
        return
    values = {name: record.get(name) for name in WEEK_FIELDS}
    for name in _BOOLS & set(values):
        values[name] = int(bool(values[name]))
    if local is None:
        columns = [*values, "uuid", "sync_updated_at", "origin_device", "created_at", "updated_at"]
        params = [*values.values(), uuid, remote_at, record.get("device"),
                  record.get("created_at") or _local_time(remote_at), _local_time(remote_at)]
        if not _week_write(conn, f"INSERT INTO weeks ({', '.join(columns)}) "
                           f"VALUES ({', '.join('?' for _ in columns)})", params, uuid, record, report):
            return
        report.created += 1
        week_id = int(conn.execute("SELECT id FROM weeks WHERE uuid = ?", (uuid,)).fetchone()[0])
        report.weeks_touched.add(week_id)
        return
    local_at = local["sync_updated_at"] or ""
    differs = _differs(local, record, WEEK_FIELDS)
    if remote_at < local_at or (remote_at == local_at and not differs):
        if differs:
            report.kept_local += 1
            _conflict(report, "week", uuid, record, local_won=True)
        else:
            report.unchanged += 1
        return
    if _has_pending(conn, "weeks", local["id"]):
        if differs:
            _conflict(report, "week", uuid, record, local_won=False)
        _keep_pending(conn, "weeks", local["id"])
    assignments = ", ".join(f"{name} = ?" for name in values)
    if not _week_write(conn, f"UPDATE weeks SET {assignments}, sync_updated_at = ?, origin_device = ?, updated_at = ? "
                       "WHERE id = ?", [*values.values(), remote_at, record.get("device"), _local_time(remote_at),
                                        local["id"]], uuid, record, report):
        return
    report.updated += 1
    report.weeks_touched.add(int(local["id"]))


def _week_write(conn: sqlite3.Connection, sql: str, params: Sequence[Any], uuid: str, record: Mapping[str, Any],
                report: ApplyReport) -> bool:
    """Run one week write; a label that another local week already has (the unique label) is a listed skip."""
    try:
        conn.execute(sql, params)
    except sqlite3.IntegrityError as exc:
        report.skipped += 1
        report.conflicts.append(f"week {uuid}: {record.get('device') or 'another device'}'s version not applied: "
                                f"the label {record.get('week_label')!r} is taken by another week here ({exc})")
        return False
    return True


# ---- tasks ------------------------------------------------------------------------------------------------
def _week_id(conn: sqlite3.Connection, uuid: str, cache: dict[str, int | None]) -> int | None:
    if uuid not in cache:
        row = conn.execute("SELECT id FROM weeks WHERE uuid = ?", (uuid,)).fetchone()
        cache[uuid] = None if row is None else int(row[0])
    return cache[uuid]


_INSERT_COLUMNS = ("week_id", *TASK_FIELDS, "duration_display", "time_limit_display", "deleted_at", "uuid",
                   "sync_updated_at", "origin_device", "created_at", "updated_at")
_INSERT_TASK = (f"INSERT INTO tasks_optimized ({', '.join(_INSERT_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})")


class _TaskPage:
    """One page's lookups done once (the local rows of its UUIDs, its weeks, durations as text) and its new
    tasks inserted with one ``executemany``: a restore applies 100,000 tasks."""

    def __init__(self, conn: sqlite3.Connection, records: Sequence[Mapping[str, Any]]) -> None:
        self.conn = conn
        uuids = json.dumps([str(r["client_id"]) for r in records])
        self.local = {row["uuid"]: row for row in conn.execute(
            "SELECT * FROM tasks_optimized WHERE uuid IN (SELECT value FROM json_each(?))", (uuids,))}
        self.weeks: dict[str, int | None] = {}
        self.durations: dict[int, str] = {}
        self.inserts: list[tuple[Any, ...]] = []
        self.inserted: set[str] = set()

    def display(self, seconds: Any) -> str:
        value = int(seconds or 0)
        text = self.durations.get(value)
        if text is None:
            text = self.durations[value] = format_duration(value)
        return text

    def row(self, uuid: str) -> sqlite3.Row | None:
        if uuid in self.inserted:  # the same task twice in one page: its first version must be in the table
            self.flush()
            found: sqlite3.Row | None = self.conn.execute("SELECT * FROM tasks_optimized WHERE uuid = ?",
                                                          (uuid,)).fetchone()
            return found
        return self.local.get(uuid)

    def flush(self) -> None:
        if self.inserts:
            self.conn.executemany(_INSERT_TASK, self.inserts)
            self.inserts.clear()
            self.inserted.clear()


def _apply_tasks(conn: sqlite3.Connection, records: Sequence[Mapping[str, Any]], report: ApplyReport) -> None:
    page = _TaskPage(conn, records)
    for record in records:
        _apply_task(page, record, report)
    page.flush()


def _apply_task(page: _TaskPage, record: Mapping[str, Any], report: ApplyReport) -> None:
    conn = page.conn
    uuid = str(record["client_id"])
    remote_at = str(record["updated_at"])
    deleted = record.get("deleted_at") is not None
    local = page.row(uuid)
    week_id = _week_id(conn, str(record["week_client_id"]), page.weeks)
    if local is None and (deleted or week_id is None):
        if week_id is None and not deleted:
            report.skipped += 1  # its week was deleted here more recently; the server still lists the task
        else:
            report.unchanged += 1
        return
    values: dict[str, Any] = {name: record.get(name) for name in TASK_FIELDS}
    values["bonus_paid"] = int(bool(values["bonus_paid"]))
    values["duration_display"] = page.display(values["duration_seconds"])
    values["time_limit_display"] = page.display(values["time_limit_seconds"])
    values["deleted_at"] = _local_time(str(record["deleted_at"])) if deleted else None
    if local is None:
        assert week_id is not None
        page.inserts.append((week_id, *values.values(), uuid, remote_at, record.get("device"),
                             record.get("created_at") or _local_time(remote_at), _local_time(remote_at)))
        page.inserted.add(uuid)
        report.created += 1
        report.weeks_touched.add(week_id)
        return
    local_at = local["sync_updated_at"] or ""
    same_week = week_id is None or week_id == local["week_id"]
    differs = (_differs(local, record, TASK_FIELDS) or not same_week
               or (local["deleted_at"] is not None) != deleted)
    if remote_at < local_at or (remote_at == local_at and not differs):
        if differs:
            report.kept_local += 1
            _conflict(report, "task", uuid, record, local_won=True)
        else:
            report.unchanged += 1
        return
    if _has_pending(conn, "tasks", local["id"]):
        if differs:
            _conflict(report, "task", uuid, record, local_won=False)
        _keep_pending(conn, "tasks", local["id"])
    if week_id is not None:
        values["week_id"] = week_id
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(f"UPDATE tasks_optimized SET {assignments}, sync_updated_at = ?, origin_device = ?, updated_at = ? "
                 "WHERE id = ?", [*values.values(), remote_at, record.get("device"), _local_time(remote_at),
                                  local["id"]])
    if deleted and local["deleted_at"] is None:
        report.deleted += 1
    else:
        report.updated += 1
    report.weeks_touched.update({int(local["week_id"]), int(values.get("week_id", local["week_id"]))})


def _local_time(stamp: str) -> str:
    """``2026-11-24T09:15:02.117Z`` as the app's own ``updated_at``/``deleted_at`` columns hold times."""
    return stamp[:10] + " " + stamp[11:19]
