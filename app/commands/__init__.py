"""Subcommands of ``wfh-agent``: one module each, registered in ``app.cli.COMMAND_MODULES``."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_time(epoch_seconds: float | None) -> str | None:
    """Times in JSON output are ISO 8601 with an offset (UTC, ``Z``) like every stored time, never epoch floats."""
    if epoch_seconds is None:
        return None
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
