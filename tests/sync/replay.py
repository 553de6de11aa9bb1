"""Contract vectors for the client tests: loading with placeholder substitution, seeding local rows
from a vector's records, and a replay HTTP server on 127.0.0.1 that answers with scripted responses."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CONTRACT_DIR = Path(__file__).resolve().parents[1] / "contract"
VALID_KEY = "wfh_TESTPREF_placeholder-valid-key-000000000000000000"
STREAM_PATH = re.compile(r"^/api/v1/ingest/(\w+)$")
TIME_FORM = re.compile(r"^\{\{(now|today)(?:([+-])(\d+)([smhd]))?\}\}$")


def vector_files() -> list[Path]:
    return sorted(CONTRACT_DIR.glob("*.json"))


def substitute(value: Any, base: datetime) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, base) for v in value]
    if isinstance(value, str):
        match = TIME_FORM.match(value)
        if match:
            what, sign, num, unit = match.groups()
            delta = timedelta(0)
            if num:
                delta = timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: int(num)})
                delta = delta if sign == "+" else -delta
            moment = base + delta
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if what == "now" else moment.date().isoformat()
    return value


def load(path: Path) -> dict[str, Any]:
    base = datetime.now(UTC).replace(microsecond=0)
    return substitute(json.loads(path.read_text(encoding="utf-8")), base)  # type: ignore[no-any-return]


def example(value: Any) -> Any:
    """Replace matchers by their ``example``."""
    if isinstance(value, dict):
        if len(value) == 2 and "example" in value and any(k.startswith("$") for k in value):
            return value["example"]
        return {k: example(v) for k, v in value.items()}
    if isinstance(value, list):
        return [example(v) for v in value]
    return value


def vector_response(vector: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    resp = vector["response"]
    headers = {k: str(example(v)) for k, v in resp.get("headers_contains", {}).items()}
    if "body_raw" in resp:
        return resp["status"], headers, resp["body_raw"].encode("utf-8")
    body = example(resp.get("body", resp.get("body_contains")))
    lower = {k.lower() for k in headers}
    if "content-type" not in lower:
        headers["Content-Type"] = "application/json"
    if "x-wfh-api-version" not in lower:
        headers["X-Wfh-Api-Version"] = "1"
    return resp["status"], headers, json.dumps(body).encode("utf-8")


# ---- seeding ---------------------------------------------------------------------------------
COLUMNS = {
    "heartbeats": ("client_id", "started_at", "ended_at", "tz", "status", "cpu_percent", "memory_percent",
                   "process_name", "window_title", "domain", "url", "battery_level", "battery_plugged", "geo"),
    "timeline": ("client_id", "started_at", "ended_at", "tz", "kind", "label", "task_id"),
    "website_usage": ("client_id", "date", "domain", "duration_seconds", "tag", "updated_at"),
    "productivity": ("client_id", "date", "productive_seconds", "unproductive_seconds", "neutral_seconds",
                     "idle_seconds", "score", "updated_at"),
    "wellness": ("client_id", "date", "active_seconds", "break_count", "longest_streak_seconds",
                 "overtime_seconds", "updated_at"),
}


def insert_record(conn: sqlite3.Connection, stream: str, record: dict[str, Any]) -> None:
    cols = COLUMNS[stream]
    values = []
    for col in cols:
        value = record.get(col)
        if col == "geo" and value is not None:
            value = json.dumps(value)
        if col == "battery_plugged" and value is not None:
            value = int(value)
        values.append(value)
    conn.execute(f"INSERT INTO {stream} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)


def heartbeat(i: int = 0, *, minutes_ago: int = 60, title: str = "Editor") -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago) + timedelta(seconds=i)
    return {"client_id": str(uuid.uuid4()), "started_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ended_at": (start + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "tz": "UTC",
            "status": "active", "cpu_percent": 5.0, "memory_percent": 40.0, "process_name": "code",
            "window_title": title, "domain": None, "url": None, "battery_level": None, "battery_plugged": None,
            "geo": None}


JSON = {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}  # the headers of a server's JSON answer


def seed_heartbeats(conn: sqlite3.Connection, count: int, **kw: Any) -> list[str]:
    rows = [heartbeat(i, **kw) for i in range(count)]
    conn.execute("BEGIN")
    for row in rows:
        insert_record(conn, "heartbeats", row)
    conn.execute("COMMIT")
    return [r["client_id"] for r in rows]


WORKLOG_COLUMNS = {
    "weeks": ("week_label", "start_date", "week_start_day", "week_start_hour", "week_end_day", "week_end_hour",
              "is_custom_duration", "is_bonus_week", "bonus_rate", "bonus_threshold_seconds", "notes", "created_at"),
    "tasks": ("attempt_id", "duration_seconds", "project_id", "project_name", "operation_id", "time_limit_seconds",
              "date_audited", "score", "feedback", "locale", "bonus_paid", "time_begin", "time_end", "created_at"),
}


def _local_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def seed_worklog_records(conn: sqlite3.Connection, stream: str, records: list[dict[str, Any]]) -> list[str]:
    """Local weeks or tasks equal to the vector's records, each queued once in its outbox with the vector's
    ``updated_at`` (written as received versions are, so the triggers do not stamp them with the local clock).
    A task's week is created if missing (not queued); a repeated client_id or label gets a fresh one."""
    ids: list[str] = []
    conn.execute("BEGIN")
    conn.execute("INSERT OR IGNORE INTO sync_applying (id) VALUES (1)")
    for record in records:
        client_id = record["client_id"]
        if client_id in ids:
            client_id = str(uuid.uuid4())
        values = {c: _local_value(record.get(c)) for c in WORKLOG_COLUMNS[stream]}
        extra: dict[str, Any] = {"uuid": client_id, "sync_updated_at": record["updated_at"]}
        if stream == "weeks":
            while conn.execute("SELECT 1 FROM weeks WHERE week_label = ?", (values["week_label"],)).fetchone():
                values["week_label"] = f"{values['week_label']} ({uuid.uuid4().hex[:4]})"
            table = "weeks"
        else:
            week = str(record["week_client_id"])
            row = conn.execute("SELECT id FROM weeks WHERE uuid = ?", (week,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO weeks (week_label, uuid, sync_updated_at) VALUES (?, ?, ?)",
                             (f"vector week {week}", week, record["updated_at"]))
                row = conn.execute("SELECT id FROM weeks WHERE uuid = ?", (week,)).fetchone()
            extra["week_id"] = row[0]
            if record.get("deleted_at"):
                extra["deleted_at"] = record["deleted_at"]
            table = "tasks_optimized"
        columns = {**values, **extra}
        conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                     list(columns.values()))
        row_id = conn.execute(f"SELECT id FROM {table} WHERE uuid = ?", (client_id,)).fetchone()[0]
        conn.execute(f"INSERT INTO {stream}_outbox (client_id, row_id, updated_at) VALUES (?, ?, ?)",
                     (client_id, row_id, record["updated_at"]))
        ids.append(client_id)
    conn.execute("DELETE FROM sync_applying")
    conn.execute("COMMIT")
    return ids


