"""The real entry points: ``--smoke-test`` in a fresh process, ``--minimized`` through run_gui."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(60)
def test_smoke_test_exits_zero_and_leaves_no_data(data_dir):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "main.py", "--data-dir", str(data_dir), "--smoke-test"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "smoke test: ok" in result.stdout
    from app.profile import Profile

    profile = Profile.open(data_dir)
    try:
        assert profile.db.get().execute("SELECT COUNT(*) FROM weeks").fetchone()[0] == 0
    finally:
        profile.close()


@pytest.mark.timeout(60)
def test_run_gui_minimized_starts_without_showing_the_window(data_dir):
    """In its own process: quitting ends QApplication for good, so it must not share the test session's."""
    script = (
        "import argparse, gc, sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.ui.launch import make_application, run_gui\n"
        "from app.ui.main_window import MainWindow\n"
        "from app.ui.shell import Shell\n"
        "make_application()\n"
        "def check():\n"
        "    w = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))\n"
        "    print('SHOWN' if w.isVisible() and not w.isMinimized() else 'NOT SHOWN', flush=True)\n"
        "    print('FROZEN', gc.get_freeze_count(), flush=True)\n"
        "    w.findChild(Shell).quit()\n"
        "QTimer.singleShot(300, check)\n"
        f"sys.exit(run_gui(argparse.Namespace(data_dir={str(data_dir)!r}, minimized=True, smoke_test=False)))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "NOT SHOWN" in result.stdout
    frozen = int(result.stdout.split("FROZEN ")[1].split()[0])
    assert frozen > 10_000  # run_gui froze the start-up heap before its event loop (freeze_startup_heap)
    assert (data_dir / "ui_state.json").exists()
