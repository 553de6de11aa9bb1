"""Fallback idle backend: reports "unknown" once in the log; the user always counts as active."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
_warned = False


class UnknownIdleBackend:
    """Fallback where idle time cannot be read: logs that once and always reports the user as active."""

    name = "unknown"

    def __init__(self, reason: str = "unsupported platform") -> None:
        global _warned
        if not _warned:
            log.warning("idle detection: unknown (%s); time counts as active", reason)
            _warned = True
        self.reason = reason

    def idle_seconds(self) -> float | None:
        return None

    def is_locked(self) -> bool | None:
        return None

    def close(self) -> None:
        return None


def create(display: str | None = None) -> UnknownIdleBackend:
    return UnknownIdleBackend()
