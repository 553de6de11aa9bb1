"""E2E 8, 2, 9: disk full on the client, ``kill -9`` of the syncing process, and a responsive GUI
thread while 10,000 records sync."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

from app.sync import outbox
from tests.e2e.conftest import E2E, write_heartbeats


def _spans(n: int) -> list[Any]:
    from app.monitor.spans import Span

    base = int(time.time() * 1000) - 3_600_000
    return [Span(base + i * 1000, base + i * 1000 + 999, "UTC", "active", "code", "x" * 200,
                 client_id=str(uuid.uuid4())) for i in range(n)]


def test_disk_full_pauses_then_resumes_without_loss(e2e: E2E) -> None:
    from app.monitor.store import MonitorStore

    store = MonitorStore(e2e.profile.db)
    assert store.write_spans(_spans(600))
    conn = e2e.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # this connection can no longer grow the file: SQLITE_FULL
    try:
        assert not store.write_spans(_spans(400))  # capture: the write is refused, the app keeps running
        result = e2e.engine().run_cycle()
        assert result.state == "error" and "disk is full" in result.detail, result.as_dict()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.execute("PRAGMA max_page_count = 2147483646")
    assert store.write_spans(_spans(50))  # space is back: capture resumes
    assert e2e.engine().run_cycle().state == "synced"
    remote = e2e.server_ids("heartbeats")
    assert len(remote) == len(set(remote)) == 650
    assert set(remote) == set(e2e.local_ids("heartbeats"))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


KILLS = 50


def test_kill_9_during_sync_repeatedly(e2e: E2E) -> None:
    e2e.profile.settings.set("ingestion.batch_size", 50)
    e2e.profile.settings.save()
    data_dir = str(e2e.profile.paths.data_dir)
    rng = random.Random(11)
    env = {k: v for k, v in os.environ.items() if k != "WFH_AGENT_API_KEY"}
    command = [sys.executable, "-m", "app.cli", "--data-dir", data_dir, "sync", "--once"]
    write_heartbeats(e2e.profile, 600)
    for _ in range(KILLS):
        write_heartbeats(e2e.profile, 20)  # capture goes on between runs
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.15, 0.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    remote = e2e.server_ids("heartbeats")
    local = e2e.local_ids("heartbeats")
    assert len(remote) == len(set(remote)) == len(local) == 600 + 20 * KILLS
    assert set(remote) == set(local)
    assert e2e.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_gui_stays_responsive_during_10000_record_sync(qtbot: Any, e2e: E2E) -> None:
    """The GUI thread never waits 50 ms. It once did (74 ms, and up to 230 ms under a probe): the
    sync worker's allocations triggered a full garbage collection, which walks the whole heap with
    the GIL held. The app freezes its start-up heap before the event loop (run_gui), as here."""
    import gc

    from app.ui.gc_guard import freeze_startup_heap

    write_heartbeats(e2e.profile, 10_000)
    freeze_startup_heap()  # what run_gui does once the window is up
    try:
        _sync_10000_and_measure_gaps(qtbot, e2e)
    finally:
        gc.unfreeze()  # the test session's heap goes back to normal collection


def test_a_full_garbage_collection_after_start_up_is_cheap() -> None:
    """The cause of the stall, measured in CPU time (immune to the machine's load): a full
    collection walks every tracked object with the GIL held; after freeze_startup_heap it walks
    only what was created since."""
    import gc

    from app.ui.gc_guard import freeze_startup_heap

    def collect_cpu_ms() -> float:
        started = time.thread_time()
        gc.collect()
        return (time.thread_time() - started) * 1000

    gc.collect()
    baseline = min(collect_cpu_ms() for _ in range(3))
    freeze_startup_heap()
    try:
        frozen = min(collect_cpu_ms() for _ in range(3))
    finally:
        gc.unfreeze()
    assert baseline > 5 * frozen and frozen < 5, (baseline, frozen)


def _sync_10000_and_measure_gaps(qtbot: Any, e2e: E2E) -> None:
    from PySide6.QtCore import QTimer

    from app.sync.worker import SyncController

    gaps: list[tuple[float, float]] = []  # (wall ms between ticks, ms the machine kept our threads waiting)
    last = [time.perf_counter(), _run_queue_waits()]

    def tick() -> None:
        now, waits = time.perf_counter(), _run_queue_waits()
        starved = max((waits[tid] - last[1].get(tid, waits[tid]) for tid in waits), default=0.0)
        gaps.append(((now - last[0]) * 1000, starved))
        last[0], last[1] = now, waits

    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(tick)
    probe.start()
    ctl = SyncController(e2e.profile, keystore=e2e.keystore, pace_seconds=0, poll_ms=1000)
    try:
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=60_000,
                              check_params_cb=lambda r: r["state"] == "synced"):
            ctl.start()
    finally:
        probe.stop()
        assert ctl.stop()
    assert len(e2e.server_ids("heartbeats")) == 10_000
    assert outbox.pending_counts(e2e.conn, ["heartbeats"]) == {"heartbeats": 0}
    assert len(gaps) > 20
    stalls = sorted(((round(wall - starved, 1), round(wall, 1)) for wall, starved in gaps[1:]), reverse=True)
    assert stalls[0][0] < 50, f"(stall ms, wall ms): {stalls[:5]}"


def _run_queue_waits() -> dict[str, float]:
    """Per thread of this process: ms spent runnable but not running (Linux schedstat).

    Other work on the shared 2-core machine can keep the GUI thread, or the sync thread while it
    holds the GIL, off the CPU; the test subtracts that from each gap so it measures what the app
    does to its GUI thread, not the machine's load. Without /proc every wait counts as 0.
    """
    waits: dict[str, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return waits
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as handle:
                waits[tid] = int(handle.read().split()[1]) / 1e6
        except (OSError, IndexError, ValueError):
            continue
    return waits
