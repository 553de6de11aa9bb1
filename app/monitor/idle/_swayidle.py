"""Idle time on wlroots compositors through ``swayidle`` (the compositor's idle-notify protocol).

A Wayland client cannot ask "seconds since the last input"; it can only ask to be told after N seconds
without input and again at the next input. ``swayidle`` does exactly that and runs a command at each;
here the commands print a word on its stdout, which a reader thread turns into an idle-since time.
Idle seconds are exact from ``NOTIFY_AFTER`` on (0 before), which is far below any idle threshold that
matters. Idle inhibitors (a video player) keep the compositor from reporting idle at all.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

NOTIFY_AFTER = 5  # seconds without input before swayidle reports idle


class SwayIdleBackend:
    """Idle state on wlroots compositors from a ``swayidle`` child process told to report after the threshold."""

    name = "swayidle"
    description = "swayidle (the compositor's idle-notify protocol)"

    def __init__(self, env: dict[str, str] | None = None, *, notify_after: int = NOTIFY_AFTER,
                 mono: Callable[[], float] = time.monotonic) -> None:
        binary = shutil.which("swayidle")
        if binary is None:
            raise OSError("swayidle is not installed")
        self.notify_after = notify_after
        self._mono = mono
        self._idle_since: float | None = None
        self._lock = threading.Lock()
        self.started = threading.Event()
        self._proc = subprocess.Popen(
            [binary, "-d", "timeout", str(notify_after), "echo idle", "resume", "echo active"],
            env=env or dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, name="swayidle", daemon=True)
        self._reader.start()
        self._debug = threading.Thread(target=self._read_debug, name="swayidle-log", daemon=True)
        self._debug.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            word = line.strip()
            with self._lock:
                if word == "idle":
                    self._idle_since = self._mono() - self.notify_after
                elif word == "active":
                    self._idle_since = None
        log.info("swayidle ended (exit %s); idle time is no longer known", self._proc.poll())

    def _read_debug(self) -> None:
        """swayidle -d logs its registration; the idle manager being bound means it is running."""
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            if "Register with timeout" in line:
                self.started.set()

    def idle_seconds(self) -> float | None:
        if self._proc.poll() is not None:
            return None
        with self._lock:
            since = self._idle_since
        return 0.0 if since is None else max(0.0, self._mono() - since)

    def is_locked(self) -> bool | None:
        return None  # a lock screen on wlroots is a separate client (swaylock); not visible from here

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
