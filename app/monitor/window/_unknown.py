"""Fallback for Wayland and unsupported systems: says "unknown" once in the log, keeps working."""

from __future__ import annotations

import logging

from app.monitor.window._base import ActiveWindow

log = logging.getLogger(__name__)
_warned = False


class UnknownWindowBackend:
    """Fallback where the active window cannot be read: logs that once and reports no window."""

    name = "unknown"

    def __init__(self, reason: str = "unsupported platform") -> None:
        global _warned
        if not _warned:
            log.warning("active window: unknown (%s); app and title will be empty", reason)
            _warned = True
        self.reason = reason

    def active_window(self) -> ActiveWindow | None:
        return None

    def close(self) -> None:
        return None


def create(display: str | None = None) -> UnknownWindowBackend:
    return UnknownWindowBackend()
