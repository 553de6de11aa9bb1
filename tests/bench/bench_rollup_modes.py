"""Ingest throughput on the real server with and without the reports' rollup (issue 17):
``python tests/bench/bench_rollup_modes.py [--rounds N] [--batches B]``.

Modes: "none" (no rollup: the baseline) and "rollup" (the server: each heartbeat batch's statement
appends its seconds per slot to ``activity_quarters``, and the workers compact in the background).
Per round and mode, in random order: a fresh ``wfh-ingest serve`` with 2 workers, 4 keep-alive
raw-socket clients of their own new devices, each sending B batches of 200 one-minute heartbeats over
consecutive time (10 applications, some idle, 5 sites: ~86 rows of the old upserted rollups per
batch, as real backlogs give); the wall time runs until the last answer **and** a compaction of
everything the run noted, so the rollup's rate includes its compaction, and the CPU of the server and
of the benchmark database's PostgreSQL backends is counted over the same time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ingestion.reports import rollups  # noqa: E402
from tests.bench.bench_ingest import BENCH_DB, CLIENTS, Phase, build_request, cpu_delta, cpu_seconds  # noqa: E402
from tests.bench.bench_reports import _batch  # noqa: E402
from tests.support.pg import connect, throwaway_database  # noqa: E402
from tests.support.server import create_key, start_server  # noqa: E402

MODES = ("none", "rollup")
HOOK = str(Path(__file__).resolve().parent / "rollup_modes")


def run_mode(url: str, shots: str, mode: str, first_emp: int, batches: int) -> dict[str, float]:
    keys = [create_key(url, first_emp + c, f"BENCH-{mode}-{first_emp + c}") for c in range(CLIENTS)]
    server = start_server(url, shots, workers=2, timeout=60, WFH_INGEST_RATE_PER_MINUTE="60000000",
                          WFH_INGEST_RATE_BURST="10000000", WFH_BENCH_ROLLUP_MODE=mode,
                          PYTHONPATH=os.pathsep.join([HOOK, str(Path(__file__).resolve().parents[2])]))
    port = int(server.url.rsplit(":", 1)[1])
    try:
        base = datetime.now(UTC) - timedelta(minutes=batches * 200 + 120)
        plans = [[build_request(port, keys[c], _batch(base, n)) for n in range(batches)] for c in range(CLIENTS)]
        with connect(url) as conn:
            before = cpu_seconds(server.process.pid)
            started = time.perf_counter()
            result = Phase(port, plans, server.process.pid).run()
            answered = time.perf_counter()
            # Compact what the run noted now (the workers' own rounds are 30 s apart by default), one
            # statement of rollups.COMPACT after another, as rollups.compact() runs them.
            while True:
                row = conn.execute(rollups.COMPACT, {"limit": rollups.SPANS_PER_COMPACTION}).fetchone()
                if row is None or row[0] < rollups.SPANS_PER_COMPACTION:
                    break
            done = time.perf_counter()
            after = cpu_seconds(server.process.pid)
    finally:
        server.stop()
    assert result["errors"] == 0 and result["accepted"] == CLIENTS * batches * 200, result
    cpu = cpu_delta(before["server"], after["server"]) + cpu_delta(before["postgres"], after["postgres"])
    return {"rate": result["accepted"] / (done - started), "drain_ms": (done - answered) * 1000,
            "cpu_ms_per_1000": cpu * 1000 / result["accepted"] * 1000, "p50_ms": result["p50_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=250, help="batches per client and phase")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average before: {os.getloadavg()}", flush=True)
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with throwaway_database("wfh_bench_modes") as url, tempfile.TemporaryDirectory() as shots:
        BENCH_DB[:] = [url]
        emp = 2000
        for n in range(args.rounds):
            order = list(MODES)
            random.Random(n).shuffle(order)
            for mode in order:
                r = run_mode(url, shots, mode, emp, args.batches)
                emp += CLIENTS
                results[mode].append(r)
                print(f"round {n + 1} {mode:<6} {r['rate']:>8,.0f} records/s incl. compaction (done"
                      f" {r['drain_ms']:5.0f} ms after the last answer), p50 {r['p50_ms']:.1f} ms,"
                      f" server+postgres CPU {r['cpu_ms_per_1000']:.1f} ms per 1,000 records", flush=True)
    base_rate = statistics.median(r["rate"] for r in results["none"])
    base_cpu = statistics.median(r["cpu_ms_per_1000"] for r in results["none"])
    for mode, rows in results.items():
        rate = statistics.median(r["rate"] for r in rows)
        cpu = statistics.median(r["cpu_ms_per_1000"] for r in rows)
        print(f"median {mode:<6} {rate:>8,.0f} records/s (x{rate / base_rate:.3f} of none),"
              f" CPU {cpu:.1f} ms per 1,000 records (x{cpu / base_cpu:.3f})")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
