"""Daily retention cleanup: old *synced* heartbeats and screenshots, old sync_log and agent samples.

The policy is pure (``rules_from_settings``, ``cutoff_iso``, ``select_expired``) and is the gate
for every deletion: a row of an uploaded stream is deleted only when ``synced_at`` is set, so
retention never destroys data the server has not received (INGESTION_API.md §10.10: synced rows follow
the local retention settings; unsynced ones belong to the queue). ``sync_log`` and
``agent_metric_samples`` are local diagnostics and expire by age alone. The SQL around the
policy only fetches candidates in batches and deletes by id.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.config import Settings
from app.storage import kv
from app.storage.db import write_transaction

log = logging.getLogger(__name__)

BATCH = 2000
LAST_RUN_KEY = "retention.last_run"


@dataclass(frozen=True)
class Rule:
    """How long rows of one table are kept and whether they must have been uploaded first."""

    table: str
    time_column: str   # RFC 3339 UTC text ('…Z'), compared as text
    setting: str       # dotted settings path holding the number of days
    synced_only: bool  # rows of an uploaded stream: delete only once synced
    key: str = "id"


RULES: tuple[Rule, ...] = (
    Rule("heartbeats", "ended_at", "retention.heartbeats_days", True),
    Rule("screenshots", "captured_at", "retention.screenshots_days", True),
    Rule("sync_log", "created_at", "retention.sync_log_days", False),
    Rule("agent_metric_samples", "timestamp", "retention.agent_metrics_days", False, key="metric_id"),
)


# ---- pure policy ---------------------------------------------------------------------------
def cutoff_iso(now: datetime, days: float | None) -> str | None:
    """Rows older than this instant expire; ``None`` (keep forever) for missing or ≤ 0 days."""
    if days is None or days <= 0:
        return None
    moment = (now - timedelta(days=float(days))).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def rules_from_settings(settings: Settings, now: datetime) -> list[tuple[Rule, str]]:
    """The rules that are switched on, each with its cutoff (``settings.get(dotted)`` interface)."""
    active = []
    for rule in RULES:
        raw = settings.get(rule.setting)
        try:
            days = float(raw) if raw is not None else None
        except (TypeError, ValueError):
            log.warning("retention: %s=%r is not a number; that cleanup is skipped", rule.setting, raw)
            continue
        cutoff = cutoff_iso(now, days)
        if cutoff is not None:
            active.append((rule, cutoff))
    return active


def select_expired(rows: Iterable[Any], rule: Rule, cutoff: str) -> list[Any]:
    """Keys of the rows (dicts or sqlite3.Row) that may be deleted: older than ``cutoff`` and, if required, synced."""
    doomed = []
    for row in rows:
        stamp = row[rule.time_column]
        if not stamp or str(stamp) >= cutoff:
            continue
        if rule.synced_only and not row["synced_at"]:
            continue
        doomed.append(row[rule.key])
    return doomed


def is_cleanup_due(last: datetime | None, now: datetime) -> bool:
    return last is None or abs(now - last) >= timedelta(days=1)


# ---- SQL and files -------------------------------------------------------------------------
def _uploaded(rule: Rule) -> str:
    """``synced_at`` as far as retention is concerned: a quarantined row never reached the server, so it
    counts as not uploaded while its dead letter exists (the user may still retry it); once the letter is
    discarded or expired (§10.8) the row may go like any other."""
    held = (f"EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.stream = '{rule.table}'"
            f' AND q.client_id = "{rule.table}".client_id)')
    return f"CASE WHEN synced_at = 'quarantined' AND {held} THEN NULL ELSE synced_at END"


def _candidates(conn: sqlite3.Connection, rule: Rule, cutoff: str, after: Any) -> list[sqlite3.Row]:
    columns = [rule.key, rule.time_column] + ([f"{_uploaded(rule)} AS synced_at"] if rule.synced_only else [])
    if rule.table == "screenshots":
        columns.append("file_path")
    synced = f" AND {_uploaded(rule)} IS NOT NULL" if rule.synced_only else ""
    sql = (f'SELECT {", ".join(columns)} FROM "{rule.table}" WHERE {rule.time_column} < ?{synced} '
           f"AND {rule.key} > ? ORDER BY {rule.key} LIMIT {BATCH}")
    cursor = conn.execute(sql, (cutoff, after))
    cursor.row_factory = sqlite3.Row
    return cursor.fetchall()


def _delete_files(data_dir: Path, relative_paths: Iterable[str]) -> int:
    base = data_dir.resolve()
    removed = 0
    for rel in relative_paths:
        target = (base / rel).resolve()
        if base not in target.parents:  # never follow a path out of the profile
            log.warning("retention: screenshot path outside the data dir ignored: %s", rel)
            continue
        try:
            target.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("retention: could not delete %s: %s", target, exc)
    return removed


def apply_rule(conn: sqlite3.Connection, rule: Rule, cutoff: str, data_dir: Path | None = None) -> int:
    """Delete what ``select_expired`` allows, in batches of ``BATCH`` (one transaction each)."""
    deleted, after = 0, -1
    while True:
        rows = _candidates(conn, rule, cutoff, after)
        if not rows:
            return deleted
        after = rows[-1][rule.key]
        doomed = select_expired(rows, rule, cutoff)
        if not doomed:
            continue
        doomed_set = set(doomed)
        files = [r["file_path"] for r in rows if rule.table == "screenshots" and r[rule.key] in doomed_set]
        marks = ",".join("?" * len(doomed))
        with write_transaction(conn):
            conn.execute(f'DELETE FROM "{rule.table}" WHERE {rule.key} IN ({marks})', doomed)
        deleted += len(doomed)
        if files and data_dir is not None:  # after the commit: at worst an orphan file, never a lost row
            _delete_files(data_dir, files)


def run_cleanup(conn: sqlite3.Connection, settings: Settings, data_dir: Path,
                now: datetime | None = None) -> dict[str, int]:
    """Apply every active rule; record the run in the ``settings`` table; return deletions per table."""
    now = now or datetime.now(UTC)
    counts: dict[str, int] = {}
    for rule, cutoff in rules_from_settings(settings, now):
        counts[rule.table] = apply_rule(conn, rule, cutoff, data_dir)
    kv.put(conn, {LAST_RUN_KEY: now.astimezone(UTC).isoformat(timespec="seconds")})
    if any(counts.values()):
        log.info("retention cleanup: %s", counts)
    return counts


def last_run(conn: sqlite3.Connection) -> datetime | None:
    value = kv.get(conn, LAST_RUN_KEY)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
