"""SyncWorker in its QThread: signals, Sync now, Work offline, stop within 2 s with a request in flight."""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import Qt

from app.sync import outbox
from app.sync.status import SyncState, SyncStatus
from app.sync.worker import SyncController
from app.ui.sync.status import describe
from tests.sync.replay import seed_heartbeats


def _controller(sync_env: Any, **kw: Any) -> SyncController:
    return SyncController(sync_env.profile, keystore=sync_env.keystore, pace_seconds=0, poll_ms=200, **kw)


def test_worker_syncs_and_signals(qtbot: Any, sync_env: Any) -> None:
    ids = seed_heartbeats(sync_env.conn, 30)
    ctl = _controller(sync_env)
    states: list[SyncStatus] = []
    ctl.worker.statusChanged.connect(states.append, Qt.ConnectionType.DirectConnection)
    try:
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=10_000) as blocker:
            ctl.start()
        assert blocker.args[0]["state"] == "synced"
        assert blocker.args[0]["synced"]["heartbeats"] == 30
        assert SyncState.SYNCING in [s.state for s in states] and states[-1].state is SyncState.SYNCED
        text = describe(ctl.current_status())
        assert text.startswith("Synced ") and text.endswith("· 0 pending")
        assert outbox.pending_counts(sync_env.conn, ["heartbeats"]) == {"heartbeats": 0}
        assert all(sync_env.conn.execute("SELECT synced_at FROM heartbeats WHERE client_id = ?", (i,)).fetchone()[0]
                   for i in ids)
        # Work offline: no cycle runs, state offline; switching back runs one.
        with qtbot.waitSignal(ctl.worker.statusChanged, timeout=5000,
                              check_params_cb=lambda s: s.state is SyncState.OFFLINE):
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
        with qtbot.waitSignal(ctl.worker.statusChanged, timeout=5000,
                              check_params_cb=lambda s: s.state is SyncState.UNREACHABLE):
            ctl.sync_now()
        retry_at = ctl.current_status().retry_at
        assert retry_at is not None and retry_at - time.time() <= 2.1
        with qtbot.waitSignal(ctl.worker.syncFinished, timeout=5000,
                              check_params_cb=lambda r: r["state"] == "synced"):
            pass  # the retry timer fires by itself after the jittered delay
    finally:
        assert ctl.stop()
