"""Valid records for tests, built relative to the current time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ingestion.validation import Clock, Reject, Stream, validate_record


def passes(stream: Stream, record: dict[str, Any]) -> bool:
    """Whether the server's validation accepts ``record`` now (property tests keep only those)."""
    try:
        validate_record(stream, record, Clock.at())
    except Reject:
        return False
    return True


def ts(delta_seconds: float = 0) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=delta_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def heartbeat(client_id: str | None = None, offset: int = 0, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "client_id": client_id or str(uuid.uuid4()),
        "started_at": ts(-600 - offset), "ended_at": ts(-540 - offset), "tz": "Europe/Berlin",
        "status": "active", "cpu_percent": 12.5, "memory_percent": 48.0, "process_name": "Code.exe",
        "window_title": "main.py - Visual Studio Code", "domain": "github.com",
        "url": "https://github.com/pulls", "battery_level": 82, "battery_plugged": False,
        "geo": {"lat": 52.52, "lon": 13.405},
    }
    record.update(changes)
    return record


def website_usage(domain: str = "github.com", seconds: int = 900, updated_delta: int = -60,
                  client_id: str | None = None) -> dict[str, Any]:
    return {"client_id": client_id or str(uuid.uuid4()), "date": datetime.now(UTC).date().isoformat(),
            "domain": domain, "duration_seconds": seconds, "tag": "productive",
            "updated_at": ts(updated_delta)}


def headers(key: str, **extra: str) -> dict[str, str]:
    return {"X-Api-Key": key, "Content-Type": "application/json", **extra}
