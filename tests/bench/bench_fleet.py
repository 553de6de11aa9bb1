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
requests/s, and the CPU the API processes and the proxy (HAProxy or PgBouncer) spent per 1,000 records
and per single request (the machine is shared, so rates swing with other people's load while CPU per
unit of work mostly does not); then the medians over the rounds and the ratios to ``direct``.
PostgreSQL's CPU is not counted: the cluster is shared with other benchmarks.
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


def _cpu(pids: list[int]) -> float:
    """CPU seconds so far of these processes and all their children."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def _phase(port: int, pid: int, keys: list[str], batches: int, size: int,
           servers: list[int] | None = None, proxies: list[int] | None = None) -> dict[str, float]:
    """One load phase; with ``servers``/``proxies`` also their CPU seconds used (``server_cpu``, ``proxy_cpu``)."""
    plans = _plans(port, keys, batches, size, datetime.now(UTC))
    server0, proxy0 = _cpu(servers or []), _cpu(proxies or [])
    result = Phase(port, plans, pid).run()
    result["server_cpu"], result["proxy_cpu"] = _cpu(servers or []) - server0, _cpu(proxies or []) - proxy0
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
            assert one.process is not None and two.process is not None and bouncer.process is not None
            # (port, a server pid for Phase, the API processes, the proxy processes) of each setup
            setups: dict[str, tuple[int, int, list[int], list[int]]] = {
                "direct": (_port(direct), direct.process.pid, [direct.process.pid], []),
                "haproxy 1 host": (one.port, direct.process.pid, [direct.process.pid], [one.process.pid]),
                "haproxy 2 hosts": (two.port, host1.process.pid, [host1.process.pid, host2.process.pid],
                                    [two.process.pid]),
                "pgbouncer": (_port(pooled), pooled.process.pid, [pooled.process.pid], [bouncer.process.pid]),
            }
            for port, *_ in setups.values():  # warm-up: pools filled, code paths hot
                _phase(port, os.getpid(), keys, 3, BATCH)
            rows: dict[str, list[dict[str, float]]] = {s: [] for s in setups}
            print(f"fleet benchmark: {CLIENTS} clients, {args.batches} x {BATCH}-record batches each and"
                  f" {SINGLES} single-record requests each per phase, {args.rounds} interleaved rounds;"
                  f" {psutil.cpu_count()} cores, PostgreSQL on 127.0.0.1:5432", flush=True)
            names = list(setups)
            for round_no in range(1, args.rounds + 1):
                shift = (round_no - 1) % len(names)  # each round starts with another setup
                for setup in names[shift:] + names[:shift]:
                    port, pid, api, proxy = setups[setup]
                    batch = _phase(port, pid, keys, args.batches, BATCH, api, proxy)
                    single = _phase(port, pid, keys, SINGLES, 1, api, proxy)
                    row = {"records_s": batch["accepted"] / batch["wall"], "p50_ms": batch["p50_ms"],
                           "p99_ms": batch["p99_ms"], "singles_s": single["requests"] / single["wall"],
                           "busy": batch["machine_busy"],
                           # CPU milliseconds per 1,000 records (batches) and per request (singles)
                           "api_ms_1k": batch["server_cpu"] * 1e6 / batch["accepted"],
                           "proxy_ms_1k": batch["proxy_cpu"] * 1e6 / batch["accepted"],
                           "api_ms_req": single["server_cpu"] * 1e3 / single["requests"],
                           "proxy_ms_req": single["proxy_cpu"] * 1e3 / single["requests"]}
                    rows[setup].append(row)
                    print(f"  round {round_no} {setup:<16} {row['records_s']:>8,.0f} records/s"
                          f"  p50 {row['p50_ms']:5.1f} ms  p99 {row['p99_ms']:6.1f} ms"
                          f"  {row['singles_s']:>6,.0f} single req/s  machine busy {row['busy']:.0%}"
                          f"  load average {os.getloadavg()[0]:.1f}", flush=True)
                    print(f"    CPU: API {row['api_ms_1k']:.1f} + proxy {row['proxy_ms_1k']:.1f} ms per 1,000 records;"
                          f" API {row['api_ms_req']:.2f} + proxy {row['proxy_ms_req']:.2f} ms per single request",
                          flush=True)
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
    print("\nCPU per work, median (less sensitive to the machine's other load than rates):")
    for setup, m in med.items():
        batch_total, single_total = m["api_ms_1k"] + m["proxy_ms_1k"], m["api_ms_req"] + m["proxy_ms_req"]
        print(f"  {setup:<16} API {m['api_ms_1k']:5.1f} + proxy {m['proxy_ms_1k']:4.1f} ms per 1,000 records"
              f" ({batch_total / (base['api_ms_1k'] + base['proxy_ms_1k']):.2f} of direct);"
              f"  API {m['api_ms_req']:.2f} + proxy {m['proxy_ms_req']:.2f} ms per single request"
              f" ({single_total / (base['api_ms_req'] + base['proxy_ms_req']):.2f} of direct)")


if __name__ == "__main__":
    main()
