"""Sync worker benchmarks (not collected by pytest). Prints figures with their conditions.

    python tests/bench/bench_sync.py              # drain 10,000 spans, 7-day backlog, idle CPU (30 s)
    python tests/bench/bench_sync.py --idle 300   # longer idle-CPU window
    python tests/bench/bench_sync.py --only week  # just the 7-day backlog (contract v1.1 target)

Runs a real ``wfh-ingest serve`` (2 workers, default rate limit 60/min burst 20) on 127.0.0.1 over a
throwaway PostgreSQL database, and the real sync engine with the contract's pacing (after the first
20 requests of a cycle, at most 1 request per second; v1.1: screenshots by their own 50 MiB / 5 MiB/s
byte budget). Targets (issue 7): ≥ 5,000 records/s end to end for 10,000 queued spans; a 7-day
backlog drained in ≤ 60 s; ≤ 1 % CPU when idle. Issue 13: the backlog with 200 screenshots of
~150 KB (noise PNGs 224 x 224) in ≤ 60 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.profile import Profile  # noqa: E402
from app.sync.engine import SyncEngine  # noqa: E402
from app.sync.keystore import KeyStore  # noqa: E402
from tests.e2e.conftest import write_heartbeats, write_week  # noqa: E402
from tests.support.pg import throwaway_database  # noqa: E402
from tests.support.server import create_key, start_server  # noqa: E402


def fresh_profile(base: Path, name: str, url: str, key: str, batch: int) -> tuple[Profile, KeyStore]:
    profile = Profile.open(base / name)
    profile.settings.set("ingestion.api.base_url", url)
    profile.settings.set("ingestion.batch_size", batch)
    store = KeyStore(profile.paths.key_file, environ={}, backend=None)
    store.set(key)
    return profile, store


def drain(profile: Profile, store: KeyStore) -> tuple[float, Any]:
    engine = SyncEngine(profile.db, profile.settings, profile.paths.data_dir, store)
    started = time.perf_counter()
    result = engine.run_cycle(force_other=True)
    return time.perf_counter() - started, result


def bench_drain(base: Path, url: str, db_url: str) -> None:
    for batch in (1000, 200):
        key = create_key(db_url, 1001, f"BENCH-DRAIN-{batch}")
        profile, store = fresh_profile(base, f"drain{batch}", url, key, batch)
        write_heartbeats(profile, 10_000)
        seconds, result = drain(profile, store)
        assert result.state == "synced", result.as_dict()
        print(f"drain 10,000 heartbeat spans, batch_size {batch}: {seconds:.2f} s = "
              f"{10_000 / seconds:,.0f} records/s ({result.requests} requests; pacing after 20)")
        profile.close()


def bench_week(base: Path, url: str, db_url: str) -> None:
    for batch, shots, side in ((200, 0, 4), (1000, 0, 4), (200, 200, 4), (200, 200, 224)):
        key = create_key(db_url, 1001, f"BENCH-WEEK-{batch}-{shots}-{side}")
        profile, store = fresh_profile(base, f"week{batch}-{shots}-{side}", url, key, batch)
        write_week(profile, screenshots=shots, shot_side=side)
        shot_bytes = sum(p.stat().st_size for p in (profile.paths.data_dir / "screenshots").glob("*.png"))
        seconds, result = drain(profile, store)
        assert result.state == "synced", result.as_dict()
        print(f"7-day backlog (10,080 spans + daily aggregates + {shots} screenshots, "
              f"{shot_bytes / max(shots, 1) / 1000:.0f} KB each), batch_size {batch}: {seconds:.2f} s"
              f" ({result.requests} requests)")
        profile.close()


def bench_idle(base: Path, url: str, db_url: str, seconds: float) -> None:
    import psutil
    from PySide6.QtCore import QCoreApplication, QTimer

    from app.sync.worker import SyncController

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    key = create_key(db_url, 1001, "BENCH-IDLE")
    profile, store = fresh_profile(base, "idle", url, key, 200)
    ctl = SyncController(profile, keystore=store)
    ctl.start()
    QTimer.singleShot(2000, app.quit)  # let the first (empty) cycle finish
    app.exec()
    proc = psutil.Process()
    before = proc.cpu_times()
    wall = time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    after = proc.cpu_times()
    wall = time.perf_counter() - wall
    ctl.stop()
    cpu = (after.user - before.user) + (after.system - before.system)
    print(f"idle worker, nothing pending, {wall:.0f} s window (5 s poll, 300/900 s timers): "
          f"{100 * cpu / wall:.3f} % of one core (whole process incl. Qt event loop)")
    profile.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=30.0, help="idle-CPU window in seconds")
    parser.add_argument("--only", choices=("drain", "week", "idle"), help="run one benchmark only")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    with throwaway_database("wfh_bench_sync") as db_url, tempfile.TemporaryDirectory() as tmp:
        server = start_server(db_url, Path(tmp) / "shots", workers=2)
        try:
            base = Path(tmp)
            if args.only in (None, "drain"):
                bench_drain(base, server.url, db_url)
            if args.only in (None, "week"):
                bench_week(base, server.url, db_url)
            if args.only in (None, "idle"):
                bench_idle(base, server.url, db_url, args.idle)
        finally:
            server.stop()
    print(f"load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
