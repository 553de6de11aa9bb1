"""A saved window geometry is restored only inside the screen's available area."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app.ui.state import UiState, fit_rect

REPO = Path(__file__).resolve().parents[2]
SCREEN = QRect(0, 0, 1600, 1000)
DEFAULT = QSize(1280, 800)


def test_fit_rect_keeps_a_fitting_window_and_moves_it_back_inside() -> None:
    assert fit_rect(QRect(100, 50, 800, 600), SCREEN, DEFAULT) == QRect(100, 50, 800, 600)
    assert fit_rect(QRect(1200, 900, 800, 600), SCREEN, DEFAULT) == QRect(800, 400, 800, 600)
    assert fit_rect(QRect(-300, -40, 800, 600), SCREEN, DEFAULT) == QRect(0, 0, 800, 600)
    shifted = QRect(1600, 30, 1600, 970)  # the primary screen starts right of another one
    assert fit_rect(QRect(0, 0, 900, 700), shifted, DEFAULT) == QRect(1600, 30, 900, 700)


def test_fit_rect_centres_the_default_when_the_saved_size_does_not_fit() -> None:
    # the case: saved at a larger scale factor, 2239×1400 on a 1600×1000 screen
    assert fit_rect(QRect(40, 20, 2239, 1400), SCREEN, DEFAULT) == QRect(160, 100, 1280, 800)
    small = QRect(0, 0, 1024, 700)
    fitted = fit_rect(QRect(0, 0, 2239, 1400), small, DEFAULT)
    assert fitted == QRect(0, 0, 1024, 700) and small.contains(fitted)


def test_main_window_restores_an_oversized_geometry_inside_the_screen(qtbot, context, clock, answers) -> None:
    from app.ui.shell import Shell

    available = QGuiApplication.primaryScreen().availableGeometry()
    big = QWidget()
    big.setGeometry(available.x() + 40, available.y() + 30, available.width() * 7 // 5, available.height() * 7 // 5)
    state = UiState.load(context.profile.paths.data_dir)
    state.set_bytes("geometry", big.saveGeometry())
    state.save()
    context.state = UiState.load(context.profile.paths.data_dir)

    shell = Shell(context, clock=clock, use_tray=False, confirm=answers)
    window = shell.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: available.contains(window.frameGeometry()), timeout=2000)
    shell.timer._ticker.stop()


SCREEN_CONFIG = """{"windowFrameMargins": true, "screens": [{"name": "laptop", "x": 0, "y": 0,
  "width": 1600, "height": 1000, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}"""
SCALED_SCRIPT = """
import argparse, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui.launch import make_application, run_gui
from app.ui.main_window import MainWindow
from app.ui.shell import Shell
make_application()
def check():
    w = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    print("GEOMETRY", *w.frameGeometry().getRect(), *w.screen().availableGeometry().getRect(), flush=True)
    w.findChild(Shell).quit()
QTimer.singleShot(300, check)
sys.exit(run_gui(argparse.Namespace(data_dir=sys.argv[1], minimized=False, offline=False, smoke_test=False)))
"""


@pytest.mark.timeout(120)
def test_window_fits_a_1600x1000_screen_at_1x_then_150_percent(tmp_path: Path) -> None:
    """The issue's case: a run at 1× saves 1280×800; at 150 % the screen is 1067×667 logical, Qt
    refuses the saved geometry and keeps the default 1280×800, which is larger than the screen."""
    config = tmp_path / "screens.json"
    config.write_text(SCREEN_CONFIG)
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "PYTHONPATH": str(REPO)}
    for factor in ("1", "1.5", "1"):
        done = subprocess.run([sys.executable, "-c", SCALED_SCRIPT, str(tmp_path / "profile")], cwd=REPO,
                              capture_output=True, text=True, timeout=60, env={**env, "QT_SCALE_FACTOR": factor})
        assert done.returncode == 0, done.stderr
        line = next(line for line in done.stdout.splitlines() if line.startswith("GEOMETRY"))
        x, y, w, h, ax, ay, aw, ah = map(int, line.split()[1:])
        assert QRect(ax, ay, aw, ah).contains(QRect(x, y, w, h)), (factor, line)
