"""SyncWorker in its QThread: signals, Sync now, Work offline, stop within 2 s with a request in flight."""

from __future__ import annotations

import threading
import time
from typing import Any

from app.sync import outbox
from app.sync.worker import SyncController
from tests.sync.replay import seed_heartbeats


def _controller(sync_env: Any, **kw: Any) -> SyncController:
    return SyncController(sync_env.profile, keystore=sync_env.keystore, pace_seconds=0, poll_ms=200, **kw)


def test_worker_syncs_and_signals(qtbot: Any, sync_env: Any) -> None:
    ids = seed_heartbeats(sync_env.conn, 30)
    ctl = _controller(sync_env)
    states: list[tuple[str, str]] = []
    ctl.worker.syncStateChanged.connect(lambda s, d: states.append((s, d)))
    try:
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=10_000) as blocker:
            ctl.start()
        assert blocker.args[0]["state"] == "synced"
        assert blocker.args[0]["synced"]["heartbeats"] == 30
        assert ("syncing", "") in states and states[-1][0] == "synced"
        assert ctl.status_text().startswith("Synced ") and ctl.status_text().endswith("· 0 pending")
        assert outbox.pending_counts(sync_env.conn, ["heartbeats"]) == {"heartbeats": 0}
        assert all(sync_env.conn.execute("SELECT synced_at FROM heartbeats WHERE client_id = ?", (i,)).fetchone()[0]
                   for i in ids)
        # Work offline: no cycle runs, state offline; switching back runs one.
        with qtbot.waitSignal(ctl.worker.syncStateChanged, timeout=5000,
                              check_params_cb=lambda s, d: s == "offline"):
            ctl.set_work_offline(True)
        seed_heartbeats(sync_env.conn, 2)
        n = len(sync_env.server.seen)
        with qtbot.waitSignal(ctl.worker.pendingChanged, timeout=5000):
            pass  # the 200 ms poll notices the new rows
        assert len(sync_env.server.seen) == n
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=5000,
                              check_params_cb=lambda r: r["state"] == "synced"):
            ctl.set_work_offline(False)
        assert len(sync_env.server.seen) == n + 1
    finally:
        assert ctl.stop()


def test_stop_within_2s_abandons_inflight_request(qtbot: Any, sync_env: Any) -> None:
    ids = seed_heartbeats(sync_env.conn, 5)
    entered, release = threading.Event(), threading.Event()

    def slow(seen: Any) -> tuple[int, dict[str, str], bytes]:
        entered.set()
        release.wait(20)
        return 200, {"Content-Type": "application/json", "X-Wfh-Api-Version": "1"}, \
            b'{"accepted":5,"duplicates":0,"rejected":[]}'

    sync_env.server.script = [slow]
    ctl = _controller(sync_env)
    ctl.start()
    assert entered.wait(10)
    started = time.monotonic()
    assert ctl.stop()
    assert time.monotonic() - started < 2.0
    release.set()
    time.sleep(0.2)  # let the abandoned request finish: its answer must not be applied
    for cid in ids:
        assert sync_env.conn.execute("SELECT synced_at FROM heartbeats WHERE client_id = ?", (cid,)).fetchone()[0] \
            is None


def test_screenshot_triggers_cycle_and_backoff_schedules_retry(qtbot: Any, sync_env: Any) -> None:
    from tests.sync.replay import seed_screenshot, vector_screenshot

    ctl = _controller(sync_env)
    try:
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=5000):
            ctl.start()
        meta, content = vector_screenshot({"request": {}})
        seed_screenshot(sync_env.conn, sync_env.profile.paths.data_dir, meta, content)
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=5000,
                              check_params_cb=lambda r: r["synced"].get("screenshots") == 1):
            pass
        seed_heartbeats(sync_env.conn, 1)
        sync_env.server.script = [lambda seen: (502, {"Content-Type": "text/html"}, b"bad gateway")]
        with qtbot.waitSignal(ctl.worker.syncStateChanged, timeout=5000,
                              check_params_cb=lambda s, d: s == "unreachable"):
            ctl.sync_now()
        assert ctl.worker.retry_at is not None and ctl.worker.retry_at - time.time() <= 2.1
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=5000,
                              check_params_cb=lambda r: r["state"] == "synced"):
            pass  # the retry timer fires by itself after the jittered delay
    finally:
        assert ctl.stop()