def seed_vector_records(conn: sqlite3.Connection, stream: str, records: list[dict[str, Any]]) -> list[str]:
    """Local rows equal to the vector's records (emp_id and unknown fields dropped; a clash with a local
    unique key gets a fresh client_id or domain so the row count still matches the vector's)."""
    if stream in WORKLOG_COLUMNS:
        return seed_worklog_records(conn, stream, records)
    ids, keys = [], set()
    conn.execute("BEGIN")
    for record in records:
        rec = {k: v for k, v in record.items() if k in COLUMNS[stream]}
        if rec["client_id"] in ids:
            rec["client_id"] = str(uuid.uuid4())
        if stream == "website_usage":
            key = (rec["date"], rec["domain"])
            if key in keys:
                rec["domain"] = rec["domain"] + ".second"
            keys.add((rec["date"], rec["domain"]))
        insert_record(conn, stream, rec)
        ids.append(rec["client_id"])
    conn.execute("COMMIT")
    return ids


def seed_screenshot(conn: sqlite3.Connection, data_dir: Path, meta: dict[str, Any], content: bytes) -> None:
    rel = f"screenshots/{meta['client_id']}.{meta['format'].replace('jpeg', 'jpg')}"
    (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / rel).write_bytes(content)
    conn.execute(
        "INSERT INTO screenshots (client_id, captured_at, file_path, sha256, size_bytes, width, height, format, "
        "blurred) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (meta["client_id"], meta["captured_at"], rel, meta["sha256"], len(content), meta["width"],
         meta["height"], meta["format"], int(meta["blurred"])))


def vector_screenshot(vector: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    multipart = vector["request"].get("multipart")
    if multipart and multipart.get("file"):
        content = base64.b64decode(multipart["file"]["base64"])
        return {k: v for k, v in multipart["meta"].items() if k != "emp_id"}, content
    content = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    return {"client_id": str(uuid.uuid4()), "captured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sha256": hashlib.sha256(content).hexdigest(), "width": 1, "height": 1, "format": "png",
            "blurred": False}, content


# ---- replay server ---------------------------------------------------------------------------
@dataclass
class Seen:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any = None

    @property
    def records(self) -> list[Any]:
        return self.body["records"] if isinstance(self.body, dict) and "records" in self.body else []


Responder = Callable[[Seen], tuple[int, dict[str, str], bytes]]


def ok_responder(seen: Seen) -> tuple[int, dict[str, str], bytes]:
    """What a healthy server answers: everything accepted."""
    headers = {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}
    if seen.path == "/api/v1/screenshots":
        match = re.search(rb'"client_id":"([0-9a-f-]+)"', seen.raw)
        client_id = match.group(1).decode() if match else ""
        return 201, headers, json.dumps({"result": "created", "client_id": client_id, "sha256": "0" * 64}).encode()
    if seen.path == "/health":
        return 200, headers, b'{"status":"healthy","service":"wfh-agent-ingestion","database":"connected"}'
    if seen.method == "GET" and seen.path.startswith("/api/v1/me/"):  # v1.2 downloads: nothing new
        since = parse_qs(urlsplit(seen.path).query).get("since", [None])[0]
        return 200, headers, json.dumps({"records": [], "next_since": since}).encode()
    return 200, headers, json.dumps({"accepted": len(seen.records), "duplicates": 0, "rejected": []}).encode()


@dataclass
class ReplayServer:
    script: list[Responder] = field(default_factory=list)
    fallback: Responder = ok_responder
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                data = gzip.decompress(raw) if headers.get("Content-Encoding") == "gzip" else raw
                seen = Seen(time.monotonic(), self.command, self.path, headers, data)
                if headers.get("Content-Type", "").startswith("application/json"):
                    try:
                        seen.body = json.loads(data)
                    except ValueError:
                        seen.body = None
                owner.seen.append(seen)
                responder = owner.script.pop(0) if owner.script else owner.fallback
                status, out_headers, body = responder(seen)
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _handle
            do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients that gave up
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
