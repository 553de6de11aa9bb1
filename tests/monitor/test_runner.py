"""The monitoring loop with scripted backends and a hand-driven clock (no X server needed)."""

from __future__ import annotations

from typing import Any

import psutil
import pytest

from app.monitor import consent
from app.monitor.runner import MonitorEvents, MonitorRunner, NoConsentError
from app.monitor.sampler import Sampler
from app.monitor.window import ActiveWindow
from tests.monitor.conftest import FakeClock, FakeIdle, FakeShots, FakeWindow


class Recorder(MonitorEvents):
    def __init__(self) -> None:
        self.states: list[tuple[str, str]] = []
        self.idle: list[tuple[int, int]] = []
        self.detected: list[tuple[int, int]] = []
        self.warnings: list[str] = []

    def state_changed(self, state: str, detail: str) -> None:
        self.states.append((state, detail))

    def idle_detected(self, start_ms: int, detected_ms: int) -> None:
        self.detected.append((start_ms, detected_ms))

    def idle_returned(self, start_ms: int, end_ms: int) -> None:
        self.idle.append((start_ms, end_ms))

    def warning(self, message: str) -> None:
        self.warnings.append(message)


def make(profile: Any, clock: FakeClock, **settings: Any) -> tuple[MonitorRunner, FakeWindow, FakeIdle,
                                                                    FakeShots, Recorder]:
    base = {"sample_interval": 5, "idle_threshold": 60, "screenshot_interval": 60, "screenshot_jitter": 0,
            "aggregate_interval": 30, "screenshots_enabled": True}  # off by default (issue 15); these test capture
    base.update(settings)
    for key, value in base.items():
        profile.settings.set(f"monitoring.{key}", value)
    window, idle, shots, events = FakeWindow(), FakeIdle(), FakeShots(), Recorder()
    runner = MonitorRunner(profile, events=events, window_backend=window, idle_backend=idle,
                           screenshot_taker=shots, wall=clock.wall, mono=clock.mono)  # type: ignore[arg-type]
    runner.start()
    return runner, window, idle, shots, events


def ticks(runner: MonitorRunner, clock: FakeClock, count: int, step: float = 5) -> None:
    for _ in range(count):
        runner.tick()
        clock.advance(step)


def rows(profile: Any, sql: str) -> list[Any]:
    return profile.db.get().execute(sql).fetchall()


def test_nothing_is_captured_before_consent(profile: Any, clock: FakeClock) -> None:
    runner = MonitorRunner(profile, window_backend=FakeWindow(), idle_backend=FakeIdle(),
                           screenshot_taker=FakeShots(), wall=clock.wall, mono=clock.mono)  # type: ignore[arg-type]
    with pytest.raises(NoConsentError, match="consent --accept"):
        runner.run(duration=1)
    assert rows(profile, "SELECT COUNT(*) FROM heartbeats")[0][0] == 0


