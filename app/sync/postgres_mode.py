"""Legacy direct-PostgreSQL mode (INGESTION_API.md §13), kept only for rollback; off by default.

Writes the rows the server would write (same tables, same conflict rules of §7.2) straight into
``db.schema`` with psycopg, then answers the engine like a 200 ingest response so the outbox,
quarantine and retry logic stay the same. It bypasses per-device keys, hence the warning at start.
Screenshots are not uploaded in this mode; they stay queued. Heartbeats are rolled up for the
team's reports in the same transaction by the schema's ``roll_up_heartbeats`` (server migration
0010), as the server rolls up its own; a schema without it gets a warning at start.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from typing import Any

from app.config import Settings
from app.errors import ConfigError
from app.sync.client import Outcome

log = logging.getLogger(__name__)

WARNING = "ingestion.mode=postgres bypasses per-device authentication; use only for rollback"
JSON_HEADERS = {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}

_COLUMNS: dict[str, tuple[str, ...]] = {
    "heartbeats": ("client_id", "started_at", "ended_at", "tz", "status", "cpu_percent", "memory_percent",
                   "process_name", "window_title", "domain", "url", "battery_level", "battery_plugged",
                   "geo_lat", "geo_lon"),
    "timeline": ("client_id", "started_at", "ended_at", "tz", "kind", "label", "task_id"),
    "website_usage": ("client_id", "date", "domain", "duration_seconds", "tag", "updated_at"),
    "productivity": ("client_id", "date", "productive_seconds", "unproductive_seconds", "neutral_seconds",
                     "idle_seconds", "score", "updated_at"),
    "wellness": ("client_id", "date", "active_seconds", "break_count", "longest_streak_seconds",
                 "overtime_seconds", "updated_at"),
}
# The server's rollup of stored heartbeats (migration 0010), one array per column.
_ROLL_UP = ("SELECT roll_up_heartbeats(%s::bigint, %s::integer, %s::timestamptz[], %s::timestamptz[],"
            " %s::text[], %s::text[], %s::text[], %s::text[])")
_ROLL_UP_SIGNATURE = "roll_up_heartbeats(bigint,integer,timestamptz[],timestamptz[],text[],text[],text[],text[])"
NO_ROLLUP = ("the server's schema has no roll_up_heartbeats (server migration 0010): heartbeats written in "
             "this mode will not show in the team's reports; run wfh-ingest migrate on the server")
_KEYS = {"website_usage": ("date", "domain"), "productivity": ("date",), "wellness": ("date",)}


def _sql(stream: str) -> str:
    cols = _COLUMNS[stream]
    names = ", ".join(("device_id", "emp_id", *cols))
    marks = ", ".join(["%s"] * (len(cols) + 2))
    sql = f"INSERT INTO {stream} ({names}) VALUES ({marks})"
    if stream in _KEYS:
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ("emp_id", *cols) if c not in _KEYS[stream])
        keys = ", ".join(("device_id", *_KEYS[stream]))
        return (f"{sql} ON CONFLICT ({keys}) DO UPDATE SET {updates}, received_at = now() "
                f"WHERE {stream}.updated_at < EXCLUDED.updated_at RETURNING 1")
    # No conflict target: the key is (device_id, client_id) before the server's partition migration and
    # (device_id, started_at, client_id) after it; a record never changes, so either key decides alike.
    return f"{sql} ON CONFLICT DO NOTHING RETURNING 1"


def _row(stream: str, record: dict[str, Any]) -> list[Any]:
    rec = dict(record)
    if stream == "heartbeats":
        geo = rec.pop("geo", None) or {}
        rec["geo_lat"], rec["geo_lon"] = geo.get("lat"), geo.get("lon")
    if stream == "website_usage":
        rec["domain"] = str(rec["domain"]).lower()
    return [rec.get(c) for c in _COLUMNS[stream]]


def _reduce(stream: str, records: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """§7.2 in-batch rules: first occurrence of a client_id wins; aggregates keep the latest version."""
    chosen: dict[Any, tuple[int, dict[str, Any]]] = {}
    for index, record in enumerate(records):
        if stream in _KEYS:
            key: Any = tuple(str(record[k]).lower() for k in _KEYS[stream])
            if key not in chosen or record["updated_at"] >= chosen[key][1]["updated_at"]:
                chosen[key] = (index, record)
        elif record["client_id"] not in chosen:
            chosen[record["client_id"]] = (index, record)
    return sorted(chosen.values(), key=lambda item: item[0])


class PostgresSink:
    """The transport of ``ingestion.mode=postgres``: writes batches straight into the legacy database."""

    supports_screenshots = False
    supports_worklog = False  # weeks and tasks need the API's merge rules (contract v1.2)

    def __init__(self, url: str, schema: str, emp_id: int, device: str) -> None:
        import psycopg
        from psycopg import sql

        log.warning(WARNING)
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, connect_timeout=5)
            self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            row = self.conn.execute("SELECT device_id FROM devices WHERE emp_id = %s AND name = %s",
                                    (emp_id, device)).fetchone()
            rollup = self.conn.execute("SELECT to_regprocedure(%s)", (_ROLL_UP_SIGNATURE,)).fetchone()
            self.conn.commit()
        except psycopg.OperationalError as exc:
            raise ConfigError(f"legacy database unreachable ({type(exc).__name__})") from exc
        if row is None:
            self.conn.close()
            raise ConfigError(f"device {device!r} of employee {emp_id} does not exist on the server "
                              "(devices are created only by wfh-ingest create-key)")
        self.device_id, self.emp_id = int(row[0]), emp_id
        self.rolls_up = bool(rollup and rollup[0])
        if not self.rolls_up:
            log.warning(NO_ROLLUP)

    @classmethod
    def from_settings(cls, settings: Settings, device: str | None = None) -> PostgresSink:
        db = settings.get("ingestion.db") or {}
        url = db.get("url") or (os.environ.get(db["url_env"], "") if db.get("url_env") else "")
        if not url:
            raise ConfigError("ingestion.mode=postgres but neither db.url nor db.url_env gives a database URL")
        return cls(url, db.get("schema") or "employee_monitor", int(settings.get("emp_id", 0) or 0),
                   device or platform.node())

    def close(self) -> None:
        self.conn.close()

    def post_records(self, stream: str, body: bytes, count: int) -> Outcome:
        started = time.monotonic()
        records = json.loads(body)["records"]
        chosen = _reduce(stream, records)
        sql = _sql(stream)
        rejected: list[dict[str, Any]] = []
        accepted = 0
        try:
            with self.conn.transaction():
                stored = []
                for _, record in chosen:
                    cur = self.conn.execute(sql, [self.device_id, self.emp_id, *_row(stream, record)])
                    if cur.fetchall():
                        stored.append(record)
                self._roll_up(stream, stored)
                accepted = len(stored)
        except (self._psycopg.errors.DataError, self._psycopg.errors.IntegrityError):
            accepted, rejected = self._one_by_one(stream, sql, chosen)
        except self._psycopg.OperationalError as exc:
            return Outcome(None, problem="network", message=type(exc).__name__,
                           duration_ms=int((time.monotonic() - started) * 1000))
        except self._psycopg.errors.InsufficientPrivilege as exc:
            # A role without the rights of docs/DEPLOY.md: nothing of the batch is kept, the records stay
            # queued and are retried with backoff, and the reason shows where sync errors show.
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return Outcome(None, problem="database", message=f"{first} (the legacy role's rights: docs/DEPLOY.md)",
                           duration_ms=int((time.monotonic() - started) * 1000))
        result = {"accepted": accepted, "duplicates": count - accepted - len(rejected), "rejected": rejected}
        return Outcome(200, dict(JSON_HEADERS), result, duration_ms=int((time.monotonic() - started) * 1000),
                       request_records=count)

    def _one_by_one(self, stream: str, sql: str, chosen: list[tuple[int, dict[str, Any]]]) -> tuple[int, list[Any]]:
        """A value the database refuses: find it, reject that record only, store the rest (one transaction)."""
        stored, rejected = [], []
        with self.conn.transaction():
            for index, record in chosen:
                try:
                    with self.conn.transaction():
                        cur = self.conn.execute(sql, [self.device_id, self.emp_id, *_row(stream, record)])
                        if cur.fetchall():
                            stored.append(record)
                except (self._psycopg.errors.DataError, self._psycopg.errors.IntegrityError) as exc:
                    column = getattr(exc.diag, "column_name", None) or "record"
                    rejected.append({"index": index, "client_id": record.get("client_id"),
                                     "error": f"{column}: {type(exc).__name__}"})
            self._roll_up(stream, stored)
        return len(stored), rejected

    def _roll_up(self, stream: str, stored: list[dict[str, Any]]) -> None:
        """The team reports' rollup of the heartbeats this transaction stored (none of a resent one)."""
        if stream != "heartbeats" or not stored or not self.rolls_up:
            return
        self.conn.execute(_ROLL_UP, [self.device_id, self.emp_id, *(
            [record.get(column) for record in stored]
            for column in ("started_at", "ended_at", "status", "process_name", "domain", "tz"))])
