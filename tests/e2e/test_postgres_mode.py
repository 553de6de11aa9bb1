"""Legacy direct-PostgreSQL mode (§13) against the real local PostgreSQL in a throwaway database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.sync import outbox
from app.sync.postgres_mode import NO_ROLLUP, WARNING, PostgresSink
from tests.e2e.conftest import E2E, EMP, write_week
from tests.support.pg import connect, guide_role

# The reports' rollup of a device's heartbeats against the seconds of the heartbeats themselves.
_ROLLED = ("SELECT (SELECT coalesce(sum(q.seconds), 0) FROM activity_quarters q WHERE q.device_id = d.device_id),"
           " (SELECT coalesce(sum(extract(epoch FROM h.ended_at - h.started_at)), 0)::float8 FROM heartbeats h"
           " WHERE h.device_id = d.device_id), (SELECT s.last_seen_at IS NOT NULL FROM device_state s"
           " WHERE s.device_id = d.device_id) FROM devices d WHERE d.name = %s")


@pytest.fixture
def legacy_url(e2e: E2E) -> Iterator[str]:
    """A login role with exactly the legacy role's grants of docs/DEPLOY.md; its connection string."""
    with guide_role(e2e.db_url, r"their role\s+`wfh_legacy` needs", "wfh_legacy") as url:
        yield url


def _rolled(e2e: E2E) -> tuple[float, float, bool | None]:
    with connect(e2e.db_url) as conn:
        row = conn.execute(_ROLLED, (e2e.device,)).fetchone()
    assert row is not None
    return float(row[0]), float(row[1]), row[2]


def test_postgres_mode_same_rows_same_keys(e2e: E2E, legacy_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Run as a role with only the legacy rights of the deployment guide."""
    caplog.set_level(logging.WARNING)
    settings = e2e.profile.settings
    settings.set("ingestion.mode", "postgres")
    settings.set("ingestion.db.url", legacy_url)
    settings.set("emp_id", EMP)
    write_week(e2e.profile, days=2, screenshots=3)
    engine = e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device=e2e.device))
    result = engine.run_cycle(force_other=True)
    assert WARNING in caplog.text
    assert result.state == "pending"  # screenshots stay queued in this mode
    assert outbox.pending_counts(e2e.conn, ["screenshots"]) == {"screenshots": 3}
    for stream in ("heartbeats", "website_usage", "productivity", "wellness"):
        assert sorted(e2e.server_ids(stream)) == sorted(e2e.local_ids(stream)), stream
    # the team's reports see the heartbeats written in this mode, every second once
    rolled, stored, seen = _rolled(e2e)
    assert stored > 0 and rolled == pytest.approx(stored) and seen
    assert NO_ROLLUP not in caplog.text
    # idempotent: resending everything changes nothing, the rollup included
    e2e.conn.execute("UPDATE heartbeats SET synced_at = NULL")
    before = len(e2e.server_ids("heartbeats"))
    e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device=e2e.device)).run_cycle()
    assert len(e2e.server_ids("heartbeats")) == before
    assert _rolled(e2e)[:2] == (rolled, stored)
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


def test_postgres_mode_on_a_schema_without_the_rollup_function_warns_and_still_stores(
        e2e: E2E, caplog: pytest.LogCaptureFixture) -> None:
    """A server schema before migration 0010: the heartbeats are stored, with a warning that the
    team's reports will not show them."""
    caplog.set_level(logging.WARNING)
    settings: Any = e2e.profile.settings
    settings.set("ingestion.mode", "postgres")
    settings.set("ingestion.db.url", e2e.db_url)
    settings.set("emp_id", EMP)
    write_week(e2e.profile, days=1)
    function = Path(__file__).resolve().parents[2] / "ingestion" / "migrations" / "0010_rollup_function.sql"
    with connect(e2e.db_url) as conn:
        conn.execute("DROP FUNCTION roll_up_heartbeats")
    try:
        engine = e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device=e2e.device))
        engine.run_cycle(force_other=True)
    finally:
        with connect(e2e.db_url) as conn:
            conn.execute(function.read_text(encoding="utf-8"))
    assert NO_ROLLUP in caplog.text
    assert sorted(e2e.server_ids("heartbeats")) == sorted(e2e.local_ids("heartbeats"))
    assert _rolled(e2e)[0] == 0


def test_postgres_mode_with_a_right_missing_keeps_the_records_and_says_which(
        e2e: E2E, legacy_url: str) -> None:
    settings: Any = e2e.profile.settings
    settings.set("ingestion.mode", "postgres")
    settings.set("ingestion.db.url", legacy_url)
    settings.set("emp_id", EMP)
    write_week(e2e.profile, days=1)
    role = legacy_url.split("user=")[1].split()[0]
    with connect(e2e.db_url) as conn:
        conn.execute(f"REVOKE INSERT ON website_usage FROM {role}")
    result = e2e.engine(sink_factory=lambda: PostgresSink.from_settings(settings, device=e2e.device)
                        ).run_cycle(force_other=True)
    assert "permission denied for table website_usage" in (result.last_error or ""), result
    pending = outbox.pending_counts(e2e.conn, ["website_usage"])["website_usage"]
    assert e2e.server_ids("website_usage") == [] and pending > 0
    assert sorted(e2e.server_ids("heartbeats")) == sorted(e2e.local_ids("heartbeats"))  # the other streams went on
