"""The monitoring agent's states as values (Qt-free): what ``MonitorAgent.stateChanged`` reports.

A ``StrEnum`` so the values travel through ``Signal(str, str)`` unchanged; the UI turns them into words.
"""

from __future__ import annotations

from enum import StrEnum


class MonitorState(StrEnum):
    """``stopped`` before start and after stop; ``no_consent`` until the consent screen was accepted."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    NO_CONSENT = "no_consent"
    RESTARTING = "restarting"
