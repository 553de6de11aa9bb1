"""Idle time on wlroots compositors through ``swayidle`` (the compositor's idle-notify protocol).

A Wayland client cannot ask "seconds since the last input"; it can only ask to be told after N seconds
without input and again at the next input. ``swayidle`` does exactly that and runs a command at each;
here the commands print a word on its stdout, which a reader thread turns into an idle-since time.
Idle seconds are exact from ``NOTIFY_AFTER`` on (0 before), which is far below any idle threshold that
matters. Idle inhibitors (a video player) keep the compositor from reporting idle at all: the sampler
then marks the time passive (``inhibitors_hide_idle``).

The lock screen on wlroots is a separate client (swaylock and its kin, through ext-session-lock) that the
compositor does not announce over IPC; it is found as this user's locker process, looked for only while
swayidle reports idle (nobody types into a locked screen), so a busy user pays nothing.
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
LOCKERS = frozenset({"swaylock", "gtklock", "waylock", "hyprlock", "swaylock-effects"})
LOCK_CHECK_SECONDS = 2.0


class SwayIdleBackend:
    """Idle state on wlroots compositors from a ``swayidle`` child process told to report after the threshold."""

    name = "swayidle"
    description = "swayidle (the compositor's idle-notify protocol); lock screen: the locker process"
    inhibitors_hide_idle = True

    def __init__(self, env: dict[str, str] | None = None, *, notify_after: int = NOTIFY_AFTER,
                 mono: Callable[[], float] = time.monotonic,
                 lockers: Callable[[], list[str]] | None = None) -> None:
        binary = shutil.which("swayidle")
        if binary is None:
            raise OSError("swayidle is not installed")
        self.notify_after = notify_after
        self._mono = mono
        self._idle_since: float | None = None
        self._locked: tuple[float, bool] = (-1e9, False)
        self._lockers = lockers or _own_lockers
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
        if self._proc.poll() is not None:
            return None
        with self._lock:
            idle = self._idle_since is not None
        if not idle:
            return False
        stamp, locked = self._locked
        if self._mono() - stamp >= LOCK_CHECK_SECONDS:
            locked = bool(self._lockers())
            self._locked = (self._mono(), locked)
        return locked

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def _own_lockers() -> list[str]:
    """Names of this user's running lock-screen clients (swaylock, gtklock, …)."""
    import psutil

    uid = os.getuid()
    found = []
    for proc in psutil.process_iter(["name", "uids"]):
        try:
            name, uids = proc.info["name"], proc.info["uids"]
        except (psutil.Error, KeyError):
            continue
        if name in LOCKERS and uids is not None and uids.real == uid:
            found.append(name)
    return found
