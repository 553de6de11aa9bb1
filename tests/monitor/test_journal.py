"""The crash-safe journal: what is held in memory survives a crash and is replayed once at startup."""

from __future__ import annotations

from typing import Any

from app.monitor.journal import MonitorJournal
from app.monitor.runner import MonitorRunner
from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms, ms_to_iso
from tests.monitor.conftest import FakeClock, FakeIdle, FakeShots, FakeWindow
from tests.monitor.test_runner import make, rows, ticks


def crash(runner: MonitorRunner) -> None:
    """What ``kill -9`` leaves: no ``stop()``, no flush; only what was committed is on disk."""
    runner.request_stop()
    del runner


def restart(profile: Any, clock: FakeClock) -> MonitorRunner:
    runner = MonitorRunner(profile, window_backend=FakeWindow("code", "after.py"), idle_backend=FakeIdle(),
                           screenshot_taker=FakeShots(), wall=clock.wall, mono=clock.mono)
    runner.start()
    return runner


def heartbeats(profile: Any) -> list[Any]:
    return rows(profile, "SELECT client_id, started_at, ended_at, status, window_title FROM heartbeats "
                         "ORDER BY started_at")


def test_a_crash_loses_nothing_up_to_the_last_tick(consented: Any, clock: FakeClock) -> None:
    runner, window, _, _, _ = make(consented, clock)
    start_ms = int(clock.wall() * 1000)
    for title in ("a.py", "b.py", "c.py"):
        window.set("code", title)
        ticks(runner, clock, 4)
    last_tick_ms = int((clock.wall() - 5) * 1000)
    assert heartbeats(consented) == []          # everything is still held back (hold = 65 s) ...
    assert len(MonitorJournal(runner.store).load().spans()) == 3   # ... but journaled
    crash(runner)
    clock.advance(30)
    restart(consented, clock)
    got = heartbeats(consented)
    assert [r["window_title"] for r in got] == ["a.py", "b.py", "c.py"]
    assert iso_to_ms(got[0]["started_at"]) == start_ms and iso_to_ms(got[-1]["ended_at"]) == last_tick_ms
    assert all(a["ended_at"] == b["started_at"] for a, b in zip(got, got[1:], strict=False))
    assert rows(consented, "SELECT COUNT(*) FROM monitor_journal")[0][0] == 0
    assert rows(consented, "SELECT COUNT(*) FROM productivity")[0][0] == 1   # totals include the replay


def test_replay_after_releases_sends_nothing_twice_and_keeps_ids(consented: Any, clock: FakeClock) -> None:
    runner, window, _, _, _ = make(consented, clock, idle_threshold=10)   # hold = 15 s: spans get released
    for i in range(12):
        window.set("code", f"f{i}.py")
        ticks(runner, clock, 2)
    released = {r["client_id"]: tuple(r) for r in heartbeats(consented)}
    assert released and MonitorJournal(runner.store).load().spans()
    crash(runner)
    clock.advance(20)
    second = restart(consented, clock)
    ticks(second, clock, 3)
    crash(second)
    clock.advance(20)
    restart(consented, clock).stop()
    got = heartbeats(consented)
    ids = [r["client_id"] for r in got]
    assert len(ids) == len(set(ids))
    assert all(tuple(r) == released[r["client_id"]] for r in got if r["client_id"] in released)
    titles = [r["window_title"] for r in got]
    assert titles[:12] == [f"f{i}.py" for i in range(12)] and titles.count("after.py") == 1
    for a, b in zip(got, got[1:], strict=False):
        assert a["ended_at"] <= b["started_at"], (a, b)     # no overlap
    timeline_ids = [r[0] for r in rows(consented, "SELECT client_id FROM timeline")]
    assert len(timeline_ids) == len(set(timeline_ids))
    assert rows(consented, "PRAGMA integrity_check")[0][0] == "ok"


def test_open_timeline_entry_survives_a_crash(consented: Any, clock: FakeClock) -> None:
    runner, window, _, _, _ = make(consented, clock, idle_threshold=10)
    ticks(runner, clock, 12)                         # one app for 60 s: spans released, entry still open
    assert rows(consented, "SELECT COUNT(*) FROM timeline")[0][0] == 0
    crash(runner)
    restart(consented, clock)
    entries = rows(consented, "SELECT started_at, ended_at, kind, label FROM timeline")
    assert [(e["kind"], e["label"]) for e in entries] == [("app", "code")]
    assert iso_to_ms(entries[0]["ended_at"]) - iso_to_ms(entries[0]["started_at"]) == 55_000


def test_backdated_idle_rewrites_the_journal_not_the_outbox(consented: Any, clock: FakeClock) -> None:
    runner, window, idle, _, _ = make(consented, clock)   # idle threshold 60 s, hold 65 s
    ticks(runner, clock, 20)
    idle.idle = 60
    ticks(runner, clock, 1)                          # the last 60 s become idle, in the journal
    held = MonitorJournal(runner.store).load().spans()
    assert [s.status for s in held] == ["active", "idle"]
    assert held[1].end_ms - held[1].start_ms == 60_000
    assert heartbeats(consented) == []
    crash(runner)
    restart(consented, clock)
    assert [r["status"] for r in heartbeats(consented)] == ["active", "idle"]


def test_a_pause_survives_a_restart_until_it_expires(consented: Any, clock: FakeClock) -> None:
    runner, _, _, _, events = make(consented, clock)
    ticks(runner, clock, 2)
    runner.request_pause(3600)
    runner._apply_requests()
    until = runner.paused_until_ms
    runner.stop()
    clock.advance(600)
    again = restart(consented, clock)
    assert again.state == "paused" and again.paused_until_ms == until
    ticks(again, clock, 3)
    assert heartbeats(consented)[-1]["ended_at"] < ms_to_iso(int(clock.wall() * 1000) - 600_000)
    again.stop()
    clock.advance(3600)
    third = restart(consented, clock)
    assert third.state == "running"
    assert rows(consented, "SELECT COUNT(*) FROM monitor_state WHERE key = 'paused_until'")[0][0] == 0


def test_pause_until_resumed_survives_a_restart_and_resume_forgets_it(consented: Any, clock: FakeClock) -> None:
    runner, _, _, _, _ = make(consented, clock)
    runner.request_pause(None)
    runner._apply_requests()
    runner.stop()
    again = restart(consented, clock)
    assert again.state == "paused" and again.paused_until_ms is None
    again.request_resume()
    again._apply_requests()
    again.stop()
    assert restart(consented, clock).state == "running"


def test_unreadable_pause_value_counts_as_expired(consented: Any, clock: FakeClock) -> None:
    store = MonitorStore(consented.db)
    consented.db.get().execute("INSERT INTO monitor_state(key, value) VALUES ('paused_until', 'soon')")
    assert MonitorJournal(store).load_pause(int(clock.wall() * 1000)) == (False, None)
