"""Fleet benchmark (issue 16). Run: ``python tests/bench/bench_fleet.py [--rounds 3] [--batches 60]``.

Same run, same database, interleaved rounds in rotating order (so table growth and the machine's
other load hit every setup alike), 4 keep-alive raw-socket clients (tests/bench/bench_ingest.py's load generator):

- ``direct``: one host (``wfh-ingest serve``, 2 workers) on PostgreSQL;
- ``haproxy 1 host``: the same host behind HAProxy (deploy/haproxy.cfg, both server lines on it): the
  proxy's own cost;
- ``haproxy 2 hosts``: two hosts with 1 worker each behind HAProxy: the same worker count spread over
  hosts, the scale-out setup;
- ``pgbouncer``: one host (2 workers) through PgBouncer (deploy/pgbouncer.ini, transaction mode,
  no prepared statements) instead of straight to PostgreSQL.

For each: records/s with 200-record heartbeat batches, p50/p99 batch latency, single-record
requests/s; then the median over the rounds and the ratio to ``direct``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_ingest import Phase, build_request, heartbeat_records  # noqa: E402
from tests.support.fleet import HAProxy, PgBouncer  # noqa: E402
from tests.support.pg import throwaway_database  # noqa: E402
from tests.support.server import ServerProcess, create_key, start_server  # noqa: E402

CLIENTS = 4
BATCH = 200
SINGLES = 300
FAST = {"WFH_INGEST_RATE_PER_MINUTE": "6000000", "WFH_INGEST_RATE_BURST": "1000000"}


def _port(server: ServerProcess) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _plans(port: int, keys: list[str], batches: int, size: int, base: datetime) -> list[list[bytes]]:
    return [[build_request(port, key, heartbeat_records(size, base - timedelta(minutes=n))) for n in range(batches)]
            for key in keys]


def _phase(port: int, pid: int, keys: list[str], batches: int, size: int) -> dict[str, float]:
    result = Phase(port, _plans(port, keys, batches, size, datetime.now(UTC)), pid).run()
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} requests failed on port {port}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=60, help="200-record batches per client per phase")
    args = parser.parse_args()
    shots = Path(tempfile.mkdtemp(prefix="wfh-bench-fleet-"))
    with throwaway_database("wfh_bench_fleet") as url:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url, autocommit=True) as conn:  # transaction pooling: settings on the role
            for key, value in (("search_path", "employee_monitor"), ("statement_timeout", "10000ms")):
                conn.execute(sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} SET {} = {}").format(
                    sql.Identifier(name), sql.Identifier(key), sql.Literal(value)))
        keys = [create_key(url, 4000 + n, f"BENCH-FLEET-{n}") for n in range(CLIENTS)]
        bouncer = PgBouncer({name: (5432, name)}).start()
        servers: list[ServerProcess] = []
        proxies: list[HAProxy] = []
        try:
            direct = start_server(url, shots, workers=2, **FAST)
            host1 = start_server(url, shots, workers=1, **FAST)
            host2 = start_server(url, shots, workers=1, **FAST)
            pooled = start_server(bouncer.url(name), shots, workers=2, WFH_INGEST_DB_POOL_MODE="transaction", **FAST)
            servers += [direct, host1, host2, pooled]
            one = HAProxy([_port(direct), _port(direct)]).start()
            two = HAProxy([_port(host1), _port(host2)]).start()
            proxies += [one, two]
            one.wait_states({"api1": "UP", "api2": "UP"})
            two.wait_states({"api1": "UP", "api2": "UP"})
            setups: dict[str, tuple[int, int]] = {
                "direct": (_port(direct), direct.process.pid),
                "haproxy 1 host": (one.port, direct.process.pid),
                "haproxy 2 hosts": (two.port, host1.process.pid),
                "pgbouncer": (_port(pooled), pooled.process.pid),
            }
            for port, _ in setups.values():  # warm-up: pools filled, code paths hot
                _phase(port, os.getpid(), keys, 3, BATCH)
            rows: dict[str, list[dict[str, float]]] = {s: [] for s in setups}
            print(f"fleet benchmark: {CLIENTS} clients, {args.batches} x {BATCH}-record batches each and"
                  f" {SINGLES} single-record requests each per phase, {args.rounds} interleaved rounds;"
                  f" {psutil.cpu_count()} cores, PostgreSQL on 127.0.0.1:5432", flush=True)
            names = list(setups)
            for round_no in range(1, args.rounds + 1):
                shift = (round_no - 1) % len(names)  # each round starts with another setup
                for setup in names[shift:] + names[:shift]:
                    port, pid = setups[setup]
                    batch = _phase(port, pid, keys, args.batches, BATCH)
                    single = _phase(port, pid, keys, SINGLES, 1)
                    row = {"records_s": batch["accepted"] / batch["wall"], "p50_ms": batch["p50_ms"],
                           "p99_ms": batch["p99_ms"], "singles_s": single["requests"] / single["wall"],
                           "busy": batch["machine_busy"]}
                    rows[setup].append(row)
                    print(f"  round {round_no} {setup:<16} {row['records_s']:>8,.0f} records/s"
                          f"  p50 {row['p50_ms']:5.1f} ms  p99 {row['p99_ms']:6.1f} ms"
                          f"  {row['singles_s']:>6,.0f} single req/s  machine busy {row['busy']:.0%}", flush=True)
            _summary(rows)
        finally:
            for proxy in proxies:
                proxy.stop()
            for server in servers:
                server.stop()
            bouncer.destroy()


def _summary(rows: dict[str, list[dict[str, Any]]]) -> None:
    med = {s: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for s, runs in rows.items()}
    base = med["direct"]
    print("\nmedian over rounds (ratio to direct, same run):")
    for setup, m in med.items():
        print(f"  {setup:<16} {m['records_s']:>8,.0f} records/s ({m['records_s'] / base['records_s']:.2f})"
              f"  p50 {m['p50_ms']:5.1f} ms  p99 {m['p99_ms']:6.1f} ms"
              f"  {m['singles_s']:>6,.0f} single req/s ({m['singles_s'] / base['singles_s']:.2f})")


if __name__ == "__main__":
    main()
