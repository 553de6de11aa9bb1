"""Time partitions of heartbeats, timeline and ingest_log (migration "partitions", issue 16): the
accepted window is covered, resends conflict in one partition, maintenance premakes, retention drops
whole partitions only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from ingestion.ingest import _SQL, columns
from ingestion.partitions import PartitionError, check_ready, maintain, prune, state
from ingestion.validation import STREAMS, Clock, validate_batch
from tests.server.conftest import EMP
from tests.server.records import headers, heartbeat
from tests.support.pg import connect, create_database, drop_database, migrate

PARENTS = ("heartbeats", "timeline", "ingest_log")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _where(url: str, table: str, client_ids: list[str]) -> dict[str, str]:
    """client_id -> the partition its row is stored in."""
    with connect(url) as conn:
        rows = conn.execute(f"SELECT client_id::text, tableoid::regclass::text FROM {table}"
                            " WHERE client_id = ANY(%s::uuid[])", (client_ids,)).fetchall()
    return {cid: part for cid, part in rows}


@pytest.fixture
def own_db(pg_url: str) -> Iterator[str]:
    """A migrated database of its own, for tests that drop or create partitions."""
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    url = create_database(admin, "wfh_test_partitions")
    try:
        migrate(url)
        yield url
    finally:
        drop_database(admin, url)


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WFH_INGEST_DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_tables_are_partitioned_by_time_with_a_default(clean_db: str) -> None:
    with connect(clean_db) as conn:
        for table, column in (("heartbeats", "started_at"), ("timeline", "started_at"), ("ingest_log", "received_at")):
            key = conn.execute("SELECT pg_get_partkeydef(%s::regclass)", (table,)).fetchone()
            assert key == (f"RANGE ({column})",)
            primary = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass"
                                   " AND contype = 'p'", (table,)).fetchone()
            assert primary is not None and column in primary[0]
            st = state(conn, "employee_monitor", table)
            assert st.partitions >= 3 and st.default_rows == 0
            assert st.last_end is not None and st.last_end > datetime.now(UTC) + timedelta(days=28)
        for table in ("heartbeats", "timeline"):
            st = state(conn, "employee_monitor", table)
            assert st.first_start is not None and st.first_start <= datetime.now(UTC) - timedelta(days=400)


def test_records_at_both_ends_of_the_window_are_stored_in_real_partitions(client: TestClient, key: str,
                                                                          clean_db: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    oldest = heartbeat(started_at=_iso(now - timedelta(days=400) + timedelta(seconds=120)),
                       ended_at=_iso(now - timedelta(days=400) + timedelta(seconds=180)))
    newest = heartbeat(started_at=_iso(now + timedelta(seconds=200)), ended_at=_iso(now + timedelta(seconds=250)))
    response = client.post("/api/v1/ingest/heartbeats", content=json.dumps({"records": [oldest, newest]}),
                           headers=headers(key))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    timeline = [{"client_id": str(uuid.uuid4()), "started_at": r["started_at"], "ended_at": r["ended_at"],
                 "tz": "UTC", "kind": "app", "label": "Code.exe"} for r in (oldest, newest)]
    response = client.post("/api/v1/ingest/timeline", content=json.dumps({"records": timeline}), headers=headers(key))
    assert response.status_code == 200 and response.json()["accepted"] == 2, response.text
    for table, ids in (("heartbeats", [oldest["client_id"], newest["client_id"]]),
                       ("timeline", [t["client_id"] for t in timeline])):
        places = _where(clean_db, table, ids)
        assert len(places) == 2 and not any(p.endswith("_default") for p in places.values()), places
    with connect(clean_db) as conn:
        logs = conn.execute("SELECT tableoid::regclass::text FROM ingest_log").fetchall()
    assert logs and not any(p.endswith("_default") for (p,) in logs)


def test_resend_is_duplicate_and_changes_nothing(client: TestClient, key: str, clean_db: str) -> None:
    batch = {"records": [heartbeat(offset=60 * i) for i in range(20)]}
    first = client.post("/api/v1/ingest/heartbeats", content=json.dumps(batch), headers=headers(key)).json()
    assert (first["accepted"], first["duplicates"]) == (20, 0)
    with connect(clean_db) as conn:
        seconds = conn.execute("SELECT sum(seconds) FROM activity_quarters").fetchone()
    again = client.post("/api/v1/ingest/heartbeats", content=json.dumps(batch), headers=headers(key)).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 20, [])
    with connect(clean_db) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeats").fetchone() == (20,)
        assert conn.execute("SELECT sum(seconds) FROM activity_quarters").fetchone() == seconds  # rollup once


def _stored_batch(url: str, records: list[dict[str, Any]]) -> tuple[int, list[list[Any]]]:
    """Store ``records`` with the ingest statement; return (device_id, validated rows)."""
    stream = STREAMS["heartbeats"]
    rows = validate_batch(stream, records, Clock.at()).rows
    with connect(url) as conn:
        device_id, key_id = conn.execute("SELECT device_id, key_id FROM api_keys LIMIT 1").fetchone()  # type: ignore[misc]
        conn.execute(_SQL["heartbeats"], [device_id, EMP, *columns(stream, rows), device_id, key_id, "heartbeats",
                                          200, len(rows), len(rows), 0, 0, 0, "test", None])
    return device_id, rows


def test_known_client_ids_are_probed_in_one_partition_only(key: str, clean_db: str) -> None:
    """A resend's ON CONFLICT probes one partition's key (per-transaction index statistics); the rollup,
    CTEs over the rows the insert returns, looks no heartbeat up, so no other partition is touched either."""
    device_id, rows = _stored_batch(clean_db, [heartbeat(offset=30 * i) for i in range(50)])
    stream = STREAMS["heartbeats"]
    with connect(clean_db) as conn, conn.transaction():
        partitions = conn.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'heartbeats'::regclass"
                                  ).fetchone()
        assert partitions is not None and partitions[0] >= 15
        row = conn.execute(_SQL["heartbeats"], [device_id, EMP, *columns(stream, rows), device_id, 1, "heartbeats",
                                                200, len(rows), len(rows), 0, 0, 0, "test", None]).fetchone()
        assert row == (0,)  # every row already known
        probed = conn.execute("SELECT relname FROM pg_stat_xact_user_tables WHERE idx_scan > 0"
                              " AND relname LIKE 'heartbeats%%'").fetchall()
        target = {p for p in _where(clean_db, "heartbeats", [r[0] for r in rows]).values()}
        assert len(target) == 1 and {r[0] for r in probed} == {t.split(".")[-1] for t in target}, probed


def test_maintain_premakes_the_coming_partitions(own_db: str) -> None:
    with connect(own_db) as conn:
        before = state(conn, "employee_monitor", "heartbeats")
        future = conn.execute(
            "SELECT s.partition_tablename FROM partman.show_partitions('employee_monitor.heartbeats', 'DESC') s"
            " LIMIT 2").fetchall()
        for (name,) in future:  # as if time had moved on by two months since the last maintenance
            conn.execute(f"DROP TABLE {name}")
        gone = state(conn, "employee_monitor", "heartbeats")
        assert gone.partitions == before.partitions - 2 and gone.last_end is not None
        assert gone.last_end <= datetime.now(UTC) + timedelta(days=31)  # only the current month left
    done = _cli(own_db, "maintain")
    assert done.returncode == 0, done.stderr
    assert "heartbeats:" in done.stderr and "0 row(s) in the default partition" in done.stderr
    with connect(own_db) as conn:
        after = state(conn, "employee_monitor", "heartbeats")
        assert (after.partitions, after.last_end) == (before.partitions, before.last_end)
        again = maintain(conn, "employee_monitor")  # idempotent
    assert [s.partitions for s in again if s.table == "heartbeats"] == [before.partitions]


def test_maintain_moves_rows_out_of_the_default_partition_first(own_db: str) -> None:
    """Maintenance stopped past the premade months: rows went to the default partition, which would
    make creating their month's partition fail; maintain moves them and premakes as usual."""
    with connect(own_db) as conn:
        future = conn.execute(
            "SELECT s.partition_tablename FROM partman.show_partitions('employee_monitor.heartbeats', 'DESC') s"
            " LIMIT 2").fetchall()
        for (name,) in future:
            conn.execute(f"DROP TABLE {name}")
        conn.execute("INSERT INTO employees (emp_id) VALUES (1)")
        conn.execute("INSERT INTO devices (emp_id, name) VALUES (1, 'D')")
        late = datetime.now(UTC) + timedelta(days=45)
        conn.execute(
            "INSERT INTO heartbeats (device_id, client_id, emp_id, started_at, ended_at, tz, status, cpu_percent,"
            " memory_percent, process_name, window_title) SELECT device_id, gen_random_uuid(), 1, %s, %s, 'UTC',"
            " 'active', 1, 1, 'p', 't' FROM devices", (late, late + timedelta(seconds=30)))
        assert state(conn, "employee_monitor", "heartbeats").default_rows == 1
    done = _cli(own_db, "maintain")
    assert done.returncode == 0, done.stderr
    assert "moved 1 row(s) from the default partition" in done.stderr
    with connect(own_db) as conn:
        where = conn.execute("SELECT tableoid::regclass::text FROM heartbeats").fetchall()
        after = state(conn, "employee_monitor", "heartbeats")
    assert len(where) == 1 and not where[0][0].endswith("_default")
    assert after.default_rows == 0 and after.last_end is not None and after.last_end > late


