"""Worklog storage (INGESTION_API.md §7.4, tables §12.3): current winning versions, week aliases, history.

Every batch runs in one transaction that first takes a per-employee advisory lock: an employee's devices
then write one after another, so change positions (``worklog_change_seq``) are handed out in commit order
for that employee and a reader's cursor can never skip a change committed later under a smaller position.
Rows are written in ``client_id`` order. The winner rule is one row comparison,
``(updated_at, device_id)`` strictly greater, so "later wins, tie → higher device" holds for any arrival
order. Tasks are one statement per batch (history and upsert as data-modifying CTEs); weeks take a few
statements because aliases must be decided against what is stored (they are few and small).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg import errors as pg_errors

from ingestion.db import AsyncConn, retrying
from ingestion.ingest import LogEntry, log_request
from ingestion.worklog.validation import TASKS, WEEKS, CheckedWorklog, Version

LOCK_CLASS = 1464223822  # advisory lock space of the worklog (migrate holds 1464223821 as one bigint)
_WINS = "({t}.updated_at, {t}.device_id) < (EXCLUDED.updated_at, EXCLUDED.device_id)"


@dataclass(frozen=True)
class Writer:
    """Who writes a batch: from the key, never from the body."""

    emp_id: int
    device_id: int
    key_id: int


@dataclass
class Stored:
    """Outcome of one batch: ``accepted`` records and ``refused`` ones as (request index, reason)."""

    accepted: int
    refused: list[tuple[int, str]] = field(default_factory=list)


def _columns(stream_fields: tuple[Any, ...]) -> list[tuple[str, str]]:
    return [(f.name, f.shape.sql) for f in stream_fields]


_WEEK_COLUMNS = _columns(WEEKS.fields)
_TASK_COLUMNS = _columns(TASKS.fields)


def _upsert_sql(table: str, columns: list[tuple[str, str]]) -> str:
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in columns)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in columns if name != "client_id")
    return (
        f"INSERT INTO {table} (emp_id, device_id, {names})"
        f" SELECT %s, %s, {names} FROM unnest({arrays}) AS u({names})"
        f" ON CONFLICT (emp_id, client_id) DO UPDATE SET device_id = EXCLUDED.device_id, {updates},"
        f" change_seq = nextval('worklog_change_seq'), received_at = now()"
        f" WHERE {_WINS.format(t=table)}"
    )


_HISTORY_SQL = (
    "INSERT INTO worklog_history (emp_id, kind, client_id, digest, device_id, key_id, updated_at, deleted_at, record)"
    " SELECT %s, %s, u.client_id, u.digest, %s, %s, u.updated_at, u.deleted_at, u.record"
    " FROM unnest(%b::uuid[], %b::bytea[], %b::timestamptz[], %b::timestamptz[], %b::jsonb[])"
    " AS u(client_id, digest, updated_at, deleted_at, record)"
    " ON CONFLICT DO NOTHING"
)
_TASKS_SQL = (
    f"WITH hist AS ({_HISTORY_SQL}),"
    f" ins AS ({_upsert_sql('worklog_tasks', _TASK_COLUMNS)} RETURNING 1)"
    " SELECT count(*)::int FROM ins"
)
_WEEKS_UPSERT_SQL = _upsert_sql("worklog_weeks", _WEEK_COLUMNS) + " RETURNING client_id::text"
_WEEKS_LOOKUP_SQL = (
    "SELECT u.id::text, a.canonical_id::text, w.client_id IS NOT NULL,"
    " (SELECT c.client_id::text FROM worklog_weeks c WHERE c.emp_id = %s AND c.label_key = lower(u.label)"
    "  ORDER BY c.first_seen_at, c.client_id LIMIT 1),"
    " lower(u.label)"
    " FROM unnest(%b::uuid[], %b::text[]) AS u(id, label)"
    " LEFT JOIN worklog_week_aliases a ON a.emp_id = %s AND a.alias_id = u.id"
    " LEFT JOIN worklog_weeks w ON w.emp_id = %s AND w.client_id = u.id"
)
_ALIAS_SQL = (
    "INSERT INTO worklog_week_aliases (emp_id, alias_id, canonical_id, device_id)"
    " SELECT %s, u.alias_id, u.canonical_id, %s FROM unnest(%b::uuid[], %b::uuid[]) AS u(alias_id, canonical_id)"
    " ORDER BY u.alias_id ON CONFLICT DO NOTHING"
)
_BUMP_WEEKS_SQL = ("UPDATE worklog_weeks SET change_seq = nextval('worklog_change_seq')"
                   " WHERE emp_id = %s AND client_id = ANY(%b::uuid[])")
# Tasks that waited for a week now resolve: a new position, so every reader gets them after its cursor.
_BUMP_TASKS_SQL = ("UPDATE worklog_tasks SET change_seq = nextval('worklog_change_seq')"
                   " WHERE emp_id = %s AND week_client_id = ANY(%b::uuid[])")


async def lock_employee(conn: AsyncConn, emp_id: int) -> None:
    """Serialize one employee's worklog writers until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", (LOCK_CLASS, emp_id))


