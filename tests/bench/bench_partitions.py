"""Partition benchmark (issue 16). Run: ``python tests/bench/bench_partitions.py [--rows 50000000]``.

Prints figures, asserts nothing. On a private PostgreSQL cluster (initdb/pg_ctl as user postgres, own
port, settings in ``CLUSTER_SETTINGS``; deleted afterwards) so the shared server is not loaded:

1. API load through the real server (``wfh-ingest serve``, 2 workers, 4 keep-alive clients posting
   200-record heartbeat batches) on the empty partitioned table: first writes, then the duplicate resend.
2. ``heartbeats`` grown to ``--rows`` with bulk ``INSERT ... SELECT`` straight into the monthly
   partitions from now - 400 days to now - 1 hour (the COPY-like fast path: no API, no rollups).
3. The same API load again at that size: records/s and the ratio to phase 1, likewise the resend.
4. Partition and index sizes.
5. Retention: ``DROP TABLE`` of one month's partition vs ``DELETE`` of another month with as many rows
   (time, dead tuples, size left behind, and the VACUUM the DELETE still owes).

``--compare-intervals`` instead measures daily vs monthly partitions (ingest through the API and the
reports' raw-table queries) on two smaller databases.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from ingestion.migrate import MIGRATIONS_DIR, available, migrate  # noqa: E402
from tests.bench.bench_ingest import BATCH, Phase, build_request, heartbeat_records  # noqa: E402
from tests.support.pg import SCHEMA, TempCluster, connect, create_database, find_pg_bin, free_port  # noqa: E402
from tests.support.server import ServerProcess, create_key, start_server  # noqa: E402

CLIENTS = 4
BATCHES_PER_CLIENT = 40
ROUNDS = 5
LOAD_DEVICES = 200  # devices the bulk rows belong to (besides the 4 API devices)
CLUSTER_SETTINGS = {
    "shared_buffers": "2GB", "work_mem": "32MB", "maintenance_work_mem": "512MB", "max_wal_size": "16GB",
    "checkpoint_timeout": "30min", "wal_level": "minimal", "max_wal_senders": "0", "fsync": "off",
    "synchronous_commit": "on", "full_page_writes": "off", "max_connections": "60",
    "autovacuum": "on", "listen_addresses": "127.0.0.1",
}


def start_cluster() -> TempCluster:
    """A private cluster with the benchmark's settings (TempCluster's defaults are for tests)."""
    directory = Path(tempfile.mkdtemp(prefix="wfh-pg-bench-", dir=os.environ.get("WFH_BENCH_DIR")))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = TempCluster(directory, free_port())
    cluster._run(find_pg_bin("initdb"), "-D", str(directory / "data"), "-U", "postgres", "--auth=trust",
                 "--no-sync", "-E", "UTF8")
    options = " ".join(f"-c {k}={v}" for k, v in CLUSTER_SETTINGS.items())
    cluster._run(find_pg_bin("pg_ctl"), "-D", str(directory / "data"), "-o",
                 f"-p {cluster.port} -k {directory} {options}", "-l", str(directory / "server.log"),
                 "-w", "-t", "120", "start")
    return cluster


def migrate_with_interval(url: str, interval: str) -> None:
    """Apply the server migrations; for another ``interval`` than '1 month', the partition migration's
    interval is replaced (recorded with the shipped file's checksum, so that ``serve`` starts)."""
    if interval == "1 month":
        migrate(url, SCHEMA)
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        for migration in available(MIGRATIONS_DIR):
            text = migration.sql.replace("'1 month'", f"'{interval}'") if "wfh_partition" in migration.sql \
                else migration.sql
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(SCHEMA)))
                conn.execute(text.encode("utf-8"))
                conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                             " name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL"
                             " DEFAULT now())")
                conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                             (migration.version, migration.name, migration.checksum))


def cpu_ms_per_1000(result: dict[str, float], records: float) -> float:
    """Server + PostgreSQL CPU per 1,000 records: less sensitive than the rate to the other helpers' load."""
    cores = os.cpu_count() or 1
    return (result["server_cpu_share"] + result["postgres_cpu_share"]) * result["wall"] * cores * 1e6 / records


