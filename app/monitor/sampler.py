"""One sample of the machine: CPU, memory, battery, active window, idle time, lock state.

Everything OS-specific comes from the ``window`` and ``idle`` backends; psutil errors
(AccessDenied, NoSuchProcess, ZombieProcess) only blank the field they affect. Process names are
cached per pid and the battery is read at most once a minute, which keeps a tick well under 2 ms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import psutil

from app.monitor.browser import parse_title
from app.monitor.spans import Sample

log = logging.getLogger(__name__)

BATTERY_EVERY_SECONDS = 60.0


class Sampler:
    """``tick()`` returns a ``Sample``; status is ``locked``, ``idle`` (≥ threshold) or ``active``."""

    def __init__(
        self,
        window_backend: Any,
        idle_backend: Any,
        *,
        idle_threshold: float = 180,
        tz: str = "UTC",
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
        process_name: Callable[[int], str] | None = None,
        media: Any = None,
        inhibitors: Any = None,
    ) -> None:
        self.window_backend = window_backend
        self.idle_backend = idle_backend
        self.idle_threshold = idle_threshold
        self.tz = tz
        self._wall = wall
        self._mono = mono
        self._process_name = process_name or _process_name
        self.media = media   # ``playing() -> list[str]``; None: media time counts as idle
        # ``holders() -> list[str]`` (the desktop's idle-inhibitor registries); None: inhibited time counts
        # as idle. When set, a window backend's own ``inhibitors()`` (sway) counts too.
        self.inhibitors = inhibitors
        self._names: dict[int, tuple[float, str]] = {}
        self._battery: tuple[float, float | None, bool | None] = (-1e9, None, None)
        psutil.cpu_percent(interval=None)  # prime: the first call always returns 0.0

    def tick(self) -> Sample:
        mono = self._mono()
        wall = self._wall()
        sample = Sample(wall=wall, mono=mono, tz=self.tz)
        try:
            sample.cpu_percent = float(psutil.cpu_percent(interval=None))
            sample.memory_percent = float(psutil.virtual_memory().percent)
        except (OSError, psutil.Error) as exc:
            log.debug("cpu/memory unavailable: %s", exc)
        sample.battery_level, sample.battery_plugged = self._read_battery(mono)

        idle = _safe(self.idle_backend.idle_seconds)
        locked = _safe(self.idle_backend.is_locked)
        sample.idle_seconds = float(idle or 0.0)
        if locked:
            sample.status = "locked"
        elif idle is not None and idle >= self.idle_threshold and not self._passive_now():
            sample.status = "idle"
        else:
            sample.passive = idle is not None and idle >= self.idle_threshold
            window = _safe(self.window_backend.active_window)
            if not sample.passive and getattr(self.idle_backend, "inhibitors_hide_idle", False):
                # The compositor stops counting idle while a window inhibits it (sway): input cannot be
                # measured, so the time is active but marked passive rather than claimed as typed-in.
                sample.passive = bool(self._window_inhibitors())
            if window is not None:
                sample.window_title = window.title or ""
                name = window.process_name
                if not name and window.pid:
                    name = self._name_for(window.pid, mono)
                sample.process_name = name or ""
                sample.domain, sample.url = parse_title(sample.process_name, sample.window_title)
        return sample

    def _passive_now(self) -> bool:
        """Media playing or an idle inhibitor held. Asked only past the idle threshold, so a busy user
        costs no D-Bus round trip."""
        if self.media is not None and _safe(self.media.playing):
            return True
        if self.inhibitors is None:
            return False
        return bool(_safe(self.inhibitors.holders)) or bool(self._window_inhibitors())

    def _window_inhibitors(self) -> list[str]:
        if self.inhibitors is None:
            return []
        read = getattr(self.window_backend, "inhibitors", None)
        return (_safe(read) or []) if callable(read) else []

    def _name_for(self, pid: int, mono: float) -> str:
        cached = self._names.get(pid)
        if cached is not None and mono - cached[0] < 60:
            return cached[1]
        name = self._process_name(pid)
        if len(self._names) > 256:
            self._names.clear()
        self._names[pid] = (mono, name)
        return name

    def _read_battery(self, mono: float) -> tuple[float | None, bool | None]:
        stamp, level, plugged = self._battery
        if mono - stamp >= BATTERY_EVERY_SECONDS:
            try:
                battery = psutil.sensors_battery()
            except (OSError, psutil.Error, AttributeError, NotImplementedError) as exc:
                log.debug("battery unavailable: %s", exc)
                battery = None
            if battery is None:
                level, plugged = None, None
            else:
                level = float(battery.percent)
                plugged = None if battery.power_plugged is None else bool(battery.power_plugged)
            self._battery = (mono, level, plugged)
        return level, plugged


def _process_name(pid: int) -> str:
    """The executable name of ``pid``; ``""`` when the process is gone or not ours to read."""
    try:
        return str(psutil.Process(pid).name())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
        return ""


def _safe(call: Callable[[], Any]) -> Any:
    """OS backends must never stop the sampler: any error reads as "not known"."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - a backend bug must not end monitoring
        log.debug("backend call %s failed: %s", getattr(call, "__name__", call), exc)
        return None
