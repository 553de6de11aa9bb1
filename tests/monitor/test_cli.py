"""CLI: consent, headless monitor (no consent, --for, SIGTERM), activity export shape."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from app.monitor.store import MonitorStore
from app.monitor.timeutil import iso_to_ms
from tests.monitor.test_store import span

ROOT = Path(__file__).resolve().parents[2]


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=env or headless_env(), **kw)


def headless_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["TZ"] = "Europe/Berlin"
    return env


def fast_config(data_dir: Path) -> None:
    (data_dir / "config.json").write_text(json.dumps(
        {"monitoring": {"sample_interval": 0.2, "aggregate_interval": 0.5}}), encoding="utf-8")


def test_monitor_without_consent_exits_nonzero_with_howto(data_dir: Path) -> None:
    result = cli(data_dir, "monitor", "--for", "1")
    assert result.returncode == 3
    assert "consent --accept" in result.stderr


def test_consent_accept_prints_text_and_then_monitor_runs(data_dir: Path) -> None:
    result = cli(data_dir, "consent", "--accept")
    assert result.returncode == 0
    assert "what is captured and what is sent" in result.stdout and "Consent recorded" in result.stdout
    assert "accepted at" in cli(data_dir, "consent").stdout
    fast_config(data_dir)
    result = cli(data_dir, "monitor", "--for", "1.5")
    assert result.returncode == 0, result.stderr
    assert "monitor: stopped" in result.stderr
    today = subprocess.run([sys.executable, "-c", "import datetime, zoneinfo;"
                            "print(datetime.datetime.now(zoneinfo.ZoneInfo('Europe/Berlin')).date())"],
                           capture_output=True, text=True).stdout.strip()
    data = json.loads(cli(data_dir, "activity", "--date", today, "--json").stdout)
    assert data["tz"] == "Europe/Berlin" and data["spans"]
    assert data["spans"][-1]["status"] == "active"


def test_sigterm_stops_cleanly_and_writes_the_open_span(data_dir: Path) -> None:
    assert cli(data_dir, "consent", "--accept").returncode == 0
    fast_config(data_dir)
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "monitor"],
                            cwd=ROOT, env=headless_env(), stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        lines = iter(proc.stderr.readline, "")
        assert any("monitor: running" in line for line in lines)
        try:  # let it sample for a second (several 0.2 s ticks); it must still be running then
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:  # a failed assertion must not leave a sampling process behind
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err
    assert "monitor: stopped" in err
    from app.profile import Profile

    opened = Profile.open(data_dir)
    try:
        count = opened.db.get().execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0]
    finally:
        opened.close()
    assert count >= 1


def test_activity_json_has_the_documented_shape(profile: Any, data_dir: Path) -> None:
    store = MonitorStore(profile.db)
    store.write_spans([span("2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z", domain="github.com",
                            process_name="firefox", window_title="PRs · GitHub")])
    store.update_day(date(2026, 11, 26), __import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    store.insert_screenshot({"client_id": "0b7e8d0e-5a43-4c53-9a9c-0d2b8e7f0d11",
                             "captured_at": "2026-11-26T08:30:00.000Z", "file_path": "screenshots/x.png",
                             "sha256": "0" * 64, "size_bytes": 1, "width": 1, "height": 1, "format": "png",
                             "blurred": 0})
    profile.close()
    data = json.loads(cli(data_dir, "activity", "--date", "2026-11-26", "--json").stdout)
    assert set(data) == {"date", "tz", "spans", "aggregates", "screenshots"}
    assert data["date"] == "2026-11-26" and data["tz"] == "Europe/Berlin"
    assert set(data["spans"][0]) == {"client_id", "started_at", "ended_at", "status", "app", "title", "domain",
                                     "category", "synced"}
    assert data["spans"][0]["started_at"] == "2026-11-26T08:00:00.000Z"
    assert iso_to_ms(data["spans"][0]["ended_at"]) - iso_to_ms(data["spans"][0]["started_at"]) == 3_600_000
    assert set(data["aggregates"]) == {"website_usage", "productivity", "wellness"}
    assert data["aggregates"]["website_usage"][0]["domain"] == "github.com"
    assert data["aggregates"]["productivity"]["productive_seconds"] == 3600
    assert data["screenshots"] == [{"client_id": "0b7e8d0e-5a43-4c53-9a9c-0d2b8e7f0d11",
                                    "captured_at": "2026-11-26T08:30:00.000Z", "file": "screenshots/x.png",
                                    "sha256": "0" * 64, "synced": False}]
    bad = cli(data_dir, "activity", "--date", "26.11.2026")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_monitor_refuses_a_profile_the_desktop_app_holds(data_dir: Path) -> None:
    from app.paths import resolve_paths
    from app.single_instance import hold_profile

    assert cli(data_dir, "consent", "--accept").returncode == 0
    fast_config(data_dir)
    lock = hold_profile(resolve_paths(data_dir))  # stands in for the running window
    assert lock is not None
    try:
        busy = cli(data_dir, "monitor", "--for", "1")
    finally:
        lock.unlock()
    assert busy.returncode == 4 and "already running for this profile" in busy.stderr
    assert cli(data_dir, "monitor", "--for", "0.5").returncode == 0
