"""Monitoring reads its settings through the typed accessors: a hand-edited config.json with a wrong type
reads as the built-in default (``config.DEFAULTS``) instead of crashing the monitoring thread."""

from __future__ import annotations

from typing import Any

from app.config import default_of
from app.monitor.runner import MonitorRunner, hold_seconds, uploads_configured
from tests.monitor.conftest import FakeClock, FakeIdle, FakeShots, FakeWindow

MISTYPED = {"sample_interval": "fast", "idle_threshold": None, "screenshot_interval": "10 min",
            "screenshots_enabled": "yes", "aggregate_interval": [60], "workday_hours": "eight",
            "screenshot_jitter": {}, "passive_media": 1}


def test_mistyped_monitoring_settings_read_as_their_defaults(consented: Any, clock: FakeClock) -> None:
    for key, value in MISTYPED.items():
        consented.settings.set(f"monitoring.{key}", value)
    runner = MonitorRunner(consented, window_backend=FakeWindow(), idle_backend=FakeIdle(),  # type: ignore[arg-type]
                           screenshot_taker=FakeShots(), wall=clock.wall, mono=clock.mono)  # before: ValueError
    assert runner.interval == float(default_of("monitoring.sample_interval"))
    assert runner.idle_threshold == float(default_of("monitoring.idle_threshold"))
    assert runner.shot_interval == float(default_of("monitoring.screenshot_interval"))
    assert runner.screenshots_enabled is default_of("monitoring.screenshots_enabled")
    assert runner.aggregate_interval == float(default_of("monitoring.aggregate_interval"))
    assert runner.workday_hours == float(default_of("monitoring.workday_hours"))
    assert runner.jitter == default_of("monitoring.screenshot_jitter")
    assert runner.passive_media is default_of("monitoring.passive_media")  # 1 is not a flag: the default
    assert hold_seconds(consented.settings) == runner.idle_threshold + runner.interval


def test_hold_seconds_and_uploads_follow_the_settings(profile: Any) -> None:
    profile.settings.set("monitoring.idle_threshold", 60)
    profile.settings.set("monitoring.sample_interval", 0.5)
    assert hold_seconds(profile.settings) == 60.5
    assert not uploads_configured(profile.settings)  # no server set up
    profile.settings.set("ingestion.api.base_url", 8080)  # a number is no URL: before it counted as one
    assert not uploads_configured(profile.settings)
    profile.settings.set("ingestion.api.base_url", "https://ingest.example")
    assert uploads_configured(profile.settings)
    profile.settings.set("ingestion.enabled", False)
    assert not uploads_configured(profile.settings)