@dataclass
class Load:
    """One running server and its keys; collects per-round records/s and CPU per 1,000 records."""

    port: int
    keys: list[str]
    pid: int
    fresh: list[float] = field(default_factory=list)
    resend: list[float] = field(default_factory=list)
    cpu_fresh: list[float] = field(default_factory=list)
    cpu_resend: list[float] = field(default_factory=list)

    def round(self, base: datetime) -> None:
        """Fresh 200-record batches from 4 clients, then their duplicate resend."""
        plans = [[build_request(self.port, self.keys[c], heartbeat_records(BATCH, base))
                  for _ in range(BATCHES_PER_CLIENT)] for c in range(CLIENTS)]
        first = Phase(self.port, plans, self.pid).run()
        again = Phase(self.port, plans, self.pid).run()
        if first["errors"] or again["errors"]:
            raise RuntimeError(f"API errors: {first['errors']} first, {again['errors']} resend")
        self.fresh.append(first["accepted"] / first["wall"])
        self.resend.append(again["duplicates"] / again["wall"])
        self.cpu_fresh.append(cpu_ms_per_1000(first, first["accepted"]))
        self.cpu_resend.append(cpu_ms_per_1000(again, again["duplicates"]))

    def summary(self, label: str) -> tuple[float, float]:
        """Print the rounds; return the median records/s of first writes and of the resend."""
        print(f"  {label}: first writes {', '.join(f'{r:,.0f}' for r in self.fresh)} records/s, resend"
              f" {', '.join(f'{r:,.0f}' for r in self.resend)} records/s; server+postgres CPU per 1,000 records:"
              f" first {statistics.median(self.cpu_fresh):.0f} ms, resend {statistics.median(self.cpu_resend):.0f} ms;"
              f" load average {os.getloadavg()[0]:.1f}", flush=True)
        return statistics.median(self.fresh), statistics.median(self.resend)


def api_load(port: int, keys: list[str], pid: int, base: datetime) -> tuple[float, float]:
    """Median records/s of ``ROUNDS`` rounds of fresh batches, then of their duplicate resend."""
    load = Load(port, keys, pid)
    for _ in range(ROUNDS):
        load.round(base)
    return load.summary("rounds")


def serve(url: str, shots: str) -> ServerProcess:
    return start_server(url, shots, workers=2, WFH_INGEST_RATE_PER_MINUTE="60000000",
                        WFH_INGEST_RATE_BURST="10000000", timeout=120)


def load_for(server: ServerProcess, keys: list[str]) -> Load:
    return Load(int(server.url.rsplit(":", 1)[1]), keys, server.process.pid)


_ROWS = (
    "INSERT INTO {target} (device_id, client_id, emp_id, started_at, ended_at, tz, status, cpu_percent,"
    " memory_percent, process_name, window_title, domain, url, battery_level, battery_plugged, geo_lat, geo_lon)"
    " SELECT %(first)s + g %% %(devices)s, gen_random_uuid(), 5001 + g %% %(devices)s, t, t + interval '55 s',"
    " 'Europe/Berlin', 'active', 12.5, 48, 'Code.exe', 'main.py - Visual Studio Code', 'github.com',"
    " 'https://github.com/pulls', 82, false, 52.52, 13.405"
    " FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g,"
    " LATERAL (SELECT %(start)s::timestamptz + make_interval(secs => g * %(step)s) AS t) ts"
    " WHERE t >= %(from)s AND t < %(to)s"
)


