"""The command line as a new user meets it (issue 11): options in either place, a closed pipe,
``status`` without a server, times in JSON, bad config values, read-only or missing data folders."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def without_root_override(command: list[str]) -> list[str]:
    """As root, file modes do not bind: drop the capabilities that bypass them (util-linux setpriv),
    so a 0555 folder is read-only for the command exactly as for a normal user."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.fail("setpriv (util-linux) is needed to test a read-only folder as root")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *command]


def run_cli(*args: str | Path, read_only_user: bool = False, env_extra: dict[str, str] | None = None,
            **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``main.py`` in a fresh process (as a user file modes apply to, with ``read_only_user``)."""
    command = [sys.executable, str(ROOT / "main.py"), *map(str, args)]
    if read_only_user:
        command = without_root_override(command)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": tempfile.gettempdir(), **(env_extra or {})}
    env.pop("WFH_AGENT_DATA_DIR", None)
    streams = kwargs or {"capture_output": True}
    return subprocess.run(command, text=True, timeout=120, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, **streams)


def assert_iso_times(value: Any, key: str = "") -> int:
    """Every time in JSON output is ISO 8601 with an offset; returns how many were checked."""
    if isinstance(value, dict):
        return sum(assert_iso_times(v, k) for k, v in value.items())
    if isinstance(value, list):
        return sum(assert_iso_times(v, key) for v in value)
    timeish = key.endswith("_at") or key in ("last_success", "ts")
    if isinstance(value, str) and (timeish or TIME_TEXT.match(value)):
        assert datetime.fromisoformat(value).utcoffset() is not None, f"{key}: {value!r} has no offset"
        return 1
    assert not (timeish and value is not None), f"{key}: {value!r} is not an ISO 8601 time"
    return 0


def test_global_options_before_or_after_the_subcommand(tmp_path: Path) -> None:
    after = run_cli("db-info", "--data-dir", tmp_path / "a", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["path"] == str(tmp_path / "a" / "wfh_agent.db")
    activity = run_cli("activity", "--date", "2026-03-02", "--data-dir", tmp_path / "b", "--json")
    assert activity.returncode == 0, activity.stderr
    assert json.loads(activity.stdout)["date"] == "2026-03-02" and (tmp_path / "b" / "wfh_agent.db").exists()
    before = run_cli("--data-dir", tmp_path / "c", "status", "--json")  # still fine before it
    assert before.returncode == 0 and (tmp_path / "c" / "wfh_agent.db").exists()


def test_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: every write fails with EPIPE, deterministically
    try:
        done = run_cli("--data-dir", tmp_path, "db-info", stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert done.stderr == "", done.stderr
    assert done.returncode == 141


def test_status_without_a_server_is_local_only_with_the_reason(tmp_path: Path) -> None:
    status = json.loads(run_cli("--data-dir", tmp_path, "status", "--json").stdout)
    assert status["state"] == "local_only" and "no server is configured" in status["detail"]
    assert status["retry_at"] is None and status["last_success"] is None
    text = run_cli("--data-dir", tmp_path, "status").stdout
    assert text.startswith("state:        local_only (no server is configured")
    (tmp_path / "config.json").write_text(json.dumps({"ingestion": {"enabled": False}}))
    off = json.loads(run_cli("--data-dir", tmp_path, "status", "--json").stdout)
    assert off["state"] == "local_only" and "switched off" in off["detail"]


def test_json_times_are_iso_with_offset(tmp_path: Path) -> None:
    from app.profile import Profile
    from app.sync import state
    from app.sync.status import SyncReason, SyncState, SyncStatus
    from tests.sync.replay import seed_heartbeats

    profile = Profile.open(tmp_path)
    try:
        conn = profile.db.get()
        seed_heartbeats(conn, 3)
        started = conn.execute("SELECT MIN(started_at) FROM heartbeats").fetchone()[0]
        state.save_status(conn, SyncStatus(SyncState.UNREACHABLE, SyncReason.SERVER_UNREACHABLE,
                                           "Server unreachable", retry_at=1_800_000_000.5))
    finally:
        profile.close()
    (tmp_path / "config.json").write_text(json.dumps({"ingestion": {"api": {"base_url": "https://wfh.example"}}}))
    status = json.loads(run_cli("--data-dir", tmp_path, "status", "--json").stdout)
    assert status["retry_at"] == "2027-01-15T08:00:00.500Z"  # was the epoch float 1800000000.5
    assert assert_iso_times(status) == 1
    day = datetime.fromisoformat(started).astimezone(ZoneInfo("UTC")).date().isoformat()
    activity = run_cli("--data-dir", tmp_path, "activity", "--date", day, "--json", env_extra={"TZ": "UTC"})
    assert activity.returncode == 0, activity.stderr
    assert assert_iso_times(json.loads(activity.stdout)["spans"]) == 6  # started_at and ended_at of each


def test_bad_config_values_are_one_warning_each_and_defaults_are_used(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(
        {"ingestion": {"batch_size": "lots"}, "monitoring": {"sample_interval": -5}}))
    done = run_cli("--data-dir", tmp_path, "db-info", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["integrity"] == "ok"
    warnings = done.stderr.strip().splitlines()
    assert len(warnings) == 2, done.stderr
    assert "ingestion.batch_size = 'lots'" in warnings[0] and "the default 200 is used" in warnings[0]
    assert "monitoring.sample_interval = -5" in warnings[1] and "the default 5 is used" in warnings[1]
    assert json.loads((tmp_path / "config.json").read_text())["ingestion"]["batch_size"] == "lots"  # kept


# ---- read-only and missing data folders ----------------------------------------------------

@pytest.fixture
def read_only_profile(tmp_path: Path) -> Iterator[Path]:
    """A profile folder (database and a backup in it) made read-only: mode 0555, files 0444."""
    folder = tmp_path / "profile"
    for command in ("db-info", "backup"):
        made = run_cli("--data-dir", folder, command)
        assert made.returncode == 0, made.stderr
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755)


@pytest.mark.parametrize("command", [["db-info"], ["backup"], ["status", "--json"], ["restore", "BACKUP"]])
def test_read_only_data_folder_is_one_line_and_exit_2(read_only_profile: Path, command: list[str]) -> None:
    folder = read_only_profile
    backup = next((folder / "backups").glob("*.db"))
    args = [str(backup) if part == "BACKUP" else part for part in command]
    done = run_cli("--data-dir", folder, *args, read_only_user=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()], done.stderr  # one line, no traceback
    assert done.stderr.startswith(f"wfh-agent: the data folder {folder} is read-only: Permission denied")
    assert "running" not in done.stderr


def test_missing_data_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run_cli("--data-dir", blocker / "profile", "db-info")
    assert done.returncode == 2
    assert done.stderr.strip() == f"wfh-agent: the data folder {blocker / 'profile'} cannot be created: Not a directory"


GUI_SCRIPT = """
import argparse, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from app.ui.launch import make_application, run_gui
make_application()
def close_dialog():
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    if not boxes:
        QTimer.singleShot(20, close_dialog)
        return
    print("DIALOG", boxes[0].windowTitle(), "|", boxes[0].text(), flush=True)
    boxes[0].accept()
QTimer.singleShot(0, close_dialog)
sys.exit(run_gui(argparse.Namespace(data_dir=sys.argv[1], minimized=False, offline=False, smoke_test=False)))
"""


def test_gui_shows_a_dialog_for_a_read_only_data_folder(read_only_profile: Path) -> None:
    folder = read_only_profile
    command = without_root_override([sys.executable, "-c", GUI_SCRIPT, str(folder)])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT), "HOME": tempfile.gettempdir()}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"DIALOG WFH Agent cannot start | the data folder {folder} is read-only" in done.stdout
    assert "Traceback" not in done.stderr and "OSError" not in done.stderr
