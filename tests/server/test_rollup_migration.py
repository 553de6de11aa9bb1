"""Migration "activity_quarters" (0009) on a populated database: the new rollup holds every stored
heartbeat's seconds once (folded or still queued under 0008), split at slot boundaries, and
``device_state`` takes in what was still queued (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingestion.migrate import available
from ingestion.migrate import migrate as run_migrations
from tests.support.pg import SCHEMA, connect, create_database, drop_database


def _version(name: str) -> int:
    return next(m.version for m in available() if m.name == name)


@pytest.fixture
def before(pg_url: str) -> Iterator[str]:
    """A database at migration 0008 with heartbeats of two devices, some of them still queued."""
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    url = create_database(admin, "wfh_test_rollup_mig")
    try:
        run_migrations(url, SCHEMA, until=_version("activity_quarters") - 1)
        with connect(url) as conn:
            conn.execute("INSERT INTO employees (emp_id) VALUES (1), (2)")
            conn.execute("INSERT INTO devices (emp_id, name) VALUES (1, 'A'), (2, 'B')")
            # 40 heartbeats of 7 minutes each, from 08:58 UTC on: many cross a 15-minute boundary.
            conn.execute(
                "INSERT INTO heartbeats (device_id, client_id, emp_id, started_at, ended_at, tz, status, cpu_percent,"
                " memory_percent, process_name, window_title, domain)"
                " SELECT 1 + g % 2, gen_random_uuid(), 1 + g % 2, t, t + interval '7 minutes', 'Asia/Kathmandu',"
                " CASE WHEN g % 5 = 0 THEN 'idle' ELSE 'active' END, 1, 2, 'app' || g % 3, 't',"
                " CASE WHEN g % 2 = 0 THEN 'github.com' END"
                " FROM generate_series(0, 39) g,"
                " LATERAL (SELECT timestamptz '2026-11-02 08:58Z' + g * interval '7 minutes' AS t) x")
            # Device 1's state is up to date; device 2's last heartbeat was still queued, not folded.
            conn.execute("INSERT INTO device_state SELECT DISTINCT ON (device_id) device_id, emp_id, ended_at, tz"
                         " FROM heartbeats WHERE NOT (device_id = 2 AND started_at >= '2026-11-02 13:00Z')"
                         " ORDER BY device_id, ended_at DESC")
            conn.execute("INSERT INTO rollup_queue SELECT device_id, emp_id, started_at, ended_at, status,"
                         " process_name, domain, tz FROM heartbeats WHERE device_id = 2"
                         " AND started_at >= '2026-11-02 13:00Z'")
        yield url
    finally:
        drop_database(admin, url)


def test_the_rollup_holds_every_heartbeat_once_and_the_queue_s_latest_rows(before: str) -> None:
    run_migrations(before, SCHEMA)
    with connect(before) as conn:
        rolled = conn.execute("SELECT device_id, status, process_name, domain, sum(seconds) FROM activity_quarters"
                              " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 NULLS FIRST").fetchall()
        raw = conn.execute("SELECT device_id, status, process_name, domain,"
                           " sum(extract(epoch FROM ended_at - started_at))::float8 FROM heartbeats"
                           " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 NULLS FIRST").fetchall()
        assert rolled == raw and len(raw) > 4
        # Every row lies in one slot: none reaches past its slot's end.
        assert conn.execute("SELECT count(*) FROM activity_quarters WHERE seconds > 900").fetchone() == (0,)
        crossing = conn.execute("SELECT count(*) FROM (SELECT 1 FROM activity_quarters GROUP BY emp_id, bucket"
                                " HAVING count(DISTINCT process_name) > 1) c").fetchone()
        assert crossing is not None and crossing[0] > 0  # heartbeats were split at the slot boundaries
        assert conn.execute("SELECT device_id, last_seen_at = (SELECT max(ended_at) FROM heartbeats h"
                            " WHERE h.device_id = s.device_id) FROM device_state s ORDER BY 1").fetchall() == [
            (1, True), (2, True)]
        gone = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                            (SCHEMA, ["rollup_queue", "status_quarters", "app_quarters", "domain_quarters",
                                      "status_days", "known_zones"])).fetchone()
        assert gone == (0,)
