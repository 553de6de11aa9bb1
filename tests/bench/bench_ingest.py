"""Ingestion server benchmark (issue 6). Run: ``python tests/bench/bench_ingest.py``.

Starts ``wfh-ingest serve`` with 2 workers on 127.0.0.1 against a throwaway database, loads it with
4 keep-alive clients posting pre-built 200-record heartbeat batches (a fixed number, then stop), and
prints records/s, p50/p99 batch latency, duplicate-resend records/s, latency at half load,
single-record requests/s, plus same-run baselines (raw COPY and executemany of the same rows, and the
unnest vs COPY-into-temp ingest statement). The load generator is raw sockets with pre-built request
bytes; its own CPU share is reported, as is the machine's other load.

Issue 13: the first-write phase runs ``--rounds`` times (default 3) with fresh bodies and prints each
round and the median, so a rate that falls as the table grows shows; the ceiling is one bulk COPY of
all rows in one transaction (``baseline bulk COPY``, into a plain table), printed beside the same COPY
into ``heartbeats`` itself (the baselines are in ``ingest_baselines.py``); ``--profile DIR`` records every server worker
with py-spy during the first round (``py-spy`` from PyPI; flame graphs as SVG in DIR) and prints the
hottest functions.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.ingest_baselines import (  # noqa: E402
    baseline_bulk_copy,
    baseline_bulk_copy_heartbeats,
    baseline_copy,
    baseline_executemany,
    statement_unnest_vs_copy,
)
from tests.support.pg import connect, throwaway_database  # noqa: E402
from tests.support.server import create_key, start_server  # noqa: E402

CLIENTS = 4
BATCH = 200
BATCHES_PER_CLIENT = 100
SINGLE_PER_CLIENT = 1000
HALF_LOAD_BATCHES = 240



# The parent of a partitioned table has no storage of its own: sum its partitions (and their indexes).
_HEARTBEAT_BYTES = ("SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint"
                    " FROM pg_partition_tree('heartbeats') WHERE isleaf")


def _one(conn: psycopg.Connection[Any], query: str) -> tuple[Any, ...]:
    """The single row ``query`` returns."""
    row = conn.execute(query).fetchone()
    assert row is not None, query
    return tuple(row)


def heartbeat_records(count: int, base: datetime) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        start = base - timedelta(seconds=60 * (i % 5000) + 600)
        out.append({
            "client_id": str(uuid.uuid4()), "started_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ended_at": (start + timedelta(seconds=55)).strftime("%Y-%m-%dT%H:%M:%SZ"), "tz": "Europe/Berlin",
            "status": "active", "cpu_percent": 12.5, "memory_percent": 48.0, "process_name": "Code.exe",
            "window_title": f"main.py - Visual Studio Code ({i})", "domain": "github.com",
            "url": "https://github.com/pulls", "battery_level": 82, "battery_plugged": False,
            "geo": {"lat": 52.52, "lon": 13.405},
        })
    return out


class RawClient:
    """One keep-alive HTTP/1.1 connection sending pre-built requests; minimal response parsing."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, data: bytes) -> tuple[int, bytes]:
        self.sock.sendall(data)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.buf = rest[length:]
        return int(head[9:12]), rest[:length]

    def close(self) -> None:
        self.sock.close()


def build_request(port: int, key: str, records: list[dict[str, Any]]) -> bytes:
    body = json.dumps({"records": records}, separators=(",", ":")).encode()
    return (f"POST /api/v1/ingest/heartbeats HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Api-Key: {key}\r\n"
            f"Content-Type: application/json\r\nUser-Agent: WFH-Agent/bench\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


BENCH_DB: list[str] = []  # the throwaway database's URL once known: count only its backends as "postgres"


def _bench_backends() -> set[int] | None:
    """PIDs of the PostgreSQL backends (and autovacuum workers) serving the benchmark's database; the
    cluster is shared with other sessions, whose backends must not count. None: count every process."""
    if not BENCH_DB:
        return None
    with connect(BENCH_DB[0]) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                            " AND pid <> pg_backend_pid()").fetchall()
    return {row[0] for row in rows}


