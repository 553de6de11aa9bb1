"""Window manager and test windows on the private Xvfb display (used by tests and the benchmark)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.xvfb import env_with_display

HELPER = Path(__file__).with_name("x11_windows.py")
ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    import threading

    pause = threading.Event()
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        pause.wait(0.02)


def _wm_running(display: str) -> bool:
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        prop = d.screen().root.get_full_property(d.intern_atom("_NET_SUPPORTING_WM_CHECK"), 0)
        return prop is not None and len(prop.value) > 0
    finally:
        d.close()


@contextmanager
def window_manager(display: str) -> Iterator[subprocess.Popen[bytes]]:
    """openbox on ``display`` (needed for ``_NET_ACTIVE_WINDOW``); stopped afterwards."""
    proc = subprocess.Popen(["openbox", "--sm-disable", "--config-file", "/dev/null"],
                            env=env_with_display(display), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _wm_running(display), 10, "openbox did not start")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=5)


@contextmanager
def qt_windows(display: str, *titles: str) -> Iterator[subprocess.Popen[str]]:
    env = env_with_display(display)
    env["QT_QPA_PLATFORM"] = "xcb"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, str(HELPER), *titles], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", line
        for title in titles:
            window_id(display, title)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def window_id(display: str, title: str) -> str:
    out = subprocess.run(["xdotool", "search", "--sync", "--limit", "1", "--name", f"^{title}$"],
                         env=env_with_display(display), capture_output=True, text=True, timeout=10)
    return out.stdout.split()[0]


def activate(display: str, title: str) -> None:
    subprocess.run(["xdotool", "windowactivate", "--sync", window_id(display, title)],
                   env=env_with_display(display), check=True, timeout=10, capture_output=True)


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=env_with_display(display), check=True, timeout=10)
