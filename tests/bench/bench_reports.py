"""Fleet benchmark of the team view (issue 17). Run: ``python tests/bench/bench_reports.py [--employees N]
[--days D]`` (default 1,000 x 30, about 20 M heartbeats).

Loads realistic workdays (one heartbeat a minute, ~11 h a day, lunch locked, idle spells) with COPY
into a throwaway database, builds the rollups with the migration's own backfill SQL, adds daily
aggregates and screenshot metadata, then times in-process requests (the app's full stack: session,
authorization, SQL, rendering; no network) for the team overview of 50, one employee's day page and
a 30-day range report, and compares ingest with and without rollup maintenance in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import ingestion.ingest as ingest_module  # noqa: E402
from ingestion.accounts import users  # noqa: E402
from ingestion.api import create_app  # noqa: E402
from ingestion.config import Settings  # noqa: E402
from ingestion.migrate import MIGRATIONS_DIR  # noqa: E402
from tests.support.pg import connect, throwaway_database  # noqa: E402
from tests.support.server import create_key  # noqa: E402

APPS = [("Code", "main.py - project - Visual Studio Code", None), ("firefox", "GitHub", "github.com"),
        ("firefox", "Docs", "docs.python.org"), ("Slack", "#general | Slack", None),
        ("firefox", "Jira board", "jira.example.com"), ("gnome-terminal", "bash", None),
        ("firefox", "YouTube", "www.youtube.com"), ("thunderbird", "Inbox", None),
        ("firefox", "Stack Overflow", "stackoverflow.com"), ("Zoom", "Meeting", None)]
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
SAMPLES = 60


def pg_version(url: str) -> str:
    with connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def load(url: str, employees: int, days: int, end: date) -> int:
    """COPY heartbeats for every employee and day; one device per employee. Returns the row count."""
    rng = random.Random(5)
    rows = 0
    with connect(url) as conn:
        with conn.cursor().copy("COPY employees (emp_id, display_name) FROM STDIN") as copy:
            for emp in range(1, employees + 1):
                copy.write_row((emp, f"Employee {emp}"))
        with conn.cursor().copy("COPY devices (emp_id, name) FROM STDIN") as copy:
            for emp in range(1, employees + 1):
                copy.write_row((emp, f"PC-{emp}"))
        columns = ("device_id, client_id, emp_id, started_at, ended_at, tz, status, cpu_percent, memory_percent,"
                   " process_name, window_title, domain, url")
        with conn.cursor().copy(f"COPY heartbeats ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "uuid", "int4", "timestamptz", "timestamptz", "text", "text", "float4",
                            "float4", "text", "text", "text", "text"])
            minute = timedelta(minutes=1)
            for emp in range(1, employees + 1):
                tz_offset = timedelta(hours=(0, -5, 5.5, 0)[emp % 4])
                for d in range(days):
                    day = end - timedelta(days=days - 1 - d)
                    moment = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) - tz_offset
                    for i in range(11 * 60):
                        status = "locked" if 270 <= i < 315 else ("idle" if rng.random() < 0.08 else "active")
                        process, title, domain = APPS[(i // 7 + emp) % len(APPS)]
                        copy.write_row((emp, uuid.UUID(int=(emp << 80) | (d << 32) | i), emp, moment, moment + minute,
                                        ZONES[emp % 4], status, 10.0, 40.0, process, title, domain,
                                        f"https://{domain}/" if domain else None))
                        moment += minute
                        rows += 1
        backfill = (MIGRATIONS_DIR / "0004_rollups.sql").read_text().split("-- Rollups of heartbeats stored", 1)[1]
        conn.execute(backfill.split("\n", 1)[1].encode())
        conn.execute("INSERT INTO productivity (device_id, date, client_id, emp_id, productive_seconds,"
                     " unproductive_seconds, neutral_seconds, idle_seconds, score, updated_at)"
                     " SELECT e, d::date, gen_random_uuid(), e, 20000, 4000, 6000, 3000, 66.6, now()"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d",
                     (employees, end, days, end))
        conn.execute("INSERT INTO wellness (device_id, date, client_id, emp_id, active_seconds, break_count,"
                     " longest_streak_seconds, overtime_seconds, updated_at)"
                     " SELECT e, d::date, gen_random_uuid(), e, 33000, 6, 5400, 0, now()"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d",
                     (employees, end, days, end))
        conn.execute("INSERT INTO screenshots (device_id, client_id, emp_id, captured_at, sha256, width, height,"
                     " format, blurred, size_bytes, storage_path)"
                     " SELECT e, gen_random_uuid(), e, d + make_interval(hours => 9 + k * 3), sha256(k::text::bytea),"
                     " 1920, 1080, 'png', true, 200000, 'aa/bb/x.png'"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d,"
                     " generate_series(0, 2) k", (employees, end, days, end))
        conn.execute("VACUUM ANALYZE")
    return rows


def raw_scan(url: str, emps: list[int], first: date, last: date) -> list[float]:
    """The same per-day status totals computed from raw heartbeats (what the rollups avoid)."""
    out = []
    with connect(url) as conn:
        for emp in emps:
            started = time.perf_counter()
            conn.execute(
                "SELECT (started_at AT TIME ZONE tz)::date, status, sum(extract(epoch FROM ended_at - started_at))"
                " FROM heartbeats WHERE device_id = %s AND started_at >= %s AND started_at < %s + 1 GROUP BY 1, 2",
                (emp, first, last)).fetchall()
            out.append((time.perf_counter() - started) * 1000)
    return out


def timed(client: TestClient, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return out


async def ingest_ab(url: str, batches: int) -> tuple[float, float]:
    """Median ms per 200-heartbeat batch through store_batch, with and without the rollup call, interleaved."""
    import psycopg

    from ingestion.ingest import LogEntry, store_batch
    from ingestion.validation import STREAMS, Clock, validate_batch

    stream = STREAMS["heartbeats"]
    clock = Clock.at()
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("SET search_path TO employee_monitor")
    device = (await (await conn.execute("SELECT device_id, emp_id FROM devices ORDER BY device_id LIMIT 1")).fetchone())
    assert device is not None
    entry = LogEntry(1, "heartbeats", 200, 200, 0, 40_000, 1, "bench", "bench")
    real = ingest_module.add_heartbeats

    async def nothing(*args: Any) -> None:
        return None

    times: dict[bool, list[float]] = {True: [], False: []}
    base = datetime.now(UTC) - timedelta(hours=23)  # 200 batches x 200 s stay in the past
    for n in range(batches * 2):
        with_rollups = n % 2 == 0
        records = [{"client_id": str(uuid.uuid4()), "started_at": (base + timedelta(seconds=n * 200 + i)).isoformat(),
                    "ended_at": (base + timedelta(seconds=n * 200 + i + 1)).isoformat(), "tz": "UTC",
                    "status": "active", "cpu_percent": 1.0, "memory_percent": 2.0, "process_name": "Code",
                    "window_title": "x", "domain": "github.com", "url": "https://github.com/"} for i in range(200)]
        checked = validate_batch(stream, records, clock)
        assert len(checked.rows) == 200, checked.rejected[:2]
        ingest_module.add_heartbeats = real if with_rollups else nothing  # type: ignore[assignment]
        started = time.perf_counter()
        await store_batch(conn, stream, device[0], device[1], checked.rows, 200, entry)
        times[with_rollups].append((time.perf_counter() - started) * 1000)
    ingest_module.add_heartbeats = real
    await conn.close()
    return statistics.median(times[True]), statistics.median(times[False])


def ingest_http_ab(client: TestClient, key: str, batches: int) -> tuple[float, float]:
    """Median ms per 200-heartbeat POST through the whole app (JSON, validation, auth, SQL), A/B interleaved."""
    real = ingest_module.add_heartbeats

    async def nothing(*args: Any) -> None:
        return None

    times: dict[bool, list[float]] = {True: [], False: []}
    base = datetime.now(UTC) - timedelta(hours=23)
    for n in range(batches * 2):
        with_rollups = n % 2 == 0
        stamp = [(base + timedelta(seconds=n * 200 + i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(201)]
        records = [{"client_id": str(uuid.uuid4()), "started_at": stamp[i], "ended_at": stamp[i + 1],
            "tz": "UTC", "status": "active", "cpu_percent": 1.0, "memory_percent": 2.0, "process_name": "Code",
            "window_title": "x", "domain": "github.com", "url": "https://github.com/"} for i in range(200)]
        ingest_module.add_heartbeats = real if with_rollups else nothing  # type: ignore[assignment]
        started = time.perf_counter()
        response = client.post("/api/v1/ingest/heartbeats", json={"records": records}, headers={"X-Api-Key": key})
        times[with_rollups].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.json()["accepted"] == 200, response.text[:200]
    ingest_module.add_heartbeats = real
    return statistics.median(times[True]), statistics.median(times[False])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    end = datetime.now(UTC).date() - timedelta(days=1)
    with throwaway_database("wfh_bench_reports") as url:
        started = time.perf_counter()
        rows = load(url, args.employees, args.days, end)
        load_s = time.perf_counter() - started
        team_size = min(50, args.employees)
        with connect(url) as conn:
            team_id = users.ensure_team(conn, "Fleet")
            conn.execute("UPDATE employees SET team_id = %s WHERE emp_id <= %s", (team_id, team_size))
            manager = users.create_user(conn, "m@example.com", "manager", None, "Fleet")
            users.set_password(conn, manager.user_id, "bench password 1")
            quarters = conn.execute("SELECT count(*) FROM status_quarters").fetchone()
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
        print(f"loaded {rows:,} heartbeats ({args.employees} employees x {args.days} days) in {load_s:.0f} s incl."
              f" rollups; {quarters[0] if quarters else 0:,} status rollup rows; database {size[0] if size else '?'}")
        app = create_app(Settings(database_url=url, screenshot_dir="/tmp/none", rate_per_minute=1e6,
                                  rate_burst=100_000, log_level="warning"))
        with TestClient(app) as client:
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"email": "m@example.com", "password": "bench password 1", "csrf_token": token})
            first, last = end - timedelta(days=29), end
            rng = random.Random(3)
            emps = [rng.randrange(1, team_size + 1) for _ in range(SAMPLES)]
            timed(client, [f"/teams/{team_id}"] * 3)  # warm-up
            team = timed(client, [f"/teams/{team_id}"] * SAMPLES)
            day = timed(client, [f"/employees/{e}?date={end}" for e in emps])
            days30 = timed(client, [f"/api/v1/reports/employees/{e}/days?from={first}&to={last}" for e in emps])
            apps30 = timed(client, [f"/api/v1/reports/employees/{e}/apps?from={first}&to={last}" for e in emps])
            week = timed(client, [f"/employees/{e}/week?date={end}" for e in emps])
            team30 = timed(client, [f"/api/v1/reports/teams/{team_id}/employees?from={first}&to={last}"] * SAMPLES)
            for name, values in [(f"team overview page ({team_size} employees)", team), ("employee day page", day),
                                 ("30-day days report (JSON)", days30), ("30-day top apps (JSON)", apps30),
                                 ("week page", week), (f"team 30-day totals ({team_size}, JSON)", team30)]:
                print(f"{name:<36} p50 {statistics.median(values):6.1f} ms   p95 {p95(values):6.1f} ms"
                      f"   (n={len(values)})", flush=True)
            raw = raw_scan(url, emps[:20], first, last)
            print(f"{'baseline: 30-day days from raw rows':<36} p50 {statistics.median(raw):6.1f} ms   p95"
                  f" {p95(raw):6.1f} ms   (n={len(raw)}, SQL only, no HTTP)", flush=True)
            http_with, http_without = ingest_http_ab(client, create_key(url, 1, "BENCH-HTTP"), 100)
        with_rollups, without = asyncio.run(ingest_ab(url, 100))
        print(f"ingest 200-heartbeat batch (store_batch, median of 100 each, interleaved): with rollups"
              f" {with_rollups:.2f} ms, without {without:.2f} ms, ratio {with_rollups / without:.2f}"
              f" -> {200 / with_rollups * 1000:,.0f} vs {200 / without * 1000:,.0f} records/s")
        print(f"ingest 200-heartbeat POST (whole app in-process, median of 100 each, interleaved): with rollups"
              f" {http_with:.2f} ms, without {http_without:.2f} ms, ratio {http_with / http_without:.2f}")
        print(f"conditions: {os.cpu_count()} cores shared with other work, load average"
              f" {' '.join(f'{x:.1f}' for x in os.getloadavg())}, PostgreSQL {pg_version(url)} default settings")


if __name__ == "__main__":
    main()
