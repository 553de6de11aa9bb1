"""Legacy direct-PostgreSQL mode (§13) against the real local PostgreSQL in a throwaway database."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.sync import outbox
from app.sync.postgres_mode import WARNING, PostgresSink
from tests.e2e.conftest import E2E, EMP, write_week


def test_postgres_mode_same_rows_same_keys(e2e: E2E, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    settings = e2e.profile.settings
    settings.set("ingestion.mode", "postgres")
    settings.set("ingestion.db.url", e2e.db_url)
    settings.set("emp_id", EMP)
    write_week(e2e.profile, days=2, screenshots=3)
    engine = e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device=e2e.device))
    result = engine.run_cycle(force_other=True)
    assert WARNING in caplog.text
    assert result.state == "pending"  # screenshots stay queued in this mode
    assert outbox.pending_counts(e2e.conn, ["screenshots"]) == {"screenshots": 3}
    for stream in ("heartbeats", "website_usage", "productivity", "wellness"):
        assert sorted(e2e.server_ids(stream)) == sorted(e2e.local_ids(stream)), stream
    # idempotent: resending everything changes nothing
    e2e.conn.execute("UPDATE heartbeats SET synced_at = NULL")
    before = len(e2e.server_ids("heartbeats"))
    e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device=e2e.device)).run_cycle()
    assert len(e2e.server_ids("heartbeats")) == before
    # the API mode picks up the screenshots afterwards
    settings.set("ingestion.mode", "api")
    assert e2e.engine().run_cycle().state == "synced"


def test_postgres_mode_unknown_device_stops_with_error(e2e: E2E) -> None:
    settings: Any = e2e.profile.settings
    settings.set("ingestion.mode", "postgres")
    settings.set("ingestion.db.url", e2e.db_url)
    settings.set("emp_id", EMP)
    result = e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device="NO-SUCH")).run_cycle()
    assert result.state == "error" and "does not exist" in result.detail