def test_prune_drops_old_partitions_and_leaves_recent_ones(own_db: str) -> None:
    now = datetime.now(UTC)
    with connect(own_db) as conn:
        conn.execute("INSERT INTO employees (emp_id) VALUES (1)")
        device = conn.execute("INSERT INTO devices (emp_id, name) VALUES (1, 'D') RETURNING device_id").fetchone()
        ages = [390, 200, 40, 35, 1, 0]
        # ingest_log's partitions start with the oldest row at conversion time: make the old ones here.
        conn.execute("SELECT partman.create_partition_time('employee_monitor.ingest_log', %s::timestamptz[])",
                     ([now - timedelta(days=d) for d in ages],))
        for days in ages:
            conn.execute(
                "INSERT INTO heartbeats (device_id, client_id, emp_id, started_at, ended_at, tz, status, cpu_percent,"
                " memory_percent, process_name, window_title) VALUES (%s, %s, 1, %s, %s, 'UTC', 'active', 1, 1,"
                " 'p', 't')", (device[0] if device else None, uuid.uuid4(), now - timedelta(days=days),
                               now - timedelta(days=days) + timedelta(seconds=30)))
            conn.execute(
                "INSERT INTO ingest_log (device_id, received_at, key_id, endpoint, http_status, record_count,"
                " accepted, duplicates, rejected, body_bytes, duration_ms, request_id)"
                " VALUES (1, %s, 1, 'heartbeats', 200, 1, 1, 0, 0, 1, 1, 'r')", (now - timedelta(days=days),))
        # the reports' rollup of those heartbeats, as the ingest makes it
        conn.execute("SELECT roll_up_heartbeats(device_id, 1, array_agg(started_at), array_agg(ended_at),"
                     " array_agg(status), array_agg(process_name), array_agg(domain), array_agg(tz))"
                     " FROM heartbeats GROUP BY device_id")
        before = {t: state(conn, "employee_monitor", t).partitions for t in ("heartbeats", "ingest_log")}
        ingest_log_rows = conn.execute("SELECT count(*) FROM ingest_log").fetchone()
    done = _cli(own_db, "prune", "--log-days", "90", "--heartbeats-days", "30")
    assert done.returncode == 0, done.stderr
    assert "rollup row(s) of the removed time" in done.stderr
    with connect(own_db) as conn:
        # Nothing derived from a removed heartbeat stays: the rollup holds the kept heartbeats' seconds.
        rolled, stored = conn.execute(
            "SELECT (SELECT sum(seconds) FROM activity_quarters),"
            " (SELECT sum(extract(epoch FROM ended_at - started_at))::float8 FROM heartbeats)").fetchone()
        assert rolled == stored and stored is not None and stored < 6 * 30
    with connect(own_db) as conn:
        kept = sorted(round((now - r[0]).total_seconds() / 86400)
                      for r in conn.execute("SELECT started_at FROM heartbeats").fetchall())
        # A partition is dropped only when it ends before the cutoff: everything younger than 30
        # days stays, and so does an older row whose month reaches into the last 30 days.
        assert [a for a in kept if a <= 30] == [0, 1] and 390 not in kept and 200 not in kept
        cutoff = now - timedelta(days=30)
        for part in conn.execute("SELECT p.partition_tablename FROM partman.show_partitions("
                                 "'employee_monitor.heartbeats') p").fetchall():
            info = conn.execute("SELECT child_end_time FROM partman.show_partition_info(%s,"
                                " p_parent_table => 'employee_monitor.heartbeats')",
                                (f"employee_monitor.{part[0]}",)).fetchone()
            assert info is not None and info[0] >= cutoff - timedelta(days=1)
        after = {t: state(conn, "employee_monitor", t).partitions for t in ("heartbeats", "ingest_log")}
        log_ages = sorted(round((now - r[0]).total_seconds() / 86400)
                          for r in conn.execute("SELECT received_at FROM ingest_log").fetchall())
        assert conn.execute("SELECT count(*) FROM timeline").fetchone() == (0,)
        assert state(conn, "employee_monitor", "timeline").partitions >= 14  # not asked: untouched
    assert after["heartbeats"] < before["heartbeats"] and after["ingest_log"] < before["ingest_log"]
    assert [a for a in log_ages if a <= 90] == [0, 1, 35, 40] and 390 not in log_ages
    assert ingest_log_rows == (6,)


