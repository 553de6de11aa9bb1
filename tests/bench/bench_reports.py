"""Fleet benchmark of the team view (issue 17). Run: ``python tests/bench/bench_reports.py [--employees N]
[--days D] [--shared]`` (default 1,000 x 30, about 20 M heartbeats, in a throwaway tuned cluster).

Starts its own PostgreSQL cluster (initdb/pg_ctl, settings in ``TUNED``; ``--shared`` uses the local
server instead), migrates it up to the rollup migrations, COPYs realistic workdays (one heartbeat a
minute, ~11 h a day, lunch locked, idle spells) with the heartbeat indexes dropped and rebuilt after,
adds daily aggregates, screenshot metadata and an ingest log, then runs the remaining migrations so
their own backfills build the rollups. It prints EXPLAIN ANALYZE of each page's queries, times
in-process requests (the app's full stack: session, authorization, SQL, rendering; no network) for
the team overview of 50, one employee's day page and a 30-day range report, and compares ingest
without the rollup ("none") and with it ("rollup", the server: appended by the ingest statement),
interleaved in the same run: per batch (what a device waits for) and per block of batches including
the compaction of everything the block noted (the whole cost). The cluster is removed at the end.
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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import ingestion.ingest as ingest_module  # noqa: E402
import ingestion.migrate as migrate_module  # noqa: E402
from ingestion.accounts import users  # noqa: E402
from ingestion.api import create_app  # noqa: E402
from ingestion.config import Settings  # noqa: E402
from ingestion.reports import categories, daily, queries, rollups  # noqa: E402
from ingestion.reports.ranges import DayRange, zone  # noqa: E402
from tests.support.pg import (  # noqa: E402
    LOCAL_ADMIN_URL,
    SCHEMA,
    TempCluster,
    connect,
    create_database,
    drop_database,
    find_pg_bin,
)
from tests.support.server import create_key  # noqa: E402

APPS = [("Code", "main.py - project - Visual Studio Code", None), ("firefox", "GitHub", "github.com"),
        ("firefox", "Docs", "docs.python.org"), ("Slack", "#general | Slack", None),
        ("firefox", "Jira board", "jira.example.com"), ("gnome-terminal", "bash", None),
        ("firefox", "YouTube", "www.youtube.com"), ("thunderbird", "Inbox", None),
        ("firefox", "Stack Overflow", "stackoverflow.com"), ("Zoom", "Meeting", None)]
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
SAMPLES = 60
# The throwaway cluster's settings (the box: 2 shared cores, 23 GB RAM shared with other work).
TUNED = {"shared_buffers": "3GB", "work_mem": "64MB", "maintenance_work_mem": "1GB", "effective_cache_size": "8GB",
         "max_wal_size": "16GB", "checkpoint_timeout": "30min", "wal_level": "minimal", "max_wal_senders": "0",
         "random_page_cost": "1.1", "jit": "off", "max_connections": "60"}


class TunedCluster(TempCluster):
    """A TempCluster started with ``TUNED`` (and fsync only when asked: off while loading)."""

    fsync = False

    def start(self) -> None:
        options = " ".join(f"-c {k}={v}" for k, v in {**TUNED, "fsync": "on" if self.fsync else "off"}.items())
        self._run(find_pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} {options}",
                  "-l", str(self.directory / "server.log"), "-w", "-t", "300", "start")


@contextmanager
def bench_database(shared: bool) -> Iterator[tuple[str, TunedCluster | None]]:
    cluster = None if shared else cast(TunedCluster, TunedCluster.create())
    admin = LOCAL_ADMIN_URL if cluster is None else cluster.admin_url
    url = create_database(admin, "wfh_bench_reports")
    try:
        yield url, cluster
    finally:
        try:
            if cluster is None:
                drop_database(admin, url)
        finally:
            if cluster is not None:
                cluster.destroy()


def pg_version(url: str) -> str:
    with connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def migrate_before_rollups(url: str) -> None:
    """Every migration before the first rollup one (found by name), so later backfills see the load."""
    every = migrate_module.available()
    first = next(i for i, m in enumerate(every) if m.name == "rollups")
    real = migrate_module.available
    migrate_module.available = lambda directory=migrate_module.MIGRATIONS_DIR: every[:first]
    try:
        migrate_module.migrate(url, SCHEMA)
    finally:
        migrate_module.available = real


def phase(name: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {name}: {now - started:.0f} s", flush=True)
    return now


def load(url: str, employees: int, days: int, end: date) -> int:
    """COPY heartbeats for every employee and day (one device each), the aggregates, screenshots and an
    ingest log; then the remaining migrations build the rollups. Returns the heartbeat count."""
    rng = random.Random(5)
    rows = 0
    started = time.perf_counter()
    migrate_before_rollups(url)
    with connect(url) as conn:
        with conn.cursor().copy("COPY employees (emp_id, display_name) FROM STDIN") as copy:
            for emp in range(1, employees + 1):
                copy.write_row((emp, f"Employee {emp}"))
        with conn.cursor().copy("COPY devices (emp_id, name) FROM STDIN") as copy:
            for emp in range(1, employees + 1):
                copy.write_row((emp, f"PC-{emp}"))
        # Indexes are rebuilt after the COPY (as for any bulk load); FK triggers off for the COPY only.
        indexes = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'heartbeats'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'heartbeats'::regclass)",
            (SCHEMA,)).fetchall()]
        key = conn.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                           " WHERE conrelid = 'heartbeats'::regclass AND contype = 'p'").fetchone()
        assert key is not None
        conn.execute(f"ALTER TABLE heartbeats DROP CONSTRAINT {key[0]}")
        for definition in indexes:
            conn.execute(f"DROP INDEX {definition.split(' INDEX ', 1)[1].split(' ON ', 1)[0]}")
        conn.execute("SET session_replication_role = replica")
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
        conn.execute("SET session_replication_role = DEFAULT")
        started = phase(f"COPY {rows:,} heartbeats", started)
        conn.execute(f"ALTER TABLE heartbeats ADD CONSTRAINT {key[0]} {key[1]}")
        for definition in indexes:
            conn.execute(definition)
        started = phase("heartbeat indexes rebuilt", started)
        span = (employees, end, days, end)
        conn.execute("INSERT INTO productivity (device_id, date, client_id, emp_id, productive_seconds,"
                     " unproductive_seconds, neutral_seconds, idle_seconds, score, updated_at)"
                     " SELECT e, d::date, gen_random_uuid(), e, 20000, 4000, 6000, 3000, 66.6, now()"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d", span)
        conn.execute("INSERT INTO wellness (device_id, date, client_id, emp_id, active_seconds, break_count,"
                     " longest_streak_seconds, overtime_seconds, updated_at)"
                     " SELECT e, d::date, gen_random_uuid(), e, 33000, 6, 5400, 0, now()"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d", span)
        conn.execute("INSERT INTO website_usage (device_id, date, domain, client_id, emp_id, duration_seconds, tag,"
                     " updated_at) SELECT e, d::date, w.domain, gen_random_uuid(), e, 3000, w.tag, now()"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d,"
                     " (VALUES ('github.com', 'productive'), ('docs.python.org', 'productive'),"
                     " ('jira.example.com', 'neutral'), ('www.youtube.com', 'unproductive'),"
                     " ('stackoverflow.com', 'productive')) w(domain, tag)", span)
        conn.execute("INSERT INTO screenshots (device_id, client_id, emp_id, captured_at, sha256, width, height,"
                     " format, blurred, size_bytes, storage_path)"
                     " SELECT e, gen_random_uuid(), e, d + make_interval(hours => 9 + k * 3), sha256(k::text::bytea),"
                     " 1920, 1080, 'png', true, 200000, 'aa/bb/x.png'"
                     " FROM generate_series(1, %s) e, generate_series(%s::date - %s + 1, %s::date, '1 day') d,"
                     " generate_series(0, 2) k", span)
        # One ingest batch per device every 15 minutes of the workday (the sync-health report reads it).
        conn.execute("INSERT INTO ingest_log (device_id, received_at, key_id, endpoint, http_status, record_count,"
                     " accepted, duplicates, rejected, body_bytes, duration_ms, request_id, user_agent)"
                     " SELECT e, d + interval '7 hours' + k * interval '15 minutes', 1, 'heartbeats', 200, 15, 15, 0,"
                     " 0, 6000, 12, 'bench', 'wfh-agent/0.2.0' FROM generate_series(1, %s) e,"
                     " generate_series(%s::date - %s + 1, %s::date, '1 day') d, generate_series(0, 43) k", span)
        started = phase("aggregates, screenshots, ingest log", started)
    migrate_module.migrate(url, SCHEMA)
    started = phase("remaining migrations (their backfills build the rollups)", started)
    with connect(url) as conn:
        conn.execute("VACUUM ANALYZE")
    phase("VACUUM ANALYZE", started)
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


def explain(url: str, team_id: int, emp: int, day: date, first: date, last: date, path: Path) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every query the three pages run; plans to ``path``, times printed."""
    import psycopg

    with connect(url) as conn:
        tz = zone(conn.execute("SELECT tz FROM device_state WHERE emp_id = %s", (emp,)).fetchone()[0])  # type: ignore
        one, month = DayRange(day, day, tz), DayRange(first, last, tz)
        members = conn.execute("SELECT e.emp_id, s.tz FROM employees e JOIN device_state s USING (emp_id)"
                               " WHERE e.team_id = %s", (team_id,)).fetchall()
        spans = [daily.Span(e, zone(z), first, last) for e, z in members]
        plans: list[tuple[str, tuple[str, Any]]] = [
            ("team: members", (queries._TEAM, {"t": team_id, "lo": first, "hi": last})),
            ("team: days of 50 (one zone's members)", daily.by_bucket_query(
                [sp.emp_id for sp in spans if sp.tz == spans[0].tz], DayRange(first, last, spans[0].tz).day_starts())),
            ("team: sync health", queries.sync_query(team_id, datetime.now(UTC))),
            ("day: hours", daily.by_bucket_query([emp], one.hour_starts()[0])),
            ("day: aggregates", queries.aggregates_query(emp, one)),
            ("day: top apps", queries.apps_query(emp, one, 10)),
            ("day: top domains", queries.domains_query(emp, one, 10)),
            ("day: timeline", queries.timeline_query(emp, day, tz, 0, 5000)),
            ("day: screenshots", queries.screenshots_query(emp, one)),
            ("day: category rules", (categories.RULES_SQL, None)),
            ("30 days: days", daily.by_bucket_query([emp], month.day_starts())),
            ("30 days: aggregates", queries.aggregates_query(emp, month)),
        ]
        with path.open("w") as out:
            for name, (sql, params) in plans:
                cur = conn.cursor()
                cur.execute(psycopg.sql.SQL("EXPLAIN (ANALYZE, BUFFERS) ") + psycopg.sql.SQL(sql), params)
                lines = [r[0] for r in cur.fetchall()]
                out.write(f"== {name}\n" + "\n".join(lines) + "\n\n")
                total = next((ln for ln in lines if ln.startswith("Execution Time")), "?")
                print(f"  EXPLAIN {name:<34} {total}", flush=True)