def grow(url: str, rows: int, now: datetime) -> float:
    """Bulk-load ``rows`` heartbeats spread evenly over now - 400 days .. now - 1 hour; returns seconds.

    Each full past month is loaded into a fresh unindexed table (no WAL with wal_level=minimal), which
    then replaces pg_partman's empty partition of the same name by ATTACH PARTITION: its indexes are
    built in bulk, much faster than row by row. The current month is inserted through the parent."""
    start = now - timedelta(days=400)
    step = (now - timedelta(hours=1) - start).total_seconds() / rows
    t0 = time.perf_counter()
    with connect(url) as conn:
        conn.execute("INSERT INTO employees (emp_id) SELECT 5000 + g FROM generate_series(1, %s) g",
                     (LOAD_DEVICES,))
        first = conn.execute("INSERT INTO devices (emp_id, name) SELECT 5000 + g, 'LOAD-' || g"
                             " FROM generate_series(1, %s) g RETURNING device_id", (LOAD_DEVICES,)).fetchone()[0]  # type: ignore[index]
        bounds = conn.execute(
            "SELECT c.relname, i.child_start_time, i.child_end_time FROM partman.show_partitions(%(p)s) s"
            " JOIN pg_class c ON c.relname = s.partition_tablename"
            " AND c.relnamespace = s.partition_schemaname::regnamespace,"
            " LATERAL partman.show_partition_info(s.partition_schemaname || '.' || s.partition_tablename,"
            " p_parent_table => %(p)s) i ORDER BY 2", {"p": f"{SCHEMA}.heartbeats"}).fetchall()
        for name, lo, hi in bounds:
            if hi <= start:
                continue
            g_lo = max(0, int((lo - start).total_seconds() / step))
            g_hi = min(rows - 1, int((hi - start).total_seconds() / step) + 1)
            params = {"first": first, "devices": LOAD_DEVICES, "lo": g_lo, "hi": g_hi, "start": start,
                      "step": step, "from": lo, "to": hi}
            if g_lo > g_hi:
                continue
            if hi > now - timedelta(hours=1):  # current month: through the parent, indexes and all
                conn.execute(_ROWS.format(target="heartbeats"), params)
            else:
                with conn.transaction():
                    conn.execute(f"CREATE TABLE bulk_{name} (LIKE heartbeats INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                    conn.execute(_ROWS.format(target=f"bulk_{name}"), params)
                    # The matching CHECK lets ATTACH skip its validation scan.
                    conn.execute(f"ALTER TABLE bulk_{name} ADD CONSTRAINT bulk_bound CHECK"
                                 f" (started_at >= '{lo.isoformat()}' AND started_at < '{hi.isoformat()}')")
                    conn.execute(f"DROP TABLE {name}")
                    conn.execute(f"ALTER TABLE heartbeats ATTACH PARTITION bulk_{name} FOR VALUES FROM"
                                 f" ('{lo.isoformat()}') TO ('{hi.isoformat()}')")
                    conn.execute(f"ALTER TABLE bulk_{name} DROP CONSTRAINT bulk_bound")
                    conn.execute(f"ALTER TABLE bulk_{name} RENAME TO {name}")
            if hi > now - timedelta(hours=1) or lo.day == 1 and lo.hour == 0:  # once per month
                print(f"  {name}: loaded ({time.perf_counter() - t0:.0f} s)", flush=True)
        conn.execute("VACUUM ANALYZE heartbeats")
    return time.perf_counter() - t0


def sizes(url: str) -> list[tuple[str, int, int, int]]:
    with connect(url) as conn:
        conn.execute("ANALYZE heartbeats")
        return [(str(name), int(n or 0), int(table), int(index)) for name, n, table, index in conn.execute(
            "SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid)"
            " FROM pg_partition_tree('heartbeats') t JOIN pg_class c ON c.oid = t.relid"
            " WHERE t.isleaf ORDER BY c.relname")]


def retention(url: str) -> dict[str, Any]:
    """DROP one full month's partition vs DELETE of another full month's rows."""
    with connect(url) as conn:
        parts = [r for r in sizes(url) if r[1] > 0 and not r[0].endswith("_default")]
        drop_name, delete_name = parts[1][0], parts[2][0]  # the oldest may be partial
        rows = {name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])  # type: ignore[index]
                for name in (drop_name, delete_name)}
        before = conn.execute(f"SELECT pg_total_relation_size('{delete_name}')").fetchone()[0]  # type: ignore[index]
        # Keep autovacuum off this partition so the figures show what the DELETE leaves behind.
        conn.execute(f"ALTER TABLE {delete_name} SET (autovacuum_enabled = false)")
        t0 = time.perf_counter()
        conn.execute(f"DROP TABLE {drop_name}")
        drop_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        lo, hi = conn.execute(f"SELECT min(started_at), max(started_at) FROM {delete_name}").fetchone()  # type: ignore[misc]
        deleted = conn.execute("DELETE FROM heartbeats WHERE started_at >= %s AND started_at <= %s",
                               (lo, hi)).rowcount
        delete_s = time.perf_counter() - t0
        conn.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(2)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        dead = conn.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s",
                            (delete_name,)).fetchone()[0]  # type: ignore[index]
        after = conn.execute(f"SELECT pg_total_relation_size('{delete_name}')").fetchone()[0]  # type: ignore[index]
        t0 = time.perf_counter()
        conn.execute(f"VACUUM {delete_name}")
        vacuum_s = time.perf_counter() - t0
        vacuumed = conn.execute(f"SELECT pg_total_relation_size('{delete_name}')").fetchone()[0]  # type: ignore[index]
    return {"drop_rows": rows[drop_name], "drop_s": drop_s, "delete_rows": deleted, "delete_s": delete_s,
            "dead": dead, "before": before, "after": after, "vacuum_s": vacuum_s, "vacuumed": vacuumed}