def test_prune_deletes_only_stray_default_rows_older_than_the_cutoff(own_db: str) -> None:
    now = datetime.now(UTC)
    with connect(own_db) as conn:
        for days in (500, 0):  # 500 days: before every partition, so the default partition holds it
            conn.execute(
                "INSERT INTO ingest_log (device_id, received_at, key_id, endpoint, http_status, record_count,"
                " accepted, duplicates, rejected, body_bytes, duration_ms, request_id)"
                " VALUES (1, %s, 1, 'heartbeats', 200, 1, 1, 0, 0, 1, 1, 'r')", (now - timedelta(days=days),))
        assert state(conn, "employee_monitor", "ingest_log").default_rows == 1
        result = prune(conn, "employee_monitor", {"ingest_log": 90})
        assert [(r.table, r.default_rows_deleted) for r in result] == [("ingest_log", 1)]
        assert conn.execute("SELECT count(*) FROM ingest_log").fetchone() == (1,)


def test_prune_refuses_bad_retention_and_unmigrated_databases(pg_url: str, own_db: str) -> None:
    bad = _cli(own_db, "prune", "--heartbeats-days", "0")
    assert bad.returncode == 1 and "at least 1 day" in bad.stderr
    with connect(own_db) as conn, pytest.raises(PartitionError, match="not a partitioned table"):
        prune(conn, "employee_monitor", {"screenshots": 30})
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    bare = create_database(admin, "wfh_test_bare")
    try:
        with connect(bare) as conn, pytest.raises(PartitionError, match="postgresql-15-partman"):
            check_ready(conn, "employee_monitor")
        missing = _cli(bare, "maintain")
        assert missing.returncode == 2 and "postgresql-15-partman" in missing.stderr
    finally:
        drop_database(admin, bare)


def test_prune_log_still_works_as_partition_retention(own_db: str) -> None:
    done = _cli(own_db, "prune-log", "--days", "90")
    assert done.returncode == 0 and "ingest_log: dropped" in done.stderr, done.stderr
