"""The partition migration converts a populated database (1 million heartbeats): every row kept, an
interrupted run leaves the old tables intact, and running it again completes; running the finished
migration's SQL once more changes nothing (issue 16)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from ingestion.migrate import ADVISORY_LOCK, available
from ingestion.migrate import migrate as run_migrations
from tests.support.pg import SCHEMA, connect, create_database, drop_database

HEARTBEATS = 1_000_000
TIMELINE = 100_000
LOG = 100_000
TABLES = ("heartbeats", "timeline", "ingest_log")


def _version() -> int:
    return next(m.version for m in available() if m.name == "partitions")


@pytest.fixture
def populated(pg_url: str) -> Iterator[str]:
    """A database migrated up to the migration before "partitions", holding data over 450 days."""
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    url = create_database(admin, "wfh_test_convert")
    try:
        run_migrations(url, SCHEMA, until=_version() - 1)
        with connect(url) as conn:
            conn.execute("INSERT INTO employees (emp_id) SELECT g FROM generate_series(1, 10) g")
            conn.execute("INSERT INTO devices (emp_id, name) SELECT g, 'D' || g FROM generate_series(1, 10) g")
            # Spread over now - 450 days .. now: older rows than the API's window must survive too.
            conn.execute(
                "INSERT INTO heartbeats (device_id, client_id, emp_id, started_at, ended_at, tz, status, cpu_percent,"
                " memory_percent, process_name, window_title, domain, url, geo_lat, geo_lon)"
                " SELECT 1 + g %% 10, gen_random_uuid(), 1 + g %% 10, t, t + interval '30 s', 'Europe/Berlin',"
                " 'active', 5, 40, 'Code.exe', 'title ' || g, CASE WHEN g %% 3 = 0 THEN 'github.com' END,"
                " CASE WHEN g %% 3 = 0 THEN 'https://github.com/' || g END, CASE WHEN g %% 2 = 0 THEN 52.5 END,"
                " CASE WHEN g %% 2 = 0 THEN 13.4 END"
                " FROM generate_series(1, %s) g,"
                " LATERAL (SELECT now() - interval '450 days' + g * (interval '450 days' / %s) AS t) x",
                (HEARTBEATS, HEARTBEATS))
            conn.execute(
                "INSERT INTO timeline (device_id, client_id, emp_id, started_at, ended_at, tz, kind, label)"
                " SELECT 1 + g %% 10, gen_random_uuid(), 1 + g %% 10, t, t + interval '60 s', 'UTC', 'app', 'L' || g"
                " FROM generate_series(1, %s) g,"
                " LATERAL (SELECT now() - interval '420 days' + g * (interval '420 days' / %s) AS t) x",
                (TIMELINE, TIMELINE))
            conn.execute(
                "INSERT INTO ingest_log (device_id, received_at, key_id, endpoint, http_status, record_count,"
                " accepted, duplicates, rejected, body_bytes, duration_ms, request_id)"
                " SELECT 1 + g %% 10, now() - interval '120 days' + g * (interval '120 days' / %s), 1, 'heartbeats',"
                " 200, 5, 5, 0, 0, 900, 3, 'req-' || g FROM generate_series(1, %s) g", (LOG, LOG))
            for table in TABLES:  # what must come out again, row for row
                conn.execute(f"CREATE TABLE public.expected_{table} AS SELECT * FROM {table}")
        yield url
    finally:
        drop_database(admin, url)


def _kind(conn: psycopg.Connection[object], table: str) -> str:
    row = conn.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (f"{SCHEMA}.{table}",)).fetchone()
    assert row is not None
    return str(row[0])


def _assert_converted(url: str) -> None:
    with connect(url) as conn:
        for table in TABLES:
            assert _kind(conn, table) == "p"
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == \
                conn.execute(f"SELECT count(*) FROM public.expected_{table}").fetchone()
            for a, b in ((table, f"public.expected_{table}"), (f"public.expected_{table}", table)):
                assert conn.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}) d"
                                    ).fetchone() == (0,), f"{a} has rows that {b} lacks"
            default = conn.execute(f"SELECT count(*) FROM {table}_default").fetchone()
            assert default == (0,)  # every stored row has its partition, even those older than 400 days
            assert conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.{table}_unpartitioned",)).fetchone() == (None,)
        new_id = conn.execute(
            "INSERT INTO ingest_log (device_id, key_id, endpoint, http_status, record_count, accepted, duplicates,"
            " rejected, body_bytes, duration_ms, request_id) VALUES (1, 1, 'heartbeats', 200, 1, 1, 0, 0, 1, 1, 'x')"
            " RETURNING ingest_id").fetchone()
        assert new_id is not None and new_id[0] > LOG  # the identity continues after the copied rows
        conn.execute("DELETE FROM ingest_log WHERE request_id = 'x'")


@pytest.mark.timeout(1200)
def test_conversion_keeps_every_row_survives_interruption_and_reruns(populated: str) -> None:
    url = populated
    failure: list[BaseException] = []

    def run() -> None:
        try:
            run_migrations(url, SCHEMA)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    with connect(url) as watch:
        deadline = time.monotonic() + 300
        victim = None
        while time.monotonic() < deadline and victim is None and worker.is_alive():
            # Half-way: the migrating backend (it holds the runner's advisory lock) already holds
            # locks on many new partitions.
            row = watch.execute(
                "SELECT a.pid FROM pg_locks a WHERE a.locktype = 'advisory' AND a.objid = %s AND a.granted"
                " AND (SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'relation') > 40",
                (ADVISORY_LOCK,)).fetchone()
            victim = row[0] if row else None
            time.sleep(0.05)
        assert victim is not None, "the migration never got half-way"
        time.sleep(0.5)
        watch.execute("SELECT pg_terminate_backend(%s)", (victim,))
    worker.join(300)
    assert failure, "the migration finished before it could be interrupted"
    with connect(url) as conn:
        for table in TABLES:  # rolled back: the old tables as they were
            assert _kind(conn, table) == "r"
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == \
                conn.execute(f"SELECT count(*) FROM public.expected_{table}").fetchone()
        assert conn.execute("SELECT count(*) FROM schema_migrations WHERE version = %s", (_version(),)
                            ).fetchone() == (0,)

    started = time.perf_counter()
    done = run_migrations(url, SCHEMA, until=_version())
    elapsed = time.perf_counter() - started
    print(f"\nconversion of {HEARTBEATS:,} heartbeats, {TIMELINE:,} timeline and {LOG:,} ingest_log rows:"
          f" {elapsed:.1f} s")
    assert [m.name for m in done] == ["partitions"]
    _assert_converted(url)

    # Running the finished migration's SQL again (a forced re-run) changes nothing.
    with connect(url) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = %s", (_version(),))
    assert [m.name for m in run_migrations(url, SCHEMA, until=_version())] == ["partitions"]
    _assert_converted(url)