def report_queries(url: str, now: datetime, repeat: int = 20) -> dict[str, float]:
    """Median ms of the reports' raw-table queries (day page of heartbeats, 24 h sync health)."""
    from ingestion.reports.queries import _SYNC

    with connect(url) as conn:
        devices = [r[0] for r in conn.execute("SELECT device_id FROM devices ORDER BY device_id LIMIT 4")]
        emp_ids = [r[0] for r in conn.execute("SELECT DISTINCT emp_id FROM devices")]
        day = now - timedelta(days=3)
        timings: dict[str, list[float]] = {"day page": [], "sync health": [], "plan, no time filter": []}
        for _ in range(repeat):
            t0 = time.perf_counter()
            conn.execute("SELECT started_at, process_name FROM heartbeats WHERE device_id = ANY(%s)"
                         " AND started_at >= %s AND started_at < %s ORDER BY started_at, device_id, client_id"
                         " LIMIT 501", (devices, day - timedelta(days=1), day + timedelta(days=1))).fetchall()
            timings["day page"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            conn.execute(_SYNC, (emp_ids,)).fetchall()
            timings["sync health"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            conn.execute("EXPLAIN SELECT count(*) FROM heartbeats WHERE device_id = %s", (devices[0],)).fetchall()
            timings["plan, no time filter"].append(time.perf_counter() - t0)
    return {name: statistics.median(values) * 1000 for name, values in timings.items()}


def compare_intervals(cluster: TempCluster, rows: int) -> None:
    """Monthly vs daily partitions, each database holding ``rows`` heartbeats: API rounds and the
    reports' queries interleaved between the two (same run, same load from other processes)."""
    now = datetime.now(UTC)
    urls, counts, loads, servers = {}, {}, {}, []
    with tempfile.TemporaryDirectory() as shots:
        try:
            for interval in ("1 month", "1 day"):
                url = urls[interval] = create_database(cluster.admin_url, "wfh_bench_interval")
                t0 = time.perf_counter()
                migrate_with_interval(url, interval)
                migrate_s = time.perf_counter() - t0
                with connect(url) as conn:
                    counts[interval] = conn.execute(
                        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'heartbeats'::regclass").fetchone()[0]  # type: ignore[index]
                keys = [create_key(url, 1001 + i, f"BENCH-{i}") for i in range(CLIENTS)]
                grow(url, rows, now)
                servers.append(serve(url, shots))
                loads[interval] = load_for(servers[-1], keys)
                print(f"{interval}: {counts[interval]} heartbeats partitions, migrations {migrate_s:.1f} s", flush=True)
            for n in range(ROUNDS):
                for interval in ("1 month", "1 day") if n % 2 else ("1 day", "1 month"):
                    loads[interval].round(now)
        finally:
            for server in servers:
                server.stop()
    queries: dict[str, list[dict[str, float]]] = {"1 month": [], "1 day": []}
    for _ in range(5):
        for interval in ("1 month", "1 day"):
            queries[interval].append(report_queries(urls[interval], now, repeat=5))
    for interval in ("1 month", "1 day"):
        fresh, resend = loads[interval].summary(f"{interval} partitions")
        medians = {k: statistics.median(q[k] for q in queries[interval]) for k in queries[interval][0]}
        print(f"{interval:>8} partitions: {counts[interval]} per table; API {fresh:,.0f} records/s, resend"
              f" {resend:,.0f} records/s; " + ", ".join(f"{k} {v:.2f} ms" for k, v in medians.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000_000, help="heartbeats to grow the table to")
    parser.add_argument("--compare-intervals", action="store_true", help="daily vs monthly partitions")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()}")
    print("cluster settings: " + ", ".join(f"{k}={v}" for k, v in CLUSTER_SETTINGS.items()), flush=True)
    cluster = start_cluster()
    try:
        if args.compare_intervals:
            compare_intervals(cluster, args.rows)
            return
        url = create_database(cluster.admin_url, "wfh_bench_partitions")
        migrate_with_interval(url, "1 month")
        keys = [create_key(url, 1001 + i, f"BENCH-{i}") for i in range(CLIENTS)]
        now = datetime.now(UTC)
        with tempfile.TemporaryDirectory() as shots:
            server = serve(url, shots)
            try:
                before = load_for(server, keys)
                for _ in range(ROUNDS):
                    before.round(now)
                empty_fresh, empty_resend = before.summary("empty table, before growing")
                grow_s = grow(url, args.rows, now)
                with connect(url) as conn:
                    total = conn.execute("SELECT count(*) FROM heartbeats").fetchone()[0]  # type: ignore[index]
                print(f"grown: heartbeats holds {total:,} rows after {grow_s:.0f} s"
                      f" ({args.rows / grow_s:,.0f} rows/s)", flush=True)
                # The same run, interleaved round by round with a second, empty database on its own
                # server, so that the other processes' load hits both alike.
                empty_url = create_database(cluster.admin_url, "wfh_bench_partitions_empty")
                migrate_with_interval(empty_url, "1 month")
                empty_keys = [create_key(empty_url, 1001 + i, f"BENCH-{i}") for i in range(CLIENTS)]
                other = serve(empty_url, shots)
                try:
                    big, empty = load_for(server, keys), load_for(other, empty_keys)
                    for n in range(ROUNDS):
                        for load in (big, empty) if n % 2 else (empty, big):
                            load.round(now)
                finally:
                    other.stop()
                big_fresh, big_resend = big.summary(f"at {total:,} rows")
                pair_fresh, pair_resend = empty.summary("empty database, interleaved")
            finally:
                server.stop()
        print(f"at {total:,} rows: API {big_fresh:,.0f} records/s, resend {big_resend:,.0f} records/s;"
              f" interleaved empty database {pair_fresh:,.0f} and {pair_resend:,.0f}: ratio"
              f" {big_fresh / pair_fresh:.2f} (first writes), {big_resend / pair_resend:.2f} (resend);"
              f" against the empty table before growing {big_fresh / empty_fresh:.2f} and"
              f" {big_resend / empty_resend:.2f}")
        print(f"CPU per 1,000 records (server + postgres), at {total:,} rows / interleaved empty:"
              f" first writes {statistics.median(big.cpu_fresh):.0f} / {statistics.median(empty.cpu_fresh):.0f} ms,"
              f" resend {statistics.median(big.cpu_resend):.0f} / {statistics.median(empty.cpu_resend):.0f} ms",
              flush=True)
        parts = sizes(url)
        print(f"{'partition':<24} {'rows':>12} {'table MB':>10} {'indexes MB':>11}")
        for name, n, table, index in parts:
            print(f"{name:<24} {n:>12,} {table / 2**20:>10,.0f} {index / 2**20:>11,.0f}")
        print(f"{'total':<24} {sum(p[1] for p in parts):>12,} {sum(p[2] for p in parts) / 2**20:>10,.0f}"
              f" {sum(p[3] for p in parts) / 2**20:>11,.0f}", flush=True)
        r = retention(url)
        print(f"retention: DROP TABLE of a month ({r['drop_rows']:,} rows) {r['drop_s'] * 1000:.0f} ms;"
              f" DELETE of a month ({r['delete_rows']:,} rows) {r['delete_s']:.1f} s, leaving {r['dead']:,} dead"
              f" tuples and {r['after'] / 2**20:,.0f} MB on disk (was {r['before'] / 2**20:,.0f} MB); the VACUUM"
              f" it owes took {r['vacuum_s']:.1f} s and left {r['vacuumed'] / 2**20:,.0f} MB")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
