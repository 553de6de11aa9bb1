"""Single instance with real processes; stale locks and sockets from crashes do not block start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QDir

from app.paths import resolve_paths
from app.single_instance import LOCK_FILE, SingleInstance, is_running

ROOT = Path(__file__).resolve().parents[2]


def _child(data_dir: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.ops.instance_child", str(data_dir)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def test_second_launch_activates_the_first_and_exits(data_dir: Path) -> None:
    first = _child(data_dir)
    try:
        assert _first_line(first) == "owner"
        second = _child(data_dir)
        assert _first_line(second) == "second"
        assert second.wait(10) == 0
        assert _first_line(first) == "activated"
        assert first.wait(10) == 0
    finally:
        first.kill()
        first.wait(5)


def test_in_process_second_guard_notifies_the_first(qtbot, data_dir: Path) -> None:
    paths = resolve_paths(data_dir)
    first, second = SingleInstance(paths), SingleInstance(paths)
    assert first.acquire() and first.listening
    assert is_running(paths)
    with qtbot.waitSignal(first.activationRequested, timeout=5_000):
        assert not second.acquire()
    first.release()
    assert not is_running(paths)
    assert second.acquire()
    second.release()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and Unix socket files")
def test_killed_owner_leaves_nothing_that_blocks(qapp, data_dir: Path) -> None:
    owner = _child(data_dir)
    assert _first_line(owner) == "owner"
    owner.send_signal(signal.SIGKILL)
    owner.wait(5)
    paths = resolve_paths(data_dir)
    assert (data_dir / LOCK_FILE).exists()  # the crash left its lock behind…
    assert Path(QDir.tempPath(), paths.lock_name).exists()  # …and its socket file
    guard = SingleInstance(paths)
    assert guard.acquire() and guard.listening  # …and neither blocks the next start
    guard.release()


@pytest.mark.skipif(os.name != "posix", reason="Unix socket files")
def test_stale_socket_file_without_lock(qapp, data_dir: Path) -> None:
    paths = resolve_paths(data_dir)
    stale = Path(QDir.tempPath(), paths.lock_name)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(stale))  # bound but never listening, then closed: a dead server file
    sock.close()
    assert stale.exists()
    guard = SingleInstance(paths)
    assert guard.acquire() and guard.listening
    other = SingleInstance(paths)
    assert not other.acquire()
    guard.release()
