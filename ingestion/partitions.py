"""Time partitions of ``heartbeats``, ``timeline`` and ``ingest_log`` (migration 0005, issue 16).

pg_partman creates the partitions; its background worker is not used (it needs
``shared_preload_libraries``): ``wfh-ingest maintain`` premakes the coming months and ``wfh-ingest
prune`` applies retention by dropping whole partitions, both started by ``wfh-ingestion-prune.timer``.
Retention never DELETEs from a partition: only partitions that end before the cutoff are dropped, so a
partition holding any newer row is never touched. The one exception is the DEFAULT partition, the
safety net that should stay empty: its rows older than the cutoff are deleted with it. Pruning
heartbeats also deletes what the reports' rollup (``activity_quarters``) holds of the slots before the
oldest heartbeat kept, so nothing derived from removed heartbeats outlives them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

# Partitioned table -> its partition column.
PARTITIONED = {"heartbeats": "started_at", "timeline": "started_at", "ingest_log": "received_at"}
PACKAGE = "postgresql-15-partman"


class PartitionError(RuntimeError):
    """Partition maintenance cannot run (pg_partman missing, table not partitioned, bad retention)."""


@dataclass(frozen=True)
class PartitionState:
    """What exists for one partitioned table after maintenance."""

    table: str
    partitions: int
    first_start: datetime | None
    last_end: datetime | None
    default_rows: int
    moved_rows: int = 0


@dataclass(frozen=True)
class Pruned:
    """What retention removed from one table: whole partitions, and stray rows of the DEFAULT partition."""

    table: str
    dropped_partitions: int
    default_rows_deleted: int
    rollup_rows_deleted: int = 0


def _parent(schema: str, table: str) -> str:
    return f"{schema}.{table}"


def check_ready(conn: psycopg.Connection[Any], schema: str) -> None:
    """Raise PartitionError unless pg_partman is installed and manages every partitioned table."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_partman'").fetchone() is None:
        raise PartitionError(f"the pg_partman extension is missing: install the package {PACKAGE}"
                             " and run 'wfh-ingest migrate'")
    rows = conn.execute("SELECT parent_table FROM partman.part_config WHERE parent_table = ANY(%s)",
                        ([_parent(schema, t) for t in PARTITIONED],)).fetchall()
    missing = sorted(set(PARTITIONED) - {str(r[0]).split(".", 1)[1] for r in rows})
    if missing:
        raise PartitionError(f"not partitioned yet: {', '.join(missing)}; run 'wfh-ingest migrate'")


def default_partition(conn: psycopg.Connection[Any], schema: str, table: str) -> str | None:
    """The qualified name of ``table``'s DEFAULT partition, if it has one."""
    row = conn.execute(
        "SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = to_regclass(%s) AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'",
        (_parent(schema, table),)).fetchone()
    return None if row is None else str(row[0])


def state(conn: psycopg.Connection[Any], schema: str, table: str) -> PartitionState:
    parent = _parent(schema, table)
    count, first, last = conn.execute(
        "SELECT count(*), min(i.child_start_time), max(i.child_end_time)"
        " FROM partman.show_partitions(%s) p,"
        " LATERAL partman.show_partition_info(p.partition_schemaname || '.' || p.partition_tablename,"
        "                                     p_parent_table => %s) i",
        (parent, parent)).fetchone() or (0, None, None)
    default = default_partition(conn, schema, table)
    rows = 0
    if default is not None:
        found = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(default))).fetchone()
        rows = int(found[0]) if found else 0
    return PartitionState(table, int(count), first, last, rows)


def maintain(conn: psycopg.Connection[Any], schema: str) -> list[PartitionState]:
    """Premake the coming partitions of every partitioned table (pg_partman ``run_maintenance``).

    Rows in a DEFAULT partition (maintenance stopped for longer than the premade months, or a row
    older than every partition) would make creating their partition fail, so they are first moved
    into partitions of their own (``partition_data_proc``, in batches that commit). ``conn`` must be
    in autocommit mode."""
    check_ready(conn, schema)
    states = []
    for table in PARTITIONED:
        parent = _parent(schema, table)
        moved = state(conn, schema, table).default_rows
        if moved:
            conn.execute("CALL partman.partition_data_proc(p_parent_table => %s, p_wait => 0, p_quiet => true)",
                         (parent,))
        conn.execute("SELECT partman.run_maintenance(p_parent_table => %s, p_analyze => false, p_jobmon => false)",
                     (parent,))
        states.append(replace(state(conn, schema, table), moved_rows=moved))
    return states


def prune(conn: psycopg.Connection[Any], schema: str, keep_days: dict[str, int]) -> list[Pruned]:
    """Drop the partitions of each table in ``keep_days`` that end more than that many days ago."""
    check_ready(conn, schema)
    unknown = sorted(set(keep_days) - set(PARTITIONED))
    if unknown:
        raise PartitionError(f"not a partitioned table: {', '.join(unknown)}")
    for table, days in keep_days.items():
        if days < 1:
            raise PartitionError(f"{table}: retention must be at least 1 day, got {days}")
    results = []
    for table, days in keep_days.items():
        with conn.transaction():
            row = conn.execute(
                "SELECT partman.drop_partition_time(%s, make_interval(days => %s), p_keep_table => false)",
                (_parent(schema, table), days)).fetchone()
            dropped = int(row[0]) if row and row[0] is not None else 0
            strays = 0
            default = default_partition(conn, schema, table)
            if default is not None:
                cur = conn.execute(sql.SQL("DELETE FROM {} WHERE {} < now() - make_interval(days => %s)").format(
                    sql.SQL(default), sql.Identifier(PARTITIONED[table])), (days,))
                strays = cur.rowcount
        rolled = _prune_rollup(conn, schema, days) if table == "heartbeats" else 0
        results.append(Pruned(table, dropped, strays, rolled))
    return results


ROLLUP_ROWS_PER_DELETE = 50_000  # rows per transaction: a month of a large fleet's rollup is millions


def _prune_rollup(conn: psycopg.Connection[Any], schema: str, days: int) -> int:
    """Delete the rollup rows of every slot before the oldest heartbeat that can still be stored
    (the start of the oldest kept partition, or the cutoff if that is earlier), in bounded transactions."""
    first = state(conn, schema, "heartbeats").first_start
    removed = 0
    while True:
        with conn.transaction():
            cur = conn.execute(
                "DELETE FROM activity_quarters WHERE ctid = ANY(ARRAY(SELECT ctid FROM activity_quarters"
                " WHERE bucket < least(%s::timestamptz, now() - make_interval(days => %s)) LIMIT %s))",
                (first, days, ROLLUP_ROWS_PER_DELETE))
        removed += cur.rowcount
        if cur.rowcount < ROLLUP_ROWS_PER_DELETE:
            return removed