def cpu_seconds(server_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds so far, per process, of the server's process tree and of the postgres processes
    serving the benchmark's database (all postgres processes if it is not known)."""
    groups: dict[str, dict[int, float]] = {"server": {}, "postgres": {}}
    try:
        root = psutil.Process(server_pid)
        tree = [("server", p) for p in (root, *root.children(recursive=True))]
    except psutil.NoSuchProcess:
        tree = []
    backends = _bench_backends()
    tree += [("postgres", p) for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"
             and (backends is None or p.pid in backends)]
    for group, proc in tree:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        groups[group][proc.pid] = t.user + t.system
    return groups


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used in between by processes alive at the end (new ones count from zero)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


class Phase:
    """Run per-client request lists concurrently; collect latencies, outcomes, wall and CPU time."""

    def __init__(self, port: int, plans: list[list[bytes]], server_pid: int,
                 schedule: Callable[[int, int], float] | None = None):
        self.port, self.plans, self.schedule, self.server_pid = port, plans, schedule, server_pid
        self.latencies: list[float] = []
        self.accepted = self.duplicates = self.errors = 0
        self.lock = threading.Lock()

    def _client(self, index: int, plan: list[bytes], start: float) -> None:
        client = RawClient(self.port)
        lat, acc, dup, err = [], 0, 0, 0
        for n, data in enumerate(plan):
            if self.schedule is not None:
                delay = start + self.schedule(index, n) - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # open-loop pacing for the half-load phase
            t0 = time.perf_counter()
            status, body = client.request(data)
            lat.append(time.perf_counter() - t0)
            if status != 200:
                err += 1
                continue
            result = json.loads(body)
            acc += result["accepted"]
            dup += result["duplicates"]
        client.close()
        with self.lock:
            self.latencies += lat
            self.accepted += acc
            self.duplicates += dup
            self.errors += err

    def run(self) -> dict[str, float]:
        me = psutil.Process()
        cpu0, sys0, groups0 = me.cpu_times(), psutil.cpu_times(), cpu_seconds(self.server_pid)
        start = time.perf_counter()
        threads = [threading.Thread(target=self._client, args=(i, plan, start)) for i, plan in enumerate(self.plans)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        cpu1, sys1, groups1 = me.cpu_times(), psutil.cpu_times(), cpu_seconds(self.server_pid)
        cores = os.cpu_count() or 1
        own = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        busy = sum(getattr(sys1, f) - getattr(sys0, f) for f in ("user", "system", "nice", "irq", "softirq"))
        total = busy + (sys1.idle - sys0.idle) + (getattr(sys1, "iowait", 0) - getattr(sys0, "iowait", 0))
        lat = sorted(self.latencies)
        return {
            "wall": wall, "requests": len(lat), "accepted": self.accepted, "duplicates": self.duplicates,
            "errors": self.errors, "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            "loadgen_cpu_share": own / wall / cores,
            "server_cpu_share": cpu_delta(groups0["server"], groups1["server"]) / wall / cores,
            "postgres_cpu_share": cpu_delta(groups0["postgres"], groups1["postgres"]) / wall / cores,
            "machine_busy": busy / total if total else 0.0,
        }


def start_profiles(server_pid: int, out_dir: Path, seconds: int) -> list[subprocess.Popen[bytes]]:
    """py-spy on every worker of the server (children of the uvicorn supervisor)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    workers = psutil.Process(server_pid).children(recursive=True)
    return [subprocess.Popen([spy, "record", "--pid", str(w.pid), "--duration", str(seconds), "--rate", "200",
                              "--format", "raw", "--nonblocking", "-o", str(out_dir / f"worker-{w.pid}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for w in workers if "python" in w.name()]


def hottest(out_dir: Path, top: int = 25) -> list[tuple[float, str]]:
    """Self-time share per function over all collapsed-stack files in ``out_dir``."""
    totals: dict[str, int] = {}
    samples = 0
    for path in out_dir.glob("worker-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            leaf = stack.rsplit(";", 1)[-1]
            totals[leaf] = totals.get(leaf, 0) + int(count)
            samples += int(count)
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return [(count / samples, name) for name, count in ranked] if samples else []


def key_failure_timing(url: str, key: str, samples: int = 2000, runs: int = 3) -> list[tuple[float, float]]:
    """Issue 13 defect 7: median server-side time (µs) of a 401 for a known prefix with a wrong secret
    and for an unknown prefix, interleaved, ``runs`` x ``samples`` each, on one real connection."""
    import asyncio

    import psycopg
    from starlette.requests import Request

    from ingestion.auth import authenticate
    from ingestion.errors import ApiError

    wrong = key[:13] + ("A" if key[13] != "A" else "B") + key[14:]
    unknown = "wfh_ZZZZZZZZ" + key[12:]

    async def measure() -> list[tuple[float, float]]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("SET search_path TO employee_monitor")
            results = []
            for _ in range(runs):
                times: dict[str, list[float]] = {"wrong": [], "unknown": []}
                for n in range(samples * 2):
                    name, presented = ("wrong", wrong) if n % 2 else ("unknown", unknown)
                    request = Request({"type": "http", "method": "GET", "path": "/",
                                       "headers": [(b"x-api-key", presented.encode())]})
                    t0 = time.perf_counter()
                    try:
                        await authenticate(request, conn)
                    except ApiError:
                        pass
                    times[name].append(time.perf_counter() - t0)
                results.append((statistics.median(times["wrong"]) * 1e6, statistics.median(times["unknown"]) * 1e6))
            return results

    return asyncio.run(measure())


def long_run(total: int, windows: int = 10) -> None:
    """Issue 13: does the rate hold as the table grows? ``total`` rows of 200-record batches in
    ``windows`` equal windows; the bodies of each window are built before it (not timed)."""
    base = datetime.now(UTC)
    per_client = max(1, total // windows // BATCH // CLIENTS)
    with throwaway_database("wfh_bench_long") as url, tempfile.TemporaryDirectory() as shots:
        BENCH_DB[:] = [url]
        keys = [create_key(url, 1001 + i, f"BENCH-{i}") for i in range(CLIENTS)]
        server = start_server(url, shots, workers=2, WFH_INGEST_RATE_PER_MINUTE="60000000",
                              WFH_INGEST_RATE_BURST="10000000", WFH_INGEST_LOG_LEVEL="info", timeout=60)
        port = int(server.url.rsplit(":", 1)[1])
        rates = []
        try:
            for n in range(windows):
                plans = [[build_request(port, keys[c], heartbeat_records(BATCH, base)) for _ in range(per_client)]
                         for c in range(CLIENTS)]
                r = Phase(port, plans, server.process.pid).run()
                rates.append(r["accepted"] / r["wall"])
                with connect(url) as conn:
                    rows, size = _one(conn, f"SELECT count(*), ({_HEARTBEAT_BYTES}) FROM heartbeats")
                print(f"window {n + 1:2}: {rates[-1]:>8,.0f} records/s  p50 {r['p50_ms']:.1f} ms  errors"
                      f" {r['errors']:.0f}  table {rows:,} rows, {size / 1e6:,.0f} MB; CPU share server"
                      f" {r['server_cpu_share']:.0%}, postgres {r['postgres_cpu_share']:.0%}, all"
                      f" {r['machine_busy']:.0%}; load average {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            server.stop()
    first, last = statistics.mean(rates[:2]), statistics.mean(rates[-2:])
    print(f"first two windows {first:,.0f} records/s, last two {last:,.0f}: end / start {last / first:.2f}")


def singles_only(profile: Path | None) -> None:
    """The single-record phase alone, twice (the first warms up), on a fresh server and database."""
    base = datetime.now(UTC)
    with throwaway_database("wfh_bench_single") as url, tempfile.TemporaryDirectory() as shots:
        BENCH_DB[:] = [url]
        keys = [create_key(url, 1001 + i, f"BENCH-{i}") for i in range(CLIENTS)]
        server = start_server(url, shots, workers=2, WFH_INGEST_RATE_PER_MINUTE="60000000",
                              WFH_INGEST_RATE_BURST="10000000", WFH_INGEST_LOG_LEVEL="info", timeout=60)
        port = int(server.url.rsplit(":", 1)[1])
        try:
            for n in range(2):
                singles = [[build_request(port, keys[c], heartbeat_records(1, base)) for _ in range(SINGLE_PER_CLIENT)]
                           for c in range(CLIENTS)]
                spies = start_profiles(server.process.pid, profile, 6) if profile and n else []
                r = Phase(port, singles, server.process.pid).run()
                for spy in spies:
                    spy.wait(30)
                cpu_ms = (r["server_cpu_share"] + r["postgres_cpu_share"]) * r["wall"] * (os.cpu_count() or 1) * 1000
                print(f"single-record requests, pass {n + 1}: {r['requests'] / r['wall']:,.0f} requests/s"
                      f"  p50 {r['p50_ms']:.1f} ms  errors {r['errors']:.0f}; CPU share loadgen"
                      f" {r['loadgen_cpu_share']:.1%}, server {r['server_cpu_share']:.0%}, postgres"
                      f" {r['postgres_cpu_share']:.0%}, all {r['machine_busy']:.0%}; server+postgres"
                      f" {cpu_ms / r['requests'] * 1000:.0f} ms per 1,000 requests")
        finally:
            server.stop()
    if profile:
        for share, name in hottest(profile):
            print(f"  {share:6.1%}  {name}")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="first-write rounds (fresh bodies each)")
    parser.add_argument("--profile", type=Path, help="py-spy the workers during round 1, output here")
    parser.add_argument("--keys-only", action="store_true", help="only time the two 401 paths (defect 7)")
    parser.add_argument("--profile-single", action="store_true",
                        help="profile the single-record phase instead of round 1")
    parser.add_argument("--million", type=int, metavar="ROWS", nargs="?", const=1_000_000,
                        help="only a long first-write run of ROWS rows (default 1,000,000) in 10 windows")
    parser.add_argument("--singles-only", action="store_true",
                        help="only the single-record phase (quick A/B of per-request overhead)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()}")
    if args.singles_only:
        singles_only(args.profile)
        return
    if args.million:
        long_run(args.million)
        return
    if args.keys_only:
        with throwaway_database("wfh_bench_keys") as url:
            for n, (wrong, unknown) in enumerate(key_failure_timing(url, create_key(url, 1001, "BENCH")), 1):
                print(f"401 median, run {n}: known prefix + wrong secret {wrong:.1f} µs,"
                      f" unknown prefix {unknown:.1f} µs, difference {wrong - unknown:+.1f} µs")
        return
    base = datetime.now(UTC)
    with throwaway_database("wfh_bench") as url, tempfile.TemporaryDirectory() as shots:
        BENCH_DB[:] = [url]
        keys = [create_key(url, 1001 + i, f"BENCH-{i}") for i in range(CLIENTS)]
        server = start_server(url, shots, workers=2, WFH_INGEST_RATE_PER_MINUTE="60000000",
                              WFH_INGEST_RATE_BURST="10000000", WFH_INGEST_LOG_LEVEL="info", timeout=60)
        port = int(server.url.rsplit(":", 1)[1])
        pid = server.process.pid
        try:
            print("building bodies ...")
            rounds_records = [[[heartbeat_records(BATCH, base) for _ in range(BATCHES_PER_CLIENT)]
                               for _ in range(CLIENTS)] for _ in range(args.rounds)]
            rounds_plans = [[[build_request(port, keys[c], batch) for batch in records[c]] for c in range(CLIENTS)]
                            for records in rounds_records]
            records, plans = rounds_records[0], rounds_plans[0]
            all_batches = [batch for client_batches in records for batch in client_batches]
            warm = [[build_request(port, keys[c], heartbeat_records(BATCH, base)) for _ in range(10)]
                    for c in range(CLIENTS)]
            Phase(port, warm, pid).run()
            # Baselines right before the API run, on the same rows, into scratch tables.
            copy_rate = baseline_copy(url, all_batches)
            bulk_rate = baseline_bulk_copy(url, all_batches)
            create_key(url, 1999, "BENCH-COPY")
            with connect(url) as conn:
                copy_device = _one(conn, "SELECT device_id FROM devices WHERE name = 'BENCH-COPY'")[0]
            table_rate = baseline_bulk_copy_heartbeats(url, all_batches, copy_device, 1999)
            many_rate = baseline_executemany(url, all_batches[:100])
            spies = start_profiles(pid, args.profile, 8) if args.profile and not args.profile_single else []
            rounds = [Phase(port, round_plans, pid).run() for round_plans in rounds_plans]
            for spy in spies:
                spy.wait(30)
            dup = Phase(port, plans, pid).run()
            rates = [r["accepted"] / r["wall"] for r in rounds]
            rate = statistics.median(rates)
            half_rate_batches = rate / 2 / BATCH  # batches/s across all clients
            per_client = HALF_LOAD_BATCHES // CLIENTS
            half_plans = [[build_request(port, keys[c], heartbeat_records(BATCH, base)) for _ in range(per_client)]
                          for c in range(CLIENTS)]
            interval = CLIENTS / half_rate_batches
            half = Phase(port, half_plans, pid, schedule=lambda c, n: (n + c / CLIENTS) * interval).run()
            singles = [[build_request(port, keys[c], heartbeat_records(1, base)) for _ in range(SINGLE_PER_CLIENT)]
                       for c in range(CLIENTS)]
            spies = start_profiles(pid, args.profile, 8) if args.profile and args.profile_single else []
            single = Phase(port, singles, pid).run()
            for spy in spies:
                spy.wait(30)
        finally:
            server.stop()
        with connect(url) as conn:
            device_id, key_id = _one(conn, "SELECT device_id, key_id FROM api_keys LIMIT 1")
            conn.execute("VACUUM ANALYZE heartbeats")
            rows, size = _one(conn, f"SELECT count(*), ({_HEARTBEAT_BYTES}) FROM heartbeats")
        stmt_200 = statement_unnest_vs_copy(url, device_id, key_id, 200, 60, heartbeat_records)
        stmt_1000 = statement_unnest_vs_copy(url, device_id, key_id, 1000, 30, heartbeat_records)

    def show(label: str, r: dict[str, float], unit: str = "records/s", value: float | None = None) -> None:
        figure = value if value is not None else r["accepted"] / r["wall"]
        items = figure * r["wall"]
        cpu_ms = (r["server_cpu_share"] + r["postgres_cpu_share"]) * r["wall"] * (os.cpu_count() or 1) * 1000
        print(f"{label:<34} {figure:>10,.0f} {unit}  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms"
              f"  requests {r['requests']:.0f} errors {r['errors']:.0f}")
        print(f"{'':<36}CPU share of the machine: loadgen {r['loadgen_cpu_share']:.1%},"
              f" server {r['server_cpu_share']:.0%}, postgres {r['postgres_cpu_share']:.0%},"
              f" all processes {r['machine_busy']:.0%}; server+postgres CPU {cpu_ms / items * 1000:.0f} ms"
              f" per 1,000 {unit.split('/')[0]}")

    print(f"\n== {CLIENTS} clients, {BATCH}-record heartbeat batches, server 2 workers ==")
    for n, r in enumerate(rounds, start=1):
        show(f"first write, round {n}", r)
    print(f"{'first write, median of rounds':<34} {rate:>10,.0f} records/s  (last / first round"
          f" {rates[-1] / rates[0]:.2f})")
    show("duplicate resend", dup, value=dup["duplicates"] / dup["wall"])
    show(f"half load ({half_rate_batches:.0f} batches/s paced)", half)
    show("single-record requests", single, unit="requests/s", value=single["requests"] / single["wall"])
    print(f"{'baseline raw COPY (1 conn)':<34} {copy_rate:>10,.0f} records/s  (200-row COPY + commit each)")
    print(f"{'baseline executemany (1 conn)':<34} {many_rate:>10,.0f} records/s  (200-row executemany + commit)")
    print(f"{'baseline bulk COPY (1 conn)':<34} {bulk_rate:>10,.0f} records/s  (all rows, one COPY, one commit)")
    print(f"{'baseline bulk COPY into heartbeats':<34} {table_rate:>10,.0f} records/s  (all rows, one COPY into the"
          " partitioned table with its foreign key, rolled back)")
    print(f"API / 200-row COPY ratio: {rate / copy_rate:.2f};  API / bulk COPY ratio (ceiling): {rate / bulk_rate:.2f};"
          f"  API / bulk COPY into heartbeats: {rate / table_rate:.2f}")
    if args.profile:
        phase = "single-record phase" if args.profile_single else "round 1"
        print(f"py-spy, {phase}, self time over both workers (raw stacks in {args.profile}):")
        for share, name in hottest(args.profile):
            print(f"  {share:6.1%}  {name}")
    print(f"ingest statement, 200-record batches:  unnest {stmt_200['unnest']:,.0f} rows/s,"
          f" COPY into temp {stmt_200['copy_temp']:,.0f} rows/s")
    print(f"ingest statement, 1000-record batches: unnest {stmt_1000['unnest']:,.0f} rows/s,"
          f" COPY into temp {stmt_1000['copy_temp']:,.0f} rows/s")
    print(f"heartbeats table: {rows:,} rows, {size / rows:.0f} bytes per row including indexes")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