def test_changed_consent_text_asks_again(consented: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = consented.db.get()
    assert consent.has_consent(conn)
    monkeypatch.setattr(consent, "CONSENT_TEXT", consent.CONSENT_TEXT + "\nand more")
    assert not consent.has_consent(conn)


def test_spans_categories_timeline_and_aggregates_are_written(consented: Any, clock: FakeClock) -> None:
    runner, window, _, _, _ = make(consented, clock)
    ticks(runner, clock, 10)
    window.set("firefox", "Pull requests · GitHub — Mozilla Firefox")
    ticks(runner, clock, 10)
    window.set("firefox", "Funny cats - YouTube — Mozilla Firefox")
    ticks(runner, clock, 4)
    runner.stop()
    spans = rows(consented, "SELECT process_name, domain, category, status FROM heartbeats ORDER BY started_at")
    assert [tuple(r) for r in spans] == [("code", None, "productive", "active"),
                                         ("firefox", "github.com", "productive", "active"),
                                         ("firefox", "youtube.com", "unproductive", "active")]
    kinds = [tuple(r) for r in rows(consented, "SELECT kind, label FROM timeline ORDER BY started_at")]
    assert kinds == [("app", "code"), ("web", "github.com"), ("web", "youtube.com")]
    prod = rows(consented, "SELECT productive_seconds, unproductive_seconds FROM productivity")[0]
    assert tuple(prod) == (100, 15)
    assert {r[0] for r in rows(consented, "SELECT domain FROM website_usage")} == {"github.com", "youtube.com"}
    assert window.closed


def test_pause_writes_open_span_and_resume_records_offline_gap(consented: Any, clock: FakeClock) -> None:
    runner, _, _, shots, events = make(consented, clock)
    ticks(runner, clock, 4)
    runner.request_pause(15 * 60)
    runner._apply_requests()
    assert events.states[-1][0] == "paused" and runner.paused_until_ms is not None
    assert rows(consented, "SELECT COUNT(*) FROM heartbeats")[0][0] == 1   # the open span was closed
    ticks(runner, clock, 10, step=60)                                      # paused: nothing sampled
    assert rows(consented, "SELECT COUNT(*) FROM heartbeats")[0][0] == 1 and shots.taken == []
    clock.advance(300)
    ticks(runner, clock, 3)                                                # 15 min over: resumes
    assert events.states[-1] == ("running", "")
    runner.stop()
    statuses = [r[0] for r in rows(consented, "SELECT status FROM heartbeats ORDER BY started_at")]
    assert statuses == ["active", "offline", "active"]


def test_pause_until_resumed(consented: Any, clock: FakeClock) -> None:
    runner, _, _, _, events = make(consented, clock)
    runner.request_pause(None)
    runner._apply_requests()
    assert events.states[-1] == ("paused", "until resumed")
    ticks(runner, clock, 100, step=60)
    assert runner.state == "paused"
    runner.request_resume()
    runner._apply_requests()
    assert runner.state == "running"


def test_idle_is_backdated_and_return_is_reported(consented: Any, clock: FakeClock) -> None:
    runner, window, idle, shots, events = make(consented, clock, screenshot_interval=10)
    ticks(runner, clock, 4)                 # active 0..20
    for _ in range(16):                     # no input from 20 s; threshold 60 s reached at 80 s
        idle.idle += 5
        ticks(runner, clock, 1)
    idle.idle = 0
    ticks(runner, clock, 2)
    runner.stop()
    spans = rows(consented, "SELECT status, started_at, ended_at FROM heartbeats ORDER BY started_at")
    assert [r[0] for r in spans] == ["active", "idle", "active"]
    assert len(events.idle) == 1
    start, end = events.idle[0]
    assert end - start >= 60_000
    assert len(events.detected) == 1 and events.detected[0][0] == start
    assert events.detected[0][1] - start == 60_000      # detected at the first sample at the threshold
    # no capture once idle was known (threshold reached), until the user came back
    assert not [shot for shot in shots.taken if start + 60_000 <= shot < end]
    assert len(shots.taken) >= 5


def test_excluded_app_has_blank_title_and_no_screenshot(consented: Any, clock: FakeClock) -> None:
    runner, window, _, shots, _ = make(consented, clock, screenshot_interval=10)
    window.set("KeePassXC", "Passwords.kdbx - KeePassXC")
    ticks(runner, clock, 10)
    assert shots.taken == []
    window.set("code", "x.py")
    ticks(runner, clock, 6)
    runner.stop()
    assert shots.taken
    titles = [tuple(r) for r in rows(consented, "SELECT process_name, window_title FROM heartbeats")]
    assert ("KeePassXC", "") in titles


def test_screenshots_follow_interval_and_skip_locked(consented: Any, clock: FakeClock) -> None:
    runner, _, idle, shots, _ = make(consented, clock, screenshot_interval=30)
    ticks(runner, clock, 13)                 # 65 s active: shots at ~30 s and ~60 s
    assert len(shots.taken) == 2
    idle.locked = True
    ticks(runner, clock, 13)
    assert len(shots.taken) == 2
    runner.stop()
    assert "locked" in [r[0] for r in rows(consented, "SELECT status FROM heartbeats")]


def test_clock_jumps_keep_spans_apart(consented: Any, clock: FakeClock) -> None:
    runner, window, _, _, _ = make(consented, clock)
    ticks(runner, clock, 5)
    clock.jump_wall(-3600)
    window.set("code", "other.py")
    ticks(runner, clock, 5)
    clock.jump_wall(+7200)
    ticks(runner, clock, 5)
    runner.stop()
    spans = rows(consented, "SELECT started_at, ended_at FROM heartbeats ORDER BY started_at")
    for left, right in zip(spans, spans[1:], strict=False):
        assert left["ended_at"] <= right["started_at"]
    assert all(r["started_at"] < r["ended_at"] for r in spans)


def test_disk_full_keeps_the_agent_running_and_warns(consented: Any, clock: FakeClock) -> None:
    runner, window, _, _, events = make(consented, clock)
    conn = runner.store.conn
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    for i in range(30):
        window.set("code", f"file{i}.py " + "x" * 900)
        ticks(runner, clock, 1)
    assert any("disk is full" in w for w in events.warnings)
    conn.execute("PRAGMA max_page_count = 1073741823")
    window.set("code", "after.py")
    ticks(runner, clock, 3)
    runner.stop()
    assert rows(consented, "SELECT COUNT(*) FROM heartbeats WHERE window_title = 'after.py'")[0][0] == 1
    assert runner.store.counter("disk_full_heartbeats") > 0
    assert rows(consented, "SELECT COUNT(*) FROM productivity")[0][0] == 1   # totals caught up after space returned


@pytest.mark.parametrize("error", [psutil.AccessDenied(1), psutil.NoSuchProcess(1), psutil.ZombieProcess(1)])
def test_psutil_errors_only_blank_the_process_name(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def boom(pid: int) -> Any:
        raise error

    monkeypatch.setattr(psutil, "Process", boom)
    window = FakeWindow()
    window.current = ActiveWindow(pid=4242, title="Secret - Firefox")
    sample = Sampler(window, FakeIdle(), idle_threshold=60).tick()
    assert sample.process_name == "" and sample.window_title == "Secret - Firefox"
    assert sample.status == "active"


def test_backend_exceptions_never_stop_sampling() -> None:
    class Broken:
        def active_window(self) -> Any:
            raise RuntimeError("X went away")

        def idle_seconds(self) -> Any:
            raise OSError("gone")

        def is_locked(self) -> Any:
            raise OSError("gone")

    sample = Sampler(Broken(), Broken()).tick()
    assert sample.status == "active" and sample.process_name == "" and sample.idle_seconds == 0.0


def test_dst_night_and_local_midnight_go_to_the_right_local_days(
        consented: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.monitor.timeutil import iso_to_ms

    monkeypatch.setenv("TZ", "Europe/Berlin")
    # 2026-10-24 23:55 CEST (21:55Z) for 10 min crosses local midnight; later the 03:00→02:00 fall-back.
    clock = FakeClock(wall=iso_to_ms("2026-10-24T21:55:00Z") / 1000)
    runner, window, _, _, _ = make(consented, clock)
    ticks(runner, clock, 121)                     # 21:55Z → 22:05Z
    clock.advance(iso_to_ms("2026-10-25T00:30:00Z") / 1000 - clock.wall_now)  # a gap: offline
    ticks(runner, clock, 721)                     # 00:30Z → 01:30Z covers 02:30 CEST → 02:30 CET
    runner.stop()
    days = {r["date"]: r["productive_seconds"] for r in rows(consented, "SELECT * FROM productivity")}
    assert days == {"2026-10-24": 300, "2026-10-25": 300 + 3600}
    assert {r[0] for r in rows(consented, "SELECT tz FROM heartbeats")} == {"Europe/Berlin"}