def timed(client: TestClient, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return out


def _batch(base: datetime, n: int) -> list[dict[str, Any]]:
    """200 one-minute heartbeats (apps, sites, some idle) starting 200 minutes after batch ``n - 1``."""
    out = []
    for i in range(200):
        start = base + timedelta(minutes=n * 200 + i)
        process, title, domain = APPS[(i // 7) % len(APPS)]
        out.append({"client_id": str(uuid.uuid4()), "started_at": start.isoformat(),
                    "ended_at": (start + timedelta(minutes=1)).isoformat(), "tz": "Europe/Berlin",
                    "status": "idle" if i % 13 == 0 else "active", "cpu_percent": 1.0, "memory_percent": 2.0,
                    "process_name": process, "window_title": title, "domain": domain,
                    "url": f"https://{domain}/" if domain else None})
    return out


MODES = ("none", "rollup")
BLOCK = 10  # batches per block: the rollup's block ends with the compaction of what it noted


async def ingest_abc(url: str, rounds: int) -> dict[str, dict[str, list[float]]]:
    """ms per 200-heartbeat batch through store_batch in each rollup mode, interleaved, and ms per
    batch of whole blocks of ``BLOCK`` batches, the rollup's block including its compaction."""
    import psycopg

    from ingestion.ingest import LogEntry, store_batch
    from ingestion.validation import STREAMS, Clock, validate_batch

    stream = STREAMS["heartbeats"]
    clock = Clock.at()
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute("SET search_path TO employee_monitor")
    devices = await (await conn.execute("SELECT device_id, emp_id FROM devices ORDER BY device_id DESC LIMIT 30")
                     ).fetchall()
    entry = LogEntry(1, "heartbeats", 200, 200, 0, 40_000, 1, "bench", "bench")
    served = ingest_module._SQL["heartbeats"]
    sql = {mode: ingest_module.stream_sql(stream, rollups_on=mode == "rollup") for mode in MODES}
    batch: dict[str, list[float]] = {mode: [] for mode in MODES}
    block: dict[str, list[float]] = {mode: [] for mode in MODES}
    base = datetime.now(UTC) - timedelta(minutes=rounds * 200 + 60)
    await rollups.compact(conn)  # nothing left from earlier phases in the first block
    for n in range(0, rounds, BLOCK):
        order = list(MODES)
        random.Random(n).shuffle(order)
        for k, mode in enumerate(order):
            ingest_module._SQL["heartbeats"] = sql[mode]
            work = [validate_batch(stream, _batch(base, n + i), clock).rows for i in range(BLOCK)]
            block_start = time.perf_counter()
            for i, rows in enumerate(work):
                device, emp = devices[((n + i) * 3 + k) % len(devices)]
                started = time.perf_counter()
                await store_batch(conn, stream, device, emp, rows, 200, entry)
                batch[mode].append((time.perf_counter() - started) * 1000)
            await rollups.compact(conn)
            block[mode].append((time.perf_counter() - block_start) * 1000 / BLOCK)
    ingest_module._SQL["heartbeats"] = served
    await conn.close()
    return {"batch": batch, "block": block}


def ingest_http_ab(client: TestClient, url: str, keys: list[str], rounds: int) -> dict[str, dict[str, list[float]]]:
    """ms per 200-heartbeat POST through the whole app (JSON, validation, auth, SQL) in each rollup
    mode, interleaved in blocks of ``BLOCK`` POSTs, and ms per POST of whole blocks, each ending
    with the compaction of whatever the block noted (the app's background compaction runs as in the server)."""
    served = ingest_module._SQL["heartbeats"]
    sql = {mode: ingest_module.stream_sql(ingest_module.STREAMS["heartbeats"], rollups_on=mode == "rollup")
           for mode in MODES}
    post: dict[str, list[float]] = {mode: [] for mode in MODES}
    block: dict[str, list[float]] = {mode: [] for mode in MODES}
    base = datetime.now(UTC) - timedelta(minutes=rounds * 200 + 60)
    with connect(url) as conn:
        for n in range(0, rounds, BLOCK):
            order = list(MODES)
            random.Random(n).shuffle(order)
            for k, mode in enumerate(order):
                ingest_module._SQL["heartbeats"] = sql[mode]
                bodies = [{"records": _batch(base, n + i)} for i in range(BLOCK)]
                block_start = time.perf_counter()
                for body in bodies:
                    started = time.perf_counter()
                    response = client.post("/api/v1/ingest/heartbeats", json=body, headers={"X-Api-Key": keys[k]})
                    post[mode].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200 and response.json()["accepted"] == 200, response.text[:200]
                while conn.execute(rollups.COMPACT, {"limit": rollups.SPANS_PER_COMPACTION}).fetchone()[0] \
                        == rollups.SPANS_PER_COMPACTION:  # type: ignore[index]
                    pass
                block[mode].append((time.perf_counter() - block_start) * 1000 / BLOCK)
    ingest_module._SQL["heartbeats"] = served
    return {"post": post, "block": block}


def ratio_line(label: str, times: dict[str, list[float]], against: str = "none") -> str:
    base = statistics.median(times[against])
    parts = [f"{name} {statistics.median(v):.2f} ms (x{statistics.median(v) / base:.3f})" for name, v in times.items()]
    pairs = {name: statistics.median(a / b for a, b in zip(v, times[against], strict=True))
             for name, v in times.items() if name != against}
    return (f"{label}: medians {', '.join(parts)}; median of paired ratios "
            + ", ".join(f"{n}/{against} {r:.3f}" for n, r in pairs.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=150, help="ingest batches per variant")
    parser.add_argument("--shared", action="store_true", help="use the local server instead of a throwaway cluster")
    parser.add_argument("--explain", default="/tmp/bench_reports_explain.txt")
    args = parser.parse_args()
    end = datetime.now(UTC).date() - timedelta(days=1)
    with bench_database(args.shared) as (url, cluster):
        started = time.perf_counter()
        rows = load(url, args.employees, args.days, end)
        load_s = time.perf_counter() - started
        if cluster is not None:  # measure with fsync on, as in production
            cluster.stop()
            cluster.fsync = True
            cluster.start()
        team_size = min(50, args.employees)
        with connect(url) as conn:
            team_id = users.ensure_team(conn, "Fleet")
            conn.execute("UPDATE employees SET team_id = %s WHERE emp_id <= %s", (team_id, team_size))
            manager = users.create_user(conn, "m@example.com", "manager", None, "Fleet")
            users.set_password(conn, manager.user_id, "bench password 1")
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                      for t in ("activity_quarters", "rollup_spans", "ingest_log")}
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
        print(f"loaded {rows:,} heartbeats ({args.employees} employees x {args.days} days) in {load_s:.0f} s incl."
              f" rollups; rows: {counts}; database {size[0] if size else '?'}", flush=True)
        first, last = end - timedelta(days=29), end
        explain(url, team_id, 7, end, first, last, Path(args.explain))
        app = create_app(Settings(database_url=url, screenshot_dir="/tmp/none", rate_per_minute=1e6,
                                  rate_burst=100_000, log_level="warning"))
        with TestClient(app) as client:
            page = client.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"email": "m@example.com", "password": "bench password 1", "csrf_token": token})
            rng = random.Random(3)
            emps = [rng.randrange(1, team_size + 1) for _ in range(SAMPLES)]
            timed(client, [f"/teams/{team_id}"] * 3 + [f"/employees/{e}?date={end}" for e in emps[:3]])  # warm-up
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
            keys = [create_key(url, args.employees - k, f"BENCH-HTTP-{k}") for k in range(len(MODES))]
            posts = ingest_http_ab(client, url, keys, 200)
            print(ratio_line("ingest 200-heartbeat POST, whole app in-process", posts["post"]), flush=True)
            print(ratio_line(f"ingest blocks of {BLOCK} POSTs incl. their compaction, per POST", posts["block"]),
                  flush=True)
        measured = asyncio.run(ingest_abc(url, args.rounds))
        print(ratio_line("ingest 200-heartbeat batch, store_batch", measured["batch"]))
        print(ratio_line(f"ingest blocks of {BLOCK} batches incl. their compaction, per batch", measured["block"]))
        print(f"conditions: {os.cpu_count()} cores shared with other work, load average"
              f" {' '.join(f'{x:.1f}' for x in os.getloadavg())}, PostgreSQL {pg_version(url)},"
              f" {'shared server' if cluster is None else 'throwaway cluster ' + str(TUNED)}")


if __name__ == "__main__":
    main()