def _column_arrays(rows: list[list[Any]], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _history_params(writer: Writer, kind: str, versions: list[Version]) -> list[Any]:
    return [writer.emp_id, kind, writer.device_id, writer.key_id,
            [v.client_id for v in versions], [v.digest for v in versions],
            [v.row[-2] for v in versions], [v.row[-1] for v in versions], [v.record for v in versions]]


async def _tasks(conn: AsyncConn, writer: Writer, versions: list[Version], current: list[Version]) -> int:
    rows = [v.row for v in current]
    params = _history_params(writer, "task", versions) + [writer.emp_id, writer.device_id,
                                                          *_column_arrays(rows, len(_TASK_COLUMNS))]
    row = await (await conn.execute(_TASKS_SQL, params)).fetchone()
    return int(row[0]) if row else 0


@dataclass
class _WeekPlan:
    """Where each current week version goes: its canonical target, and which ids are new to the server."""

    target: dict[str, str] = field(default_factory=dict)
    new_aliases: list[tuple[str, str]] = field(default_factory=list)  # (alias, canonical)
    first_seen: list[str] = field(default_factory=list)  # new canonical weeks and new aliases


async def _plan_weeks(conn: AsyncConn, emp_id: int, current: list[Version]) -> _WeekPlan:
    """Decide canonical targets (§7.4): a known alias → its week; a known week → itself; a new id whose label
    matches a week case-insensitively → alias of it (within the batch: of the lower index); else a new week."""
    cur = await conn.execute(_WEEKS_LOOKUP_SQL, (emp_id, [v.client_id for v in current],
                                                 [v.row[1] for v in current], emp_id, emp_id))
    known = {row[0]: row[1:] for row in await cur.fetchall()}
    plan = _WeekPlan()
    new_by_label: dict[str, str] = {}
    for version in sorted(current, key=lambda v: v.index):
        week_id = version.client_id
        alias_of, exists, by_label, label_key = known[week_id]
        if alias_of is not None:
            plan.target[week_id] = alias_of
        elif exists:
            plan.target[week_id] = week_id
        elif (canonical := by_label or new_by_label.get(label_key)) is not None:
            plan.target[week_id] = canonical
            plan.new_aliases.append((week_id, canonical))
            plan.first_seen.append(week_id)
        else:
            plan.target[week_id] = week_id
            new_by_label[label_key] = week_id
            plan.first_seen.append(week_id)
    return plan


async def _weeks(conn: AsyncConn, writer: Writer, versions: list[Version], current: list[Version]) -> int:
    plan = await _plan_weeks(conn, writer.emp_id, current)
    winners: dict[str, Version] = {}  # per canonical target: latest updated_at, tie → later index
    for version in current:
        target = plan.target[version.client_id]
        best = winners.get(target)
        if best is None or (version.updated_at, version.index) > (best.updated_at, best.index):
            winners[target] = version
    rows = [[target, *winners[target].row[1:]] for target in sorted(winners)]
    cur = await conn.execute(_WEEKS_UPSERT_SQL, [writer.emp_id, writer.device_id,
                                                 *_column_arrays(rows, len(_WEEK_COLUMNS))])
    won = {row[0] for row in await cur.fetchall()}
    if plan.new_aliases:
        aliases = sorted(plan.new_aliases)
        await conn.execute(_ALIAS_SQL, (writer.emp_id, writer.device_id, [a for a, _ in aliases],
                                        [c for _, c in aliases]))
        await conn.execute(_BUMP_WEEKS_SQL, (writer.emp_id, sorted({c for _, c in aliases})))
    if plan.first_seen:
        await conn.execute(_BUMP_TASKS_SQL, (writer.emp_id, sorted(plan.first_seen)))
    await conn.execute(_HISTORY_SQL, _history_params(writer, "week", versions))
    created = set(plan.first_seen)  # a new week or a new alias counts even if another version won
    return sum(1 for v in current
               if v.client_id in created or (plan.target[v.client_id] in won
                                             and winners[plan.target[v.client_id]] is v))


Writes = Callable[[AsyncConn, Writer, list[Version], list[Version]], Awaitable[int]]
WRITES: dict[str, Writes] = {"weeks": _weeks, "tasks": _tasks}


async def store_worklog(conn: AsyncConn, stream_name: str, writer: Writer, checked: CheckedWorklog,
                        entry: LogEntry) -> Stored:
    """Write a validated batch and its ``ingest_log`` row atomically; PostgreSQL refusing a record (a
    server bug: validation mirrors every constraint) falls back to one savepoint per version."""
    write = WRITES[stream_name]

    async def whole() -> Stored:
        async with conn.transaction():
            await lock_employee(conn, writer.emp_id)
            accepted = await write(conn, writer, checked.versions, checked.current) if checked.valid else 0
            await log_request(conn, writer.device_id, entry, accepted, checked.valid - accepted)
        return Stored(accepted)

    try:
        result: Stored = await retrying(whole)
        return result
    except (pg_errors.DataError, pg_errors.IntegrityError):
        pass
    each: Stored = await retrying(lambda: _store_each(conn, write, writer, checked, entry))
    return each


async def _store_each(conn: AsyncConn, write: Writes, writer: Writer, checked: CheckedWorklog,
                      entry: LogEntry) -> Stored:
    stored = Stored(0)
    async with conn.transaction():
        await lock_employee(conn, writer.emp_id)
        for version in sorted(checked.versions, key=lambda v: (v.client_id, v.updated_at, v.index)):
            try:
                async with conn.transaction():
                    stored.accepted += await write(conn, writer, [version], [version])
            except (pg_errors.DataError, pg_errors.IntegrityError) as exc:
                stored.refused.append((version.index, f"record: not storable ({type(exc).__name__})"))
        refused = len(stored.refused)
        await log_request(conn, writer.device_id, replace(entry, rejected=entry.rejected + refused),
                          accepted=stored.accepted, duplicates=checked.valid - refused - stored.accepted)
    return stored
